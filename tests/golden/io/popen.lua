-- io.popen reading a command's output and its close status
local p = io.popen("echo hello; echo world")
print(p:read("*l"), p:read("*a"))
print(p:close())
local q = io.popen("exit 5")
print(q:read("*a") == "", q:close())
