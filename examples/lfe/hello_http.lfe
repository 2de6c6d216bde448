;; HTTP from LFE: a server whose handlers are module functions (#(module fun)), and
;; the client calling it. `cube-cli run examples/lfe/hello_http.lfe` serves on a
;; free port, calls itself twice, prints the answers and stops.
(defmodule hello_http
  (export (main 0) (hello 1) (user 1)))

(defun hello (req)
  (map 'status 200
       'headers #M(#"content-type" #"text/plain")
       'body (list #"hello " (maps:get #"name" (mref req 'query) #"world") #"\n")))

(defun user (req)
  (tuple 200 (list #"user " (mref (mref req 'bindings) #"id") #"\n")))

(defun main ()
  (let* (((tuple 'ok srv) (http:server
                           (map 'listen "127.0.0.1:0"
                                'handler #(hello_http hello)
                                'routes (list #("/users/:id" #(hello_http user))))))
         (base (++ "http://127.0.0.1:" (integer_to_list (http:port srv)))))
    (lists:foreach
     (lambda (path)
       (let (((tuple 'ok (map 'status s 'body b)) (http:get (++ base path))))
         (lfe_io:format "~s ~w ~s" (list path s b))))
     (list "/?name=lfe" "/users/7"))
    (http:stop srv)))
