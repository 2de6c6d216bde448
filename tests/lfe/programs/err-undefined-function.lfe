(no-such-function 1 2)
