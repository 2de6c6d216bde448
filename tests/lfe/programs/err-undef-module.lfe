;; A call of a function of a module that does not exist: undef.
(no_such_module:f 1 2)
