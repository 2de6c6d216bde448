-- a pretty-printer/serializer: sorted keys, cycles detected, strings with %q, round trip through load
local function serialize(v, indent, seen)
  indent = indent or ""
  seen = seen or {}
  local t = type(v)
  if t == "string" then return string.format("%q", v)
  elseif t == "number" or t == "boolean" or t == "nil" then return tostring(v)
  elseif t == "table" then
    if seen[v] then error("cycle detected") end
    seen[v] = true
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      if type(a) == type(b) then return a < b end
      return type(a) == "number"
    end)
    local lines = {}
    local inner = indent .. "  "
    for _, k in ipairs(keys) do
      local ks = type(k) == "string" and k:match("^[%a_][%w_]*$") and k or "[" .. serialize(k) .. "]"
      lines[#lines + 1] = inner .. ks .. " = " .. serialize(v[k], inner, seen) .. ","
    end
    seen[v] = nil
    if #lines == 0 then return "{}" end
    return "{\n" .. table.concat(lines, "\n") .. "\n" .. indent .. "}"
  end
  error("cannot serialize " .. t)
end
local data = {name = "test", list = {3, 2, 1}, flags = {on = true, off = false}, [10] = "ten",
  ["key with spaces"] = "x\ny", nested = {deeper = {deepest = {}}}, pi = 3.14159}
local text = serialize(data)
print(text)
local back = load("return " .. text)()
print(serialize(back) == text)
local cyc = {} cyc.self = cyc
print(pcall(serialize, cyc))
print(pcall(serialize, {f = print}))
