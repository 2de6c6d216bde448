(exit (quote goodbye))
