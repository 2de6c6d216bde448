;; An LFE client for tests/lfe_http.rs: serves itself with http:server, calls it with
;; http:request and httpc:request, then a closed port, printing each result.
(set (tuple 'ok srv)
     (http:server (map 'listen "127.0.0.1:0"
                       'handler (lambda (req) (tuple 200 (list #"got " (mref req 'body)))))))
(set base (++ "http://127.0.0.1:" (integer_to_list (http:port srv))))
(case (http:request 'post (++ base "/p") (map "x-a" "1") "ping" (list #(timeout 5000)))
  ((tuple 'ok (map 'status s 'body b)) (lfe_io:format "request ~w ~s~n" (list s b))))
(case (httpc:request (++ base "/q"))
  ((tuple 'ok (tuple (tuple v s r) _ b)) (lfe_io:format "httpc ~s ~w ~s ~s~n" (list v s r b))))
(lfe_io:format "stop ~w~n" (list (http:stop srv)))
(lfe_io:format "closed ~w~n" (list (http:request 'get (++ "http://127.0.0.1:" (car script-args) "/") () #"")))
