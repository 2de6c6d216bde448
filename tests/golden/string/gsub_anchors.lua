-- gsub and find with anchors: ^ anchors only at the start, $ only at the end; gsub with ^ replaces once
print(("aaa"):gsub("^a", "b"))
print(("aaa"):gsub("a$", "b"))
print(("hello hello"):gsub("^hello", "bye"))
print(("x^y"):gsub("%^", "-"), ("$x$"):gsub("%$", "S"))
print(("  lead"):gsub("^%s+", ""), ("trail  "):gsub("%s+$", ""))
print(("abc"):find("^b"), ("abc"):find("^a"), ("abc"):find("^", 2), ("abc"):match("^(.-)$"))
print(("line1\nline2"):gsub("^", "> "))
print(("a\nb\nc"):gsub("\n", "\n> "))
