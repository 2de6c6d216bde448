-- string <-> number coercions in arithmetic and concatenation
print("10" + 5, "3" * "4", "2" ^ "3", "10" / "4", "-7" % "3", -"2")
print(" 0x10 " + 0, "1e2" + 0, "  5\t\n" * 2)
print(10 .. 20, 1.5 .. "", -0.0 .. "", 2^53 .. "")
print(pcall(function() return "abc" + 1 end))
print(pcall(function() return {} .. "" end))
print("10" == 10, "10" + 0 == 10, tostring(10) == "10")
print(math.max("10", "9"), ("5"):rep(3), #("123" .. 456))
print(pcall(function() return "10" < 5 end))
