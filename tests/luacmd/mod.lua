-- A module for `-l mod`.
print("loading mod", ...)
return { name = "mod" }
