;; FizzBuzz with clause guards.
(defun fb
  ((n) (when (== 0 (rem n 15))) "FizzBuzz")
  ((n) (when (== 0 (rem n 3))) "Fizz")
  ((n) (when (== 0 (rem n 5))) "Buzz")
  ((n) (integer_to_list n)))
(lists:foreach (lambda (n) (io:format "~s~n" (list (fb n)))) (lists:seq 1 16))
