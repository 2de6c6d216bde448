-- patterns: string.find (plain and pattern), match with captures,
-- gmatch iteration, gsub with string/table/function replacements, over
-- deterministically generated text.
local n = tonumber(arg and arg[1]) or 15000

-- deterministic pseudo-random generator (LCG, exact in doubles)
local seed = 42
local function rand(k)
  seed = (seed * 16807) % 2147483647
  return seed % k
end

local words = { "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta",
  "theta", "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi" }

-- generate n lines like: "id=123 name=gamma value=-45.5 tags=[x,y] mail=a.b@c.org"
local lines = {}
for i = 1, n do
  local w1, w2 = words[rand(#words) + 1], words[rand(#words) + 1]
  lines[i] = string.format("id=%d name=%s value=%d.%d tags=[%s,%s] mail=%s.%s@host%d.org  ",
    i, w1, rand(2000) - 1000, rand(10), w2, w1, w1, w2, rand(50))
end
local text = table.concat(lines, "\n")

local h = 0
local M = 4294967291
local function mix(x) h = (h * 31 + x) % M end

for round = 1, 4 do
  -- find: plain and with patterns
  local pos, count = 1, 0
  while true do
    local s, e = string.find(text, "tags=", pos, true)
    if not s then break end
    count = count + 1; pos = e + 1
  end
  mix(count)
  pos, count = 1, 0
  while true do
    local s, e = text:find("%-%d+%.%d", pos)
    if not s then break end
    count = count + 1; pos = e + 1
  end
  mix(count)

  -- match with captures, per line
  local vsum = 0
  for i = 1, n, 1 do
    local id, name, value = lines[i]:match("^id=(%d+) name=(%a+) value=([%-%d%.]+)")
    vsum = vsum + tonumber(id) + #name + math.floor(tonumber(value))
    local user, dom = lines[i]:match("mail=([%w%.]+)@(%w+)%.org")
    vsum = vsum + #user + #dom
  end
  mix(vsum % M)

  -- gmatch over the whole text
  local wc, lc = 0, 0
  for w in text:gmatch("%a+") do wc = wc + #w end
  for k, v in text:gmatch("(%w+)=(%S+)") do lc = lc + #k + #v end
  mix(wc); mix(lc)
  local tc = 0
  for a, b in text:gmatch("%[(%a+),(%a+)%]") do
    if a == b then tc = tc + 1 end
  end
  mix(tc)

  -- gsub: string replacement with captures, table, function, anchors, %b
  local r1, c1 = text:gsub("(%a+)=(%w+)", "%2:%1")
  mix(#r1); mix(c1)
  local map = { alpha = "A", beta = "B", gamma = "G", pi = "3.14" }
  local r2, c2 = text:gsub("%a+", map)
  mix(#r2); mix(c2)
  local r3, c3 = text:gsub("%d+", function(d) return #d % 2 == 0 and d or nil end)
  mix(#r3); mix(c3)
  local r4, c4 = text:gsub("%b[]", "<>")
  mix(#r4); mix(c4)
  local r5, c5 = text:gsub("%s+$", "")
  mix(#r5); mix(c5)
  local r6, c6 = text:gsub("%f[%a]%a", string.upper)
  mix(#r6); mix(c6); mix(r6:byte(7))
end

print(string.format("patterns n=%d len=%d checksum=%d", n, #text, h))
