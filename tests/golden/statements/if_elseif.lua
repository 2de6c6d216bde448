-- if / elseif / else chains with truthiness of various values
local function classify(v)
  if v == nil then return "nil"
  elseif v == false then return "false"
  elseif type(v) == "number" and v < 0 then return "negative"
  elseif v == 0 then return "zero"
  elseif type(v) == "string" then
    if #v == 0 then return "empty string" else return "string" end
  else return "other" end
end
for _, v in ipairs{0, -1, 5, "", "s"} do print(v, classify(v)) end
print(classify(nil), classify(false), classify({}) )
if 0 then print("0 is true") end
if "" then print("empty string is true") end
if not nil then print("not nil") end
