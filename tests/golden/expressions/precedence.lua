-- operator precedence and associativity
print(2 + 3 * 4, (2 + 3) * 4, 2 * 3 ^ 2, -2 ^ 2, not true == false)
print(1 .. 2 == "12", "a" .. "b" == "ab" and "yes", 1 < 2 == true)
print(2 ^ 3 ^ 2, (2 ^ 3) ^ 2, 100 / 10 / 2, 100 - 10 - 2)
print(#"abc" + 1, -#"ab", #{1, 2} * 2)
print(1 + 2 .. "", 2 .. 3 + 1)
print(nil == false or 1 and 2, false or nil and 1)
print(5 > 3 and 3 > 1, "x" .. "y" < "xz")
