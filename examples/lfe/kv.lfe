;; A key/value server in LFE, in the shape of a gen_server without OTP: a loop over
;; its state (a map), requests tagged with the caller's pid, replies to it.
;; Started from Lua by kv_clients.lua (lfe.spawn("kv", "start")), or from LFE with
;; (kv:start).
(defmodule kv
  (export (start 0) (loop 1)))

(defun start ()
  (register 'kv (self))
  (loop #M()))

(defun loop (state)
  (receive
    ((tuple 'put from key value)
     (! from (tuple 'ok key))
     (loop (maps:put key value state)))
    ((tuple 'get from key)
     (! from (case (maps:find key state)
               ((tuple 'ok v) (tuple 'value key v))
               ('error (tuple 'missing key))))
     (loop state))
    ((tuple 'size from)
     (! from (tuple 'size (map_size state)))
     (loop state))
    ('stop 'ok)))
