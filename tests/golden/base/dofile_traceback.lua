-- dofile is a real call: it stays in tracebacks and the chunk is the main chunk, not 'dofile'
local function run()
  local tb, name, what = dofile("tests/golden/modules/dofile_traceback.lua")
  return tb, name, what
end
local tb, name, what = run()
print(tb)
print(name, what)
-- a tail-called dofile keeps its own frame too
local function tail() return dofile("tests/golden/modules/dofile_traceback.lua") end
print((tail()))
