-- assorted syntax errors: bad assignments, calls, method syntax, function names, <eof>
local cases = {
  "x",
  "x.y",
  "f() = 1",
  "local function a.b() end",
  "function a:b:c() end",
  "a:b",
  "return 1 2",
  "x = function(a, 1) end",
  "x = function(..., a) end",
  "local t = {1 2}",
  "return (1",
  "x = not",
  "1 + 1",
  "elseif",
  "x = #",
}
for i, src in ipairs(cases) do
  local f, err = load(src)
  print(i, err)
end
