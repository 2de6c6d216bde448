(throw (tuple (quote ball) 1 "two"))
