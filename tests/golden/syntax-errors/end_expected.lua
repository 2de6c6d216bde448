-- "'end' expected (to close 'X' at line N)" and "'until' expected" for unclosed blocks
local cases = {
  "if x then",
  "if x then\nelse\n",
  "while true do\n\n",
  "function f()\n  return 1\n",
  "do",
  "for i = 1, 2 do\n",
  "local t = function()\n",
  "repeat\n x = 1\n",
  "if a then\nelseif b then\n\n\n",
  "function f()\n  if x then\n  end\n",
  "do do end",
}
for i, src in ipairs(cases) do
  local f, err = load(src)
  print(i, err)
end
