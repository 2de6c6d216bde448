;; catch: values of throw, error and exit; what passes through unchanged.
(defun show (x) (lfe_io:format "~w~n" (list x)))
(show (catch 42))
(show (catch (throw #(my value))))
(show (catch (exit 'bye)))
(show (element 1 (catch (error 'bad))))
(show (element 1 (element 2 (catch (error 'bad)))))
(show (catch (+ 1 (throw 10))))
