;; HTTP for LFE, on the Lua `http` library (cube-http) through processes and
;; messages: no second HTTP implementation. Same rules as prelude.lfe: calls
;; between library functions are module-qualified, and helpers have names with
;; a `-` (Erlang's own functions never do).
;;
;; Client: `http:request` spawns a Lua process (`lua:spawn`) that runs
;; `http.request` and sends the result back; the caller waits for it in a
;; `receive` with a monitor on that process, so only the caller blocks and a
;; crash is an `#(error ...)`, never a hang.
;;
;; Server: `http:server` spawns a dispatcher (an LFE process, the server's pid)
;; which spawns a Lua process that runs `http.server`. Each request runs in the
;; Lua connection's process, which sends `#(http_request conn idx req)` to the
;; dispatcher; the dispatcher spawns an LFE process for the request (the user's
;; handler) and tells the connection its pid; the connection monitors it and
;; waits for `#(http_response pid resp)`. A handler that crashes ends only its
;; own process, and the connection answers 500. Funs never cross to Lua (they
;; cannot): the dispatcher holds them. Data crosses as binaries and maps with
;; binary keys, which Lua sees as strings and tables.

(http
 ;; ---- client ----
 (defun request (method url headers body)
   (http:request method url headers body #M()))
 (defun request (method url headers body opts)
   (let* ((req (http:client-req method url headers body (http:opts-map opts)))
          (l (lua:spawn (http:client-chunk) (list (self) req)))
          (ref (erlang:monitor 'process l)))
     (receive
       ((tuple 'http_result pid res) (when (=:= pid l))
        (erlang:demonitor ref (list 'flush))
        (http:client-result res))
       ((tuple 'DOWN r 'process _ reason) (when (=:= r ref))
        (tuple 'error (tuple 'client_down reason))))))
 (defun get (url) (http:request 'get url () #""))
 (defun client-req (method url headers body opts)
   (let* ((base (map #"method" (http:method-bin method)
                     #"url" (http:to-bin url)
                     #"headers" (http:headers-out headers)
                     #"body" (http:body-bin body)))
          (t1 (case (maps:get 'timeout opts 'undefined)
                ('undefined base)
                ('infinity (maps:put #"timeout" 10000000 base))
                (ms (when (is_integer ms) (> ms 0)) (maps:put #"timeout" (/ ms 1000) base))
                (other (error (tuple 'badarg (tuple 'timeout other))))))
          (t2 (case (maps:get 'max_body opts 'undefined)
                ('undefined t1)
                (n (when (is_integer n) (>= n 0)) (maps:put #"max_body" n t1))
                (other (error (tuple 'badarg (tuple 'max_body other)))))))
     (case (maps:get 'ca opts 'undefined)
       ('undefined t2)
       (ca (maps:put #"ca" (http:to-bin ca) t2)))))
 (defun client-result
   (((tuple 'ok r))
    (tuple 'ok (map 'status (maps:get #"status" r)
                    'headers (http:as-map (maps:get #"headers" r #M()))
                    'body (maps:get #"body" r #""))))
   ((err) err))
 (defun client-chunk ()
   #"local parent, req = ...
local A, T = term.atom, term.tuple
local ok, r, err = pcall(http.request, req)
local res
if not ok then
  res = T(A'error', T(A'badarg', tostring(r)))
elseif r then
  res = T(A'ok', r)
else
  local e = tostring(err)
  if string.find(e, 'refused', 1, true) then e = A'econnrefused'
  elseif e == 'timeout' then e = A'timeout' end
  res = T(A'error', e)
end
process.send(parent, T(A'http_result', process.self(), res))
")

 ;; ---- server ----
 (defun server (opts0)
   (let* ((opts (http:opts-map opts0))
          (handler (maps:get 'handler opts 'undefined))
          (routes (maps:get 'routes opts ())))
     (if (not (is_list routes)) (error (tuple 'badarg (tuple 'routes routes))))
     (if (=/= handler 'undefined) (http:check-handler handler))
     (lists:foreach (lambda (r) (http:check-route r)) routes)
     (let* ((owner (self))
            (tag (make_ref))
            (d (spawn (lambda () (http:server-init owner tag opts))))
            (ref (erlang:monitor 'process d)))
       (receive
         ((tuple 'http_server t res) (when (=:= t tag))
          (erlang:demonitor ref (list 'flush))
          res)
         ((tuple 'DOWN r 'process _ reason) (when (=:= r ref))
          (tuple 'error reason))))))
 (defun check-handler
   ((f) (when (is_function f 1)) 'ok)
   (((= (tuple m f) h)) (when (is_atom m) (is_atom f)) 'ok)
   ((h) (error (tuple 'badarg (tuple 'handler h)))))
 (defun check-route
   (((tuple p h)) (http:to-bin p) (http:check-handler h))
   ((r) (error (tuple 'badarg (tuple 'route r)))))
 (defun port (server) (http:server-call server 'http_port))
 (defun stop (server) (http:server-call server 'http_stop))
 (defun server-call (server what)
   (let ((ref (erlang:monitor 'process server)))
     (! server (tuple what (self) ref))
     (receive
       ((tuple r v) (when (=:= r ref)) (erlang:demonitor ref (list 'flush)) v)
       ((tuple 'DOWN r 'process _ _) (when (=:= r ref)) (tuple 'error 'noproc)))))
 ;; The dispatcher: starts the Lua server, then hands requests to handler processes.
 (defun server-init (owner tag opts)
   (let* ((handler (maps:get 'handler opts 'undefined))
          (routes (maps:get 'routes opts ()))
          (handlers (list_to_tuple
                     (cons handler (lists:map (lambda (r) (element 2 r)) routes))))
          (patterns (lists:map (lambda (r) (http:to-bin (element 1 r))) routes))
          (lopts (http:lua-opts (maps:remove 'routes (maps:remove 'handler opts))))
          (lopts1 (if (=:= handler 'undefined) lopts (maps:put #"handler" 'true lopts)))
          (l (lua:spawn (http:server-chunk) (list (self) lopts1 patterns)))
          (lref (erlang:monitor 'process l))
          (oref (erlang:monitor 'process owner)))
     (receive
       ((tuple 'http_listening port)
        (! owner (tuple 'http_server tag (tuple 'ok (self))))
        (http:server-loop (tuple owner oref l lref handlers port)))
       ((tuple 'http_error reason)
        (! owner (tuple 'http_server tag (tuple 'error reason))))
       ((tuple 'DOWN r 'process _ reason) (when (=:= r lref))
        (! owner (tuple 'http_server tag (tuple 'error reason)))))))
 (defun server-loop (st)
   (let (((tuple _ oref l lref handlers port) st))
     (receive
       ((tuple 'http_request conn idx req) (when (is_integer idx))
        (let* ((h (element (+ idx 1) handlers))
               (pid (spawn (lambda () (http:run-handler h req conn)))))
          (! conn (tuple 'http_handler pid)))
        (http:server-loop st))
       ((tuple 'http_port from ref) (! from (tuple ref port)) (http:server-loop st))
       ((tuple 'http_stop from ref)
        (http:server-shutdown l lref)
        (! from (tuple ref 'ok)))
       ((tuple 'DOWN r 'process _ _) (when (=:= r oref))
        (http:server-shutdown l lref))
       ((tuple 'DOWN r 'process _ reason) (when (=:= r lref))
        (exit (tuple 'http_server_down reason)))
       (_ (http:server-loop st)))))
 (defun server-shutdown (l lref)
   (! l 'stop)
   (receive
     ((tuple 'DOWN r 'process _ _) (when (=:= r lref)) 'ok)))
 ;; One request, in its own process: the handler's answer goes to the connection.
 (defun run-handler (handler req conn)
   (let ((resp (http:call-handler handler (http:request-map req))))
     (! conn (tuple 'http_response (self) (http:response-out resp)))))
 (defun call-handler
   ((f req) (when (is_function f 1)) (funcall f req))
   (((tuple m f) req) (erlang:apply m f (list req))))
 ;; The Lua request table as the map a handler gets (cowboy's names where it has them).
 (defun request-map (r)
   (map 'method (maps:get #"method" r)
        'path (maps:get #"path" r)
        'qs (maps:get #"query_string" r #"")
        'query (http:as-map (maps:get #"query" r #M()))
        'bindings (http:as-map (maps:get #"params" r #M()))
        'headers (http:as-map (maps:get #"headers" r #M()))
        'body (maps:get #"body" r #"")
        'version (case (maps:get #"version" r #"HTTP/1.1")
                   (#"HTTP/1.0" 'HTTP/1.0)
                   (_ 'HTTP/1.1))))
 ;; What a handler returns, as the table the Lua server sends.
 (defun response-out
   ((m) (when (is_map m))
    (http:response-out (tuple (maps:get 'status m 200)
                              (maps:get 'headers m #M())
                              (maps:get 'body m #""))))
   (((tuple status headers body)) (when (is_integer status) (>= status 100) (=< status 999))
    (map #"status" status #"headers" (http:headers-out headers) #"body" (http:body-bin body)))
   (((tuple status body)) (when (is_integer status))
    (http:response-out (tuple status #M(#"content-type" #"text/plain; charset=utf-8") body)))
   ((body) (when (orelse (is_binary body) (is_list body)))
    (http:response-out (tuple 200 body)))
   ((other) (error (tuple 'bad_response other))))
 (defun server-chunk ()
   #"local D, opts, patterns = ...
local A, T = term.atom, term.tuple
-- Runs in the connection's process: the request goes to the dispatcher, which
-- names the LFE process handling it; that one is monitored until it answers.
local function call(idx, req)
  local atom = term.atom
  local dm = process.monitor(D)
  process.send(D, term.tuple(atom'http_request', process.self(), idx, req))
  local m = process.receive(function(m)
    return type(m) == 'table' and (m[1] == atom'http_handler' or (m.tag == 'DOWN' and m.ref == dm))
  end)
  process.demonitor(dm)
  process.receive(function(m) return type(m) == 'table' and m.tag == 'DOWN' and m.ref == dm end, 0)
  if m.tag == 'DOWN' then
    return {status = 503, headers = {['Content-Type'] = 'text/plain'}, body = 'server stopping'}
  end
  local h = m[2]
  local hm = process.monitor(h)
  local r = process.receive(function(m)
    return type(m) == 'table' and ((m[1] == atom'http_response' and m[2] == h)
                                   or (m.tag == 'DOWN' and m.ref == hm))
  end)
  if r.tag == 'DOWN' then
    error('LFE handler ' .. tostring(h) .. ' ended: ' .. tostring(r.reason), 0)
  end
  process.demonitor(hm)
  process.receive(function(m) return type(m) == 'table' and m.tag == 'DOWN' and m.ref == hm end, 0)
  return r[3]
end
local routes
for i, p in ipairs(patterns) do
  routes = routes or {}
  routes[p] = function(req) return call(i, req) end
end
opts.routes = routes
if opts.handler then opts.handler = function(req) return call(0, req) end end
local ok, srv = pcall(http.server, opts)
if not ok then
  local e = tostring(srv)
  if string.find(e, 'in use', 1, true) then e = A'eaddrinuse' end
  process.send(D, T(A'http_error', e))
  return
end
process.send(D, T(A'http_listening', srv:port()))
local dm = process.monitor(D)
process.receive(function(m)
  return m == A'stop' or (type(m) == 'table' and m.tag == 'DOWN' and m.ref == dm)
end)
srv:stop()
")

 ;; ---- conversions ----
 (defun opts-map
   ((m) (when (is_map m)) m)
   ((l) (when (is_list l)) (proplists:to_map l))
   ((o) (error (tuple 'badarg o))))
 ;; Options for the Lua server: atom keys as binaries, strings as binaries.
 (defun lua-opts (m)
   (maps:from_list
    (lists:map (lambda (kv)
                 (let (((tuple k v) kv))
                   (tuple (http:to-bin k)
                          (cond ((is_map v) (http:lua-opts v))
                                ((is_list v) (http:to-bin v))
                                ('true v)))))
               (maps:to_list m))))
 ;; A Lua table that was empty arrives as the empty list.
 (defun as-map
   ((()) #M())
   ((m) m))
 (defun method-bin
   ((m) (when (is_atom m)) (http:method-bin (atom_to_binary m)))
   ((m) (list_to_binary (string:uppercase (binary_to_list (http:to-bin m))))))
 (defun to-bin
   ((b) (when (is_binary b)) b)
   ((a) (when (is_atom a)) (atom_to_binary a))
   ((i) (when (is_integer i)) (integer_to_binary i))
   ((l) (when (is_list l)) (http:chars-bin l))
   ((x) (error (tuple 'badarg x))))
 ;; iodata, or a string with characters beyond 255 (UTF-8 encoded).
 (defun chars-bin (l)
   (try (iolist_to_binary l)
     (catch ((tuple _ _ _)
             (list_to_binary (lists:map (lambda (c) (http:utf8-piece c)) (lists:flatten l)))))))
 (defun utf8-piece
   ((c) (when (is_integer c) (>= c 0)) (binary (c utf8)))
   ((b) (when (is_binary b)) b)
   ((x) (error (tuple 'badarg x))))
 (defun body-bin
   ((b) (when (is_binary b)) b)
   ((l) (when (is_list l)) (http:chars-bin l))
   ((x) (error (tuple 'badarg (tuple 'body x)))))
 ;; Headers (a map, or a list of pairs where a name may repeat) as a map of
 ;; binaries; a repeated name maps to the list of its values, as Lua's do.
 (defun headers-out
   ((h) (when (is_map h)) (http:headers-out (maps:to_list h)))
   ((h) (when (is_list h))
    (lists:foldl (lambda (kv acc) (http:add-header kv acc)) #M() h))
   ((h) (error (tuple 'badarg (tuple 'headers h)))))
 (defun add-header
   (((tuple k v) acc)
    (let ((name (http:to-bin k))
          (val (http:to-bin v)))
      (case (maps:find name acc)
        ((tuple 'ok prev) (when (is_binary prev)) (maps:put name (list prev val) acc))
        ((tuple 'ok prev) (maps:put name (++ prev (list val)) acc))
        ('error (maps:put name val acc)))))
   ((h _) (error (tuple 'badarg (tuple 'header h))))))

;; The `httpc:request/1,4` shapes of Erlang's inets, on `http:request`.
(httpc
 (defun request (url) (httpc:request 'get (tuple url ()) () ()))
 (defun request (method req http-opts opts)
   (let* (((tuple url headers body) (httpc:split-request req))
          (timeout (proplists:get_value 'timeout http-opts 'infinity))
          (copts (if (=:= timeout 'infinity) #M() (map 'timeout timeout)))
          (binary? (=:= (proplists:get_value 'body_format opts 'string) 'binary))
          (full? (proplists:get_value 'full_result opts 'true)))
     (case (http:request method url headers body copts)
       ((tuple 'ok m)
        (let* ((status (maps:get 'status m))
               (b (if binary? (maps:get 'body m) (binary_to_list (maps:get 'body m))))
               (hs (lists:map (lambda (kv) (tuple (binary_to_list (element 1 kv))
                                                   (binary_to_list (element 2 kv))))
                              (maps:to_list (maps:get 'headers m)))))
          (if full?
            (tuple 'ok (tuple (tuple "HTTP/1.1" status (httpc:reason-phrase status)) hs b))
            (tuple 'ok (tuple status b)))))
       (err err))))
 (defun split-request
   (((tuple url headers)) (tuple url headers #""))
   (((tuple url headers ct body))
    (tuple url (cons (tuple "content-type" ct) headers) body))
   ((r) (error (tuple 'badarg r))))
 (defun reason-phrase
   ((200) "OK") ((201) "Created") ((202) "Accepted") ((204) "No Content")
   ((206) "Partial Content") ((301) "Moved Permanently") ((302) "Found")
   ((303) "See Other") ((304) "Not Modified") ((307) "Temporary Redirect")
   ((308) "Permanent Redirect") ((400) "Bad Request") ((401) "Unauthorized")
   ((403) "Forbidden") ((404) "Not Found") ((405) "Method Not Allowed")
   ((408) "Request Timeout") ((409) "Conflict") ((413) "Payload Too Large")
   ((415) "Unsupported Media Type") ((426) "Upgrade Required")
   ((429) "Too Many Requests") ((431) "Request Header Fields Too Large")
   ((500) "Internal Server Error") ((501) "Not Implemented") ((502) "Bad Gateway")
   ((503) "Service Unavailable") ((504) "Gateway Timeout")
   ((_) "")))
