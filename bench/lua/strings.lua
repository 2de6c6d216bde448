-- strings: concatenation (.. chains and in loops), table.concat,
-- string.format, string.rep, string.sub, string.byte/char, upper/lower, #.
local n = tonumber(arg and arg[1]) or 250000

local M = 4294967291
local function hash(s, h)
  -- rolling checksum over (up to) 64 sampled bytes of s plus its length
  local len = #s
  local step = math.max(1, math.floor(len / 64))
  for i = 1, len, step do
    h = (h * 31 + s:byte(i)) % M
  end
  return (h + len) % M
end

local h = 0

-- repeated concatenation into a growing string (bounded)
local s = ""
for i = 1, n do
  s = s .. string.char(97 + i % 26)
  if #s >= 1000 then h = hash(s, h); s = "" end
end
h = hash(s, h)

-- multi-part concatenation expressions (numbers converted to strings)
for i = 1, n do
  local t = "item" .. i .. ":" .. (i * 2) .. "/" .. "end"
  h = (h + #t + t:byte(5)) % M
end

-- table.concat
local parts = {}
for i = 1, n do parts[#parts + 1] = tostring(i) end
h = hash(table.concat(parts, ","), h)
for k = 1, 50 do
  h = hash(table.concat(parts, "", k * 100, k * 100 + 1000), h)
end

-- string.format with several conversions
for i = 1, n do
  local f = string.format("%5d|%-8s|%.3f|%x|%q|%g", i, "ab" .. (i % 10), i / 7, i, "q\n" .. i, i * 0.5)
  h = (h * 7 + #f + f:byte(#f - 1)) % M
end

-- string.rep, with and without separator
for i = 1, n / 10 do
  local r = string.rep("ab", i % 50 + 1)
  local r2 = string.rep("x", i % 20, ", ")
  h = (h + #r + #r2) % M
end

-- sub and byte over a long string
local text = string.rep("The quick brown fox jumps over the lazy dog. ", 200)
local tl = #text
for i = 1, n * 3 do
  local a = i % (tl - 10) + 1
  local piece = text:sub(a, a + 7)
  local b1, b2 = piece:byte(1, 2)
  h = (h + b1 * 3 + b2 + #text:sub(-(i % 50) - 1)) % M
end

-- upper / lower / reverse / len
for i = 1, n / 10 do
  local w = text:sub(i % 100 + 1, i % 100 + 30)
  h = (h + w:upper():byte(3) + w:lower():byte(4) + w:reverse():byte(1) + w:len()) % M
end

print(string.format("strings n=%d checksum=%d", n, h))
