-- malformed numbers
local cases = {
  "x = 1..2",
  "x = 3x",
  "x = 0xg",
  "x = 1e",
  "x = 1.2.3",
  "x = 0x1p",
  "x = 08z",
  "x = 1e+",
  "x = .5.",
}
for i, src in ipairs(cases) do
  local f, err = load(src)
  print(i, err)
end
