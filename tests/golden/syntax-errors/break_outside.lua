-- break outside a loop, vararg outside a vararg function
local cases = {
  "break",
  "if x then break end",
  "function f() break end",
  "while true do local function g() break end end",
  "function f() return ... end",
  "local function f(a) local t = {...} end",
  "return ...",
  "function f(...) return function() return ... end end",
}
for i, src in ipairs(cases) do
  local f, err = load(src)
  print(i, f and "compiled" or err)
end
