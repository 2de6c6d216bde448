-- patterns whose first item lets a search skip starts: classes, sets, literals, %b, %f, captures first; errors, anchors, empty matches
local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  return table.concat(t, " ")
end
local function try(f, ...)
  local ok, a, b, c, d, e = pcall(f, ...)
  if ok then return show(a, b, c, d, e) else return "ERR " .. tostring(a) end
end
local function gm(s, p)
  local out = {}
  local ok, err = pcall(function()
    for a, b, c in string.gmatch(s, p) do out[#out + 1] = "[" .. show(a, b, c) .. "]" end
  end)
  return table.concat(out) .. (ok and "" or (" ERR " .. err))
end

local subj = {
  "", "a", "1", " x1 yy22 zzz333 ", "..--12.5e3--..", "\0a\0b", "\200\255abc\128",
  "id=12 name=gamma tags=[x,y] f(a(b)c) [z]", "THE (quick) fox", "aaa", "ab12cd34",
  ("x"):rep(40) .. "y", "tab\tnl\nvt\vff\fcr\r end",
}
local pats = {
  "%a+", "%d+", "%w+", "%s+", "%p", "%c", "%x+", "%u%l*", "%l+", "%g+", "%z", "[%a_][%w_]*",
  "[^%s]+", "[%d.]+", "[a-c]+", "[]]", "[^]]+", "x", "xy", "-%d", "%-", "%.%d", "%b()", "%b[]",
  "%bxy", "%f[%a]%a*", "%f[%w]", "%f[%z]", "%f[^%z]", "%f[%s]", "(%a+)", "()%d", "((%a)(%d))",
  "(()%w)()", "(%a)%1", "(a)(a)%2", "%A+", "%D", "%S+", "%W", "[%z]", "\200", "[\128-\255]+",
  "a$", "%d$", "x+y", "x*y", "a-b", "a?b", ".", ".%d", "$", "^a", "^%d", "^(%a+)", "y$",
  "%a+$", "%s+$", "[a", "%", "%b", "%bx", "(%a", "%a)", "%1", "(()", "%f", "%fa",
}
for _, s in ipairs(subj) do
  for _, p in ipairs(pats) do
    print(("%q %q"):format(s, p))
    print("  find", try(string.find, s, p))
    print("  find3", try(string.find, s, p, 3))
    print("  match", try(string.match, s, p))
    print("  match-2", try(string.match, s, p, -2))
    print("  gmatch", gm(s, p))
    print("  gsub", try(string.gsub, s, p, "<%0>"))
    print("  gsub2", try(string.gsub, s, p, "#", 2))
  end
end

-- 32 captures before the first class are fine; 33 fail at the first start, matching or not
local p32 = ("("):rep(32) .. "%d" .. (")"):rep(32)
local p33 = ("("):rep(33) .. "%d" .. (")"):rep(33)
print(try(string.find, "abc1", p32))
print(try(string.find, "abc", p33))
print(try(string.gsub, "abc", p33, ""))
print(gm("abc", p33))
print(try(string.find, "abc", ("()"):rep(33) .. "z"))
-- long subjects: the skipped starts are many
local long = ("ab "):rep(2000) .. "42"
print(try(string.find, long, "%d+"), try(string.find, long, "[%d]"), try(string.find, long, "4"))
local r, n = long:gsub("%f[%w]%w+", "W")
print(#r, n, r:sub(1, 12), r:sub(-6))
print(select(2, long:gsub("%a+", "")), select(2, long:gsub(" ", "")), select(2, long:gsub("%s+$", "")))
