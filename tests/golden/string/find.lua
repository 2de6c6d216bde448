-- string.find: plain and pattern searches, init positive/negative/out of range, captures returned
local s = "hello world, hello lua"
print(s:find("hello"), s:find("hello", 2), s:find("hello", -9), s:find("xyz"))
print(s:find("l+"), s:find("o", 5), s:find("o", -3), s:find(""), s:find("", 100), s:find("", #s + 1))
print(s:find(".", 1, true), s:find("o w", 1, true), s:find("(h)(e)"), s:find("%s(%a+)$"))
print(("a.b"):find(".", 2, true), ("a+b"):find("+", 1, true), ("a+b"):find("a+b"), ("[x]"):find("[", 1, true))
print(s:find("hello", 0), s:find("hello", -100), s:find("lua", -3), s:find("l", #s))
print(("abc"):find("b", nil), ("abc"):find("b", 1, false), ("a%b"):find("%", 1, true))
print(("aaa"):find("a-", 2), ("aaa"):find("()a"), ("x"):find("x", 2), ("x"):find("", 2), ("x"):find("", 3))
