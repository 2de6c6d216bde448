-- numbers written inside strings and converted back; %.14g round trips
for _, s in ipairs{"0x10", "1e1", " 5 ", "5 x", "0x1P+4", "-0x10", "- 1", "1e+", "inf", "nan", ".5", "5.", "0x.p1"} do
  print(string.format("%q", s), tonumber(s))
end
