;; A supervised worker pool in LFE: a pool process starts N linked workers and traps
;; their exits, as a one_for_one supervisor does. It hands jobs to the workers in turn
;; and remembers which caller each worker is serving; when a worker crashes on a bad
;; job, the pool answers that caller with the error, starts a replacement in the same
;; slot and goes on. Jobs are "divide 1000 by X": X = 0 crashes the worker (badarith).
;;   cube-cli run examples/lfe/pool.lfe [WORKERS] [JOBS]

;; A worker: compute, answer the caller directly, wait for the next job.
(defun worker ()
  (receive
    ((tuple 'job from ref x)
     (! from (tuple ref (tuple 'ok (div 1000 x))))
     (worker))))

(defun start-worker () (spawn_link #'worker/0))

;; The pool's state: a tuple of worker pids, the next slot to use, the jobs in
;; flight (a map from worker pid to the #(caller ref) it last took) and the restarts.
(defun pool (workers next busy restarts)
  (receive
    ((tuple 'job from ref x)
     (let ((w (element next workers)))
       (! w (tuple 'job from ref x))
       (pool workers (+ (rem next (tuple_size workers)) 1)
             (maps:put w (tuple from ref) busy) restarts)))
    ((tuple 'EXIT w reason) (when (=/= reason 'normal))
     ;; One for one: replace the crashed worker in its slot; tell its caller.
     (case (maps:find w busy)
       ((tuple 'ok (tuple from ref)) (! from (tuple ref (tuple 'error (crash-reason reason)))))
       ('error 'ok))
     (pool (replace workers w (start-worker)) next (maps:remove w busy) (+ restarts 1)))
    ((tuple 'stats from)
     (! from (tuple 'stats restarts (tuple_size workers)))
     (pool workers next busy restarts))))

(defun crash-reason
  (((tuple r _)) r)
  ((r) r))

(defun replace (workers old new)
  (list_to_tuple (lists:map (lambda (w) (if (== w old) new w)) (tuple_to_list workers))))

(defun start-pool (n)
  (spawn (lambda ()
           (process_flag 'trap_exit 'true)
           (let ((ws (list_to_tuple (lists:map (lambda (_) (start-worker)) (lists:seq 1 n)))))
             (pool ws 1 #M() 0)))))

;; A call: send the job with a fresh reference and wait for the answer carrying it
;; (from the worker, or from the pool when the worker crashed).
(defun run-job (pool x)
  (let ((ref (make_ref)))
    (! pool (tuple 'job (self) ref x))
    (receive ((tuple r result) (when (== r ref)) result))))

(let* ((args (lists:map #'list_to_integer/1 script-args))
       (n (case args ((cons n _) n) (_ 3)))
       (jobs (case args ((list _ j) j) (_ 12)))
       (p (start-pool n))
       ;; Every fourth job divides by zero.
       (results (lists:map (lambda (i) (run-job p (rem i 4))) (lists:seq 1 jobs)))
       (oks (lc ((<- (tuple 'ok v) results)) v))
       (errors (lc ((<- (tuple 'error r) results)) r)))
  (! p (tuple 'stats (self)))
  (receive
    ((tuple 'stats restarts size)
     (io:format "~w jobs on ~w workers: ~w answers (sum ~w), ~w errors ~w, ~w restarts~n"
                (list jobs size (length oks) (lists:sum oks) (length errors)
                      (lists:usort errors) restarts)))))
