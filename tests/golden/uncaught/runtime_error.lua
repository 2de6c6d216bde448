-- an uncaught runtime error ends the program: stdout so far, message and traceback on stderr, status 1
print("before the error")
local t = nil
local function f() return t.field end
f()
print("not reached")
