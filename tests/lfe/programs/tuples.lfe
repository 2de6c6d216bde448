;; Tuples: element, setelement, tuple_size, list conversion, erlang:append_element.
(defun show (x) (lfe_io:format "~w~n" (list x)))
(let ((t #(a b c)))
  (show (list (element 1 t) (tuple_size t) (setelement 2 t 'x) t))
  (show (tuple_to_list t))
  (show (list_to_tuple '(1 2)))
  (show (erlang:append_element t 'd))
  (show (erlang:delete_element 1 t))
  (show (erlang:insert_element 2 t 'new)))
