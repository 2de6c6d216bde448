-- line numbers reported for errors in expressions and calls spread over several lines
local t = {}
print(pcall(function()
  local x = 1 +
    t.missing
end))
print(pcall(function()
  return t
    .a
    .b
end))
print(pcall(function()
  local f = nil
  f(
    1,
    2
  )
end))
print(pcall(function()
  error("on line 19")
end))
print(pcall(function() local s = "a" .. {} end))
