-- Generates lua52_cases.txt: random inputs for the text engines with the outputs of
-- PUC-Rio Lua 5.2.4. Run once with `lua5.2 gen_lua52_cases.lua > lua52_cases.txt`; the unit
-- tests only read the recorded file (they never need lua5.2).
--
-- One case per line, tab-separated fields, each field escaped: bytes outside 0x20..0x7e and
-- the backslash are written as \xHH. Numbers are written with %a (exact), or inf/-inf/nan/-nan.
--   T  number                      -> tostring(number)
--   N  string                      -> tonumber(string) as a number or "nil"
--   B  string  base                -> tonumber(string, base)
--   F  fmt  nargs  args...         -> string.format result: "ok:<text>" or "err:<message>"
--        (an arg is "n:<number>" or "s:<string>")
--   P  fn  subject  pattern  extra -> rendered result of find/match/gmatch/gsub

math.randomseed(52)
local R = math.random

local function esc(s)
  return (s:gsub(".", function(c)
    local b = c:byte()
    if b < 32 or b > 126 or c == "\\" then return string.format("\\x%02X", b) end
  end))
end

local function num(x)
  if x ~= x then return string.format("%f", x) end -- "nan" or "-nan", with the sign bit
  if x == math.huge then return "inf" elseif x == -math.huge then return "-inf" end
  return string.format("%a", x)
end

local function out(...)
  local t = { ... }
  for i = 1, #t do t[i] = esc(t[i]) end
  io.write(table.concat(t, "\t"), "\n")
end

local specials = { 0, -0.0, 1/0, -1/0, 0/0, -(0/0), 0.5, 1.5, 2.5, -2.5, 1e15, 1e14, 1e16,
  2^53, 2^63, -2^63, 2^64, 5e-324, 1e-310, 1.7976931348623157e308, 0.1, 1/3, 2/3, 123.456,
  99999999999999.5, 1e-5, 1e-4, 9.5, 0.05, 255, 65, 1e100, -1e-300 }

