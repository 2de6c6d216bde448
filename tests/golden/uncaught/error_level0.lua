-- an uncaught error at level 0 (no position) with a multi-line message
error("line one\nline two", 0)
