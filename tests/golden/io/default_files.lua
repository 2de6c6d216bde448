-- default files used through their handles too: io.output(f)/io.input(f) of the current default, closing the default, io.lines() over the default input, __gc, tostring, io.type
local name = os.tmpname()
local function content(n)
  local f = assert(io.open(n, "rb")) local s = f:read("*a") f:close() return s
end
local function show(...) print(select("#", ...), ...) end

-- io.output(f) while f is already the default output, writing through both
local f = assert(io.open(name, "w"))
print(io.output(f) == f, io.output(f) == f, io.output() == f)
print(f:write("a", 1, "b") == f, io.write("c", 2.5) == f)
f:write("d"):write("e") io.write("f")
print(io.type(f), io.type(io.output()), tostring(f):match("^file %(0x%x+%)$") ~= nil)
show(io.flush()) show(f:flush())
show(f:setvbuf("no")) io.write("g") show(f:seek("cur")) show(io.output():seek("set", 1))
print(content(name))

-- closing the default output through its handle
show(f:close())
print(io.type(f), io.type(io.output()), tostring(io.output()))
show(pcall(io.write, "x"))
show(pcall(io.write, {}))
show(pcall(io.flush))
show(pcall(io.close))
show(pcall(f.write, f, "x"))
show(pcall(f.close, f))
show(pcall(f.seek, f, "bad"))
show(pcall(f.setvbuf, f, "no"))
show(pcall(f.lines, f))
show(pcall(io.output, f))
print(io.output() == f)

-- io.close() closes the default output; standard files refuse
io.output(name)
io.write("h", "i")
show(io.close())
print(io.type(io.output()), content(name))
show(pcall(io.close))
io.output(io.stdout)
show(io.close())
show(io.output():close())
show(io.stdout:close())
print(io.type(io.stdout), io.output() == io.stdout)

-- a failed argument stops g_write after the earlier ones are written
f = assert(io.open(name, "w"))
io.output(f)
show(pcall(f.write, f, "j", 3, {}, "k"))
show(pcall(io.write, "l", nil))
f:close()
io.output(io.stdout)
print(content(name))

-- io.input(f) while f is the default input, io.lines() over it, io.read meanwhile
f = assert(io.open(name, "w")) f:write("1\n2\n3\n4\n5\n6\n7\n") f:close()
f = assert(io.open(name))
print(io.input(f) == f, io.input(f) == f, io.input() == f)
for l in io.lines() do
  io.write("[", l, ":", tostring(io.read()), ":", tostring(f:read("*l")), "]")
end
print()
show(io.read(), f:read(), io.read("*a"), f:read(0))
for l in f:lines() do print("never", l) end
f:seek("set", 2)
local it = io.lines()
show(it(), io.read("*n"), it())
show(io.lines() ~= it, it == it)
f:seek("set")
for a, b in f:lines(1, "*l") do io.write(a, "|", b, " ") if a == "4" then break end end
print()
show(io.close(f))
show(pcall(io.read))
show(pcall(io.read, "*x"))
show(pcall(io.lines))
show(pcall(it))
print(io.type(io.input()), tostring(io.input()))
io.input(io.stdin)
print(io.input() == io.stdin, io.type(io.stdin))

-- an iterator keeps its file in an upvalue
f = assert(io.open(name))
it = f:lines("*n")
f = nil
collectgarbage() collectgarbage()
show(it(), it(), it())
it = io.lines(name)
for i = 1, 7 do it() end
show(it())
show(pcall(it))

-- __gc closes (and flushes) files; calling it by hand, on closed files, on other values
f = assert(io.open(name, "w"))
f:write("written before collection")
f = nil
collectgarbage() collectgarbage()
print(content(name))
f = assert(io.open(name))
local gc = getmetatable(f).__gc
show(gc(f))
print(io.type(f), tostring(f))
show(gc(f))
show(gc(io.stdout))
print(io.type(io.stdout), io.stdout:write("stdout still open\n") == io.stdout)
show(pcall(gc, {}))
show(pcall(getmetatable(f).__tostring, 1))
print(io.type(nil), io.type({}), io.type(io.stdin), io.type(io.stderr))

os.remove(name)