local function rnd_double()
  local r = R(1, 10)
  if r == 1 then return specials[R(#specials)]
  elseif r <= 4 then return R(-100000, 100000) * (R(2) == 1 and 1 or 10 ^ R(0, 12))
  elseif r <= 7 then return R(-999999, 999999) / 10 ^ R(0, 8)
  else
    local m = R(0, 2^26 - 1) * 2^26 + R(0, 2^26 - 1)
    local e = R(-1074, 1023)
    return (R(2) == 1 and -1 or 1) * (2^52 + m % 2^52) * 2^(e - 52)
  end
end

local function rnd_string(alphabet, maxlen)
  local t = {}
  for i = 1, R(0, maxlen) do
    local k = R(#alphabet)
    t[i] = alphabet:sub(k, k)
  end
  return table.concat(t)
end

-- tostring
for _ = 1, 1500 do
  local x = rnd_double()
  out("T", num(x), tostring(x))
end

for _ = 1, 300 do
  local x = R(1, 4) == 1 and (1e14 - R(0, 3) + R(0, 4) / 4) or (R(-1e6, 1e6) + R(0, 3) / 4) * 10 ^ R(-20, 20)
  out("T", num(x), tostring(x))
end

-- tonumber
for _ = 1, 400 do
  local s = rnd_string("123456789", R(1, 30)) .. (R(2) == 1 and "." .. rnd_string("0123456789", 10) or "")
  s = s .. "e" .. (R(2) == 1 and "-" or "") .. R(290, 330)
  local v = tonumber(s)
  out("N", s, v == nil and "nil" or num(v))
end
local numchars = "0123456789abcdefxXpPeE.+- \t\n\0n"
for _ = 1, 1500 do
  local s
  local r = R(1, 4)
  if r == 1 then s = rnd_string(numchars, 8)
  elseif r == 2 then s = (R(2) == 1 and "0x" or " -0X") .. rnd_string("0123456789abcdefABCDEF.p+-", 10)
  elseif r == 3 then s = rnd_string(" -+", 2) .. rnd_string("0123456789", 12) .. rnd_string(".e+-", 2) .. rnd_string("0123456789", 4)
  else s = tostring(rnd_double()) end
  local v = tonumber(s)
  out("N", s, v == nil and "nil" or num(v))
end

for _ = 1, 800 do
  local base = R(2, 36)
  local s = rnd_string(" -+", 2) .. rnd_string("0123456789abcdefghijklmnopqrstuvwxyzABCDEFXYZ", 14) .. rnd_string(" .\0", 1)
  local v = tonumber(s, base)
  out("B", s, tostring(base), v == nil and "nil" or num(v))
end

-- string.format
local strchars = "abc \"\\\n\r\0\1\0319012\127\200\255%"
local function rnd_item()
  local flags = rnd_string("-+ #0", R(0, 2) == 0 and 3 or 1)
  local width = R(3) == 1 and tostring(R(0, 25)) or ""
  local prec = ""
  local r = R(6)
  if r <= 2 then prec = "." .. R(0, 20) elseif r == 3 then prec = "." end
  local convs = "dioxXucseEfgGaAq"
  local k = R(#convs)
  local conv = convs:sub(k, k)
  if R(60) == 1 then conv = ("yz%"):sub(R(3), R(3)) end
  if R(80) == 1 then width = "123" end
  if R(80) == 1 then flags = "------" end
  local arg
  if conv:find("[diouxXc]") then
    local r2 = R(10)
    if r2 <= 6 then
      arg = R(conv:find("[oxXu]") and R(-1000, 0) or -100000, 100000) * (R(3) == 1 and 2^R(0, 40) or 1)
    elseif r2 == 7 then arg = tostring(R(0, 1000))
    else arg = rnd_double() end
  elseif conv:find("[sq]") then
    local r2 = R(8)
    if r2 == 1 then arg = rnd_double()
    elseif r2 == 2 then arg = rnd_string(strchars, 120)
    else arg = rnd_string(strchars, 12) end
  else
    arg = R(12) == 1 and "1.5" or rnd_double()
  end
  return "%" .. flags .. width .. prec .. conv, arg
end

for _ = 1, 4000 do
  local fmt, args = rnd_string("ab %", 2):gsub("%%", "%%%%"), {}
  for _ = 1, R(1, 3) do
    local item, arg = rnd_item()
    fmt = fmt .. item .. rnd_string("xy :", 2)
    args[#args + 1] = arg
  end
  local nargs = #args
  if R(40) == 1 then nargs = nargs - 1 end
  local ok, res = pcall(string.format, fmt, table.unpack(args, 1, nargs))
  local fields = { "F", fmt, tostring(nargs) }
  for i = 1, nargs do
    local a = args[i]
    fields[#fields + 1] = type(a) == "number" and "n:" .. num(a) or "s:" .. a
  end
  if ok then fields[#fields + 1] = "ok:" .. res
  else fields[#fields + 1] = "err:" .. res:gsub("'string.format'", "'format'") end
  out(table.unpack(fields))
end

for _ = 1, 600 do
  local fmt = "%" .. rnd_string("-+ #0", 2) .. (R(2) == 1 and tostring(R(0, 30)) or "") .. "." .. R(0, 40)
  local k = R(7)
  fmt = fmt .. ("gGeEfaA"):sub(k, k)
  local x = R(3) == 1 and specials[R(#specials)] or rnd_double()
  local ok, res = pcall(string.format, fmt, x)
  out("F", fmt, "1", "n:" .. num(x), ok and "ok:" .. res or "err:" .. res:gsub("'string.format'", "'format'"))
end

-- patterns
local atoms = { "a", "b", "c", "1", " ", ".", "%a", "%d", "%s", "%w", "%p", "%u", "%l", "%x",
  "%c", "%g", "%A", "%S", "%W", "%.", "%%", "%(", "%)", "[ab]", "[^ab]", "[a-c]", "[%d_]",
  "[]]", "[^%s]", "[%a-]", "x", "%z", "\0", "[a-]", "\200", "%-", "[^]a]", "[%]]" }
local quants = { "", "", "", "*", "+", "-", "?" }
local extras = { "()", "%b()", "%bab", "%f[%w]", "%f[%W]", "%f[a]", "%1", "%2" }
local broken = { "%", "[a", "%b", "%f", ")", "%9", "(", "[^", "%fx", "%bx" }

local function rnd_pattern(depth)
  local t = {}
  for i = 1, R(1, 5) do
    local r = R(20)
    if r <= 13 then t[#t + 1] = atoms[R(#atoms)] .. quants[R(#quants)]
    elseif r <= 16 then t[#t + 1] = extras[R(#extras)]
    elseif r <= 19 and depth < 3 then t[#t + 1] = "(" .. rnd_pattern(depth + 1) .. ")"
    elseif R(3) == 1 then t[#t + 1] = broken[R(#broken)] end
  end
  local p = table.concat(t)
  if depth == 0 then
    if R(6) == 1 then p = "^" .. p end
    if R(6) == 1 then p = p .. "$" end
  end
  return p
end

local subjchars = "aab(c) 1_2.%-^$\0\200xAB\n"
local function render(ok, ...)
  if not ok then return "ERR " .. tostring((...)) end
  local t = {}
  for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
  return table.concat(t, " | ")
end

local inits = { 1, 1, 1, 1, 2, 3, -1, -3, 0, 5, 30, -30 }
local repls = { "x", "%0", "%1", "<%1>", "%2", "%%", "", "%", "%a", "[%0]", "%1-%2" }
local limits = { "nil", "nil", "nil", "1", "2", "0", "-1" }
for _ = 1, 6000 do
  local s, p = rnd_string(subjchars, 16), rnd_pattern(0)
  local which = R(4)
  if which == 1 then
    local init = inits[R(#inits)]
    local plain = R(8) == 1
    out("P", "find", s, p, init .. (plain and " plain" or ""),
      render(pcall(string.find, s, p, init, plain)))
  elseif which == 2 then
    local init = inits[R(#inits)]
    out("P", "match", s, p, tostring(init), render(pcall(string.match, s, p, init)))
  elseif which == 3 then
    local ok, res = pcall(function()
      local o, n = {}, 0
      for a, b, c in string.gmatch(s, p) do
        n = n + 1
        if n > 100 then break end
        local v = { tostring(a) }
        if b ~= nil then v[#v + 1] = tostring(b) end
        if c ~= nil then v[#v + 1] = tostring(c) end
        o[#o + 1] = "[" .. table.concat(v, ",") .. "]"
      end
      return table.concat(o)
    end)
    out("P", "gmatch", s, p, "", ok and res or "ERR " .. res:gsub("^[^:]*:%d+: ", ""))
  else
    local repl, lim = repls[R(#repls)], limits[R(#limits)]
    out("P", "gsub", s, p, repl .. "\t" .. lim,
      render(pcall(string.gsub, s, p, repl, tonumber(lim))))
  end
end
