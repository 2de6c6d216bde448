-- "'X' expected near Y" messages: '=', ')', ']', '}', 'then', 'do', 'in', <name>, <eof>
local cases = {
  "local x 1",
  "print(1",
  "t[1 = 2",
  "t = {1, 2",
  "if x print(1) end",
  "while x print(1) end",
  "for i = 1, 2 print(i) end",
  "for k, v pairs(t) do end",
  "for i do end",
  "function 1() end",
  "local function () end",
  "x = 1 end",
  "goto 1",
  "x.1 = 2",
  "t = {[1] 2}",
  "local a <const> = 1",
}
for i, src in ipairs(cases) do
  local f, err = load(src)
  print(i, err)
end
