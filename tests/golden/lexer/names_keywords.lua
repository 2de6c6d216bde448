-- identifiers, keywords as table keys via strings, underscores, case sensitivity
local _ = 1
local _x, X_1, x = 2, 3, 4
local And, NIL = "And", "NIL"
print(_, _x, X_1, x, And, NIL)
local t = {["end"] = 1, ["while"] = 2, goto_ = 3}
print(t["end"], t["while"], t.goto_)
local function f() return "f" end
print(f(), type(f))
print(#"_ABCabc123")
