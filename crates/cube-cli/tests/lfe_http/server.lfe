;; An LFE HTTP server for tests/lfe_http.rs: prints its port and serves until the
;; test kills it.
(defun hello (req)
  (map 'status 200
       'headers (list #(#"content-type" #"text/plain") #(#"x-multi" "a") #(#"x-multi" "b"))
       'body (list #"hello " (maps:get #"name" (mref req 'query) #"world"))))
(set (tuple 'ok srv)
     (http:server
      (map 'listen "127.0.0.1:0"
           'handler (lambda (req) (hello req))
           'routes (list (tuple "/users/:id"
                                (lambda (req) (tuple 200 (mref (mref req 'bindings) #"id"))))
                         (tuple "/echo"
                                (lambda (req)
                                  (map 'status 201 'body (list (mref req 'method) #" " (mref req 'body)))))
                         (tuple "/crash" (lambda (req) (error 'boom)))))))
;; Printed by a Lua process, whose io.stdout:flush() pushes it through the pipe.
(lua:spawn "local port = ... print(port) io.stdout:flush()" (list (http:port srv)))
(receive (_ 'ok))
