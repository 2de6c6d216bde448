-- character classes %a %c %d %g %l %p %s %u %w %x and complements, counted over all 256 bytes
local all = {} for i = 0, 255 do all[#all + 1] = string.char(i) end
local s = table.concat(all)
for _, c in ipairs{"a", "c", "d", "g", "l", "p", "s", "u", "w", "x"} do
  local n1 = select(2, s:gsub("%" .. c, ""))
  local n2 = select(2, s:gsub("%" .. c:upper(), ""))
  local sample = s:gsub("[^%" .. c .. "]", ""):sub(1, 12):gsub("%c", "?")
  print("%" .. c, n1, n2, n1 + n2, string.format("%q", sample))
end
print(("a1 b2_c3"):gsub("%w", "*"), ("a.b,c!"):gsub("%p", ""), ("tab\there"):match("%s"):byte())
print(("x"):match("%z") == nil, ("a\0b"):find("%z"))
