-- a state machine written with goto: tokenize a string into numbers and words
local input = "abc 12 de 345 f"
local pos, tokens = 1, {}
local c
::start::
c = input:sub(pos, pos)
if c == "" then goto done end
if c:match("%d") then goto number end
if c:match("%a") then goto word end
pos = pos + 1
goto start
::number::
do
  local s, e = input:find("^%d+", pos)
  tokens[#tokens + 1] = "NUM(" .. input:sub(s, e) .. ")"
  pos = e + 1
end
goto start
::word::
do
  local s, e = input:find("^%a+", pos)
  tokens[#tokens + 1] = "WORD(" .. input:sub(s, e) .. ")"
  pos = e + 1
end
goto start
::done::
print(table.concat(tokens, " "))
