(lists:no-such-function 1)
