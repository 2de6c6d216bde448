-- table.concat with separators, i/j ranges, numbers, and errors for invalid values
local t = {1, 2, "three", 4.5}
print(table.concat(t), table.concat(t, ", "), table.concat(t, "-", 2), table.concat(t, "-", 2, 3))
print(table.concat({}), table.concat({}, "x") == "", table.concat(t, ",", 3, 2) == "", table.concat({"a"}, ",", 1, 1))
print(pcall(table.concat, {1, {}, 3}))
print(pcall(table.concat, {1, 2}, ",", 1, 3))
print(pcall(table.concat, {true}))
print(table.concat({"a", "b"}, 3))
print(pcall(table.concat, {}, ",", -1, 1))
print(pcall(table.concat, {}, {}))
