-- 'unexpected symbol near X' in its common forms
local cases = {
  "x = = 1",
  "local 1 = 2",
  "f(",
  "x = )",
  "return return",
  "x = 1 +",
  "a.b:c = 1",
  "(x) = 1",
  "x = }",
  "@",
  "x = 'a' $",
}
for i, src in ipairs(cases) do
  local f, err = load(src)
  print(i, f, err)
end
