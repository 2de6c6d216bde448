-- an uncaught error from deep inside nested calls (traceback is long; only the message is compared)
local function recurse(n) if n == 0 then local s = "x" + {} end return recurse(n - 1) + 1 end
print("start")
recurse(30)
