-- errors reported near <eof>, and the line number at the end of input
local cases = {
  "x = ",
  "local",
  "function",
  "x = {",
  "x = f(1,",
  "\n\n\nx = ",
  "return 1 +\n\n",
}
for i, src in ipairs(cases) do
  local f, err = load(src)
  print(i, err)
end
