-- unfinished strings, long strings and long comments; invalid escapes
local cases = {
  "x = 'abc",
  "x = \"abc\ny\"",
  "x = [[abc",
  "x = [==[abc]=]",
  "--[[ never closed",
  "x = '\\q'",
  "x = '\\x4'",
  "x = '\\xZZ'",
  "x = '\\300'",
  "x = '\\256'",
  "x = [=",
  "x = 'abc\\",
}
for i, src in ipairs(cases) do
  local f, err = load(src)
  print(i, err)
end
