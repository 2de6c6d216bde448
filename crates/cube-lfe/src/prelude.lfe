;; The library functions that take funs, written in LFE so that they run on the
;; evaluator's own stack (a native could not call back into LFE code without
;; recursing on the Rust stack). Each top-level form is (MODULE (defun ...) ...).
;; Calls between library functions are always module-qualified: an unqualified call
;; would resolve to the script's own functions.

(lists
 (defun sublist (l start len)
   (lists:sublist (lists:nthtail (- start 1) l) len))
 (defun subtract (a b) (-- a b))
 (defun map
   ((f (cons x xs)) (cons (funcall f x) (lists:map f xs)))
   ((_ ()) ()))
 (defun foldl
   ((f acc (cons x xs)) (lists:foldl f (funcall f x acc) xs))
   ((_ acc ()) acc))
 (defun foldr
   ((f acc (cons x xs)) (funcall f x (lists:foldr f acc xs)))
   ((_ acc ()) acc))
 (defun filter
   ((p (cons x xs))
    (if (funcall p x) (cons x (lists:filter p xs)) (lists:filter p xs)))
   ((_ ()) ()))
 (defun foreach
   ((f (cons x xs)) (funcall f x) (lists:foreach f xs))
   ((_ ()) 'ok))
 (defun any
   ((p (cons x xs)) (if (funcall p x) 'true (lists:any p xs)))
   ((_ ()) 'false))
 (defun all
   ((p (cons x xs)) (if (funcall p x) (lists:all p xs) 'false))
   ((_ ()) 'true))
 (defun flatmap
   ((f (cons x xs)) (++ (funcall f x) (lists:flatmap f xs)))
   ((_ ()) ()))
 (defun zipwith
   ((f (cons x xs) (cons y ys)) (cons (funcall f x y) (lists:zipwith f xs ys)))
   ((_ () ()) ()))
 (defun takewhile
   ((p (cons x xs)) (if (funcall p x) (cons x (lists:takewhile p xs)) ()))
   ((_ ()) ()))
 (defun dropwhile
   ((p (= (cons x xs) l)) (if (funcall p x) (lists:dropwhile p xs) l))
   ((_ ()) ()))
 (defun partition (p l) (lists:partition p l () ()))
 (defun partition
   ((p (cons x xs) yes no)
    (if (funcall p x)
      (lists:partition p xs (cons x yes) no)
      (lists:partition p xs yes (cons x no))))
   ((_ () yes no) (tuple (lists:reverse yes) (lists:reverse no))))
 (defun mapfoldl
   ((f acc (cons x xs))
    (let* (((tuple y acc1) (funcall f x acc))
           ((tuple ys acc2) (lists:mapfoldl f acc1 xs)))
      (tuple (cons y ys) acc2)))
   ((_ acc ()) (tuple () acc)))
 ;; A stable merge sort; (funcall le a b) says a may come before b.
 (defun sort
   ((_ ()) ())
   ((_ (= (list _) l)) l)
   ((le l)
    (let* ((n (div (length l) 2))
           (a (lists:sort le (lists:sublist l n)))
           (b (lists:sort le (lists:nthtail n l))))
      (lists:merge-by le a b))))
 (defun merge-by
   ((le (= (cons x xs) a) (= (cons y ys) b))
    (if (funcall le x y)
      (cons x (lists:merge-by le xs b))
      (cons y (lists:merge-by le a ys))))
   ((_ () b) b)
   ((_ a ()) a)))

(maps
 (defun map (f m)
   (maps:from_list
    (lists:map (match-lambda (((tuple k v)) (tuple k (funcall f k v))))
               (maps:to_list m))))
 (defun fold (f acc m)
   (lists:foldl (match-lambda (((tuple k v) a) (funcall f k v a)))
                acc (maps:to_list m)))
 (defun filter (p m)
   (maps:from_list
    (lists:filter (match-lambda (((tuple k v)) (funcall p k v)))
                  (maps:to_list m)))))

(timer
 (defun sleep (ms) (receive (after ms 'ok)))
 ;; The timer module's references are `{timer, Ref}` here (opaque in Erlang too).
 (defun send_after (time msg) (timer:send_after time (self) msg))
 (defun send_after (time dest msg)
   (tuple 'ok (tuple 'timer (erlang:send_after time dest msg))))
 (defun apply_after (time m f args)
   (let* ((ref (make_ref))
          (pid (spawn (lambda ()
                        (receive
                          ('cancel 'ok)
                          (after time
                            (erlang:timer-done ref)
                            (apply m f args)))))))
     (erlang:timer-register ref pid time)
     (tuple 'ok (tuple 'timer ref))))
 ;; send_interval: a helper sends every `time` ms until cancelled or until the
 ;; destination process ends (it monitors it), as Erlang's interval timers.
 (defun send_interval (time msg) (timer:send_interval time (self) msg))
 (defun send_interval
   ((time dest msg) (when (is_integer time) (>= time 0))
    (let* ((ref (make_ref))
           (pid (spawn (lambda ()
                         (if (is_pid dest) (monitor 'process dest) 'ok)
                         (timer:interval-loop time dest msg)))))
      (erlang:timer-register ref pid time)
      (tuple 'ok (tuple 'timer ref))))
   ((_ _ _) (tuple 'error 'badarg)))
 (defun interval-loop (time dest msg)
   (receive
     ('cancel 'ok)
     ((tuple 'DOWN _ 'process _ _) 'ok)
     (after time
       (erlang:send dest msg)
       (timer:interval-loop time dest msg))))
 (defun cancel
   (((tuple 'timer ref)) (erlang:cancel_timer ref) (tuple 'ok 'cancel))
   ((_) (tuple 'error 'badarg))))

(erlang
 ;; send_after: a small helper process waits and sends (cube's timer thread wakes
 ;; processes, it does not deliver messages); the value is a fresh reference, as
 ;; Erlang's timer reference, which the runtime maps to the helper (timer-register),
 ;; so that cancel_timer can stop it and tell the time that was left.
 (defun send_after
   ((time dest msg) (when (is_integer time) (>= time 0) (is_pid dest))
    (erlang:send_after_ref time dest msg))
   ((time dest msg) (when (is_integer time) (>= time 0) (is_atom dest))
    (erlang:send_after_ref time dest msg))
   ((_ _ _) (error 'badarg)))
 (defun send_after_ref (time dest msg)
    (let* ((ref (make_ref))
           (pid (spawn (lambda ()
                         (receive
                           ('cancel 'ok)
                           (after time
                             (erlang:timer-done ref)
                             (erlang:send dest msg)))))))
      (erlang:timer-register ref pid time)
      ref))
 ;; start_timer: as send_after, the message being {timeout, Ref, Msg}.
 (defun start_timer
   ((time dest msg) (when (is_integer time) (>= time 0))
    (let* ((ref (make_ref))
           (pid (spawn (lambda ()
                         (receive
                           ('cancel 'ok)
                           (after time
                             (erlang:timer-done ref)
                             (erlang:send dest (tuple 'timeout ref msg))))))))
      (erlang:timer-register ref pid time)
      ref))
   ((_ _ _) (error 'badarg)))
 ;; cancel_timer: the milliseconds that were left, or false when the timer has
 ;; fired or was cancelled already.
 (defun cancel_timer (ref)
   (case (erlang:timer-take ref)
     ((tuple pid left) (erlang:send pid 'cancel) left)
     ('false 'false)))
 (defun cancel_timer (ref _opts) (erlang:cancel_timer ref))
 (defun read_timer (ref) (erlang:timer-left ref))
 ;; spawn_opt with the options link and monitor (others, such as heap sizes, are
 ;; accepted and ignored). The link is made as the process starts (spawn_link); the
 ;; monitor just after it, so a process that is gone by then reports noproc.
 (defun spawn_opt (f opts)
   (erlang:spawn_opt_result (if (lists:member 'link opts) (spawn_link f) (spawn f)) opts))
 (defun spawn_opt (m f args opts)
   (erlang:spawn_opt_result
    (if (lists:member 'link opts) (spawn_link m f args) (spawn m f args)) opts))
 (defun spawn_opt_result (pid opts)
   (if (lists:member 'monitor opts)
     (tuple pid (monitor 'process pid))
     pid)))
