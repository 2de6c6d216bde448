-- sort: table.sort on numbers (default '<'), on strings, with a Lua
-- comparator function (descending, and a multi-key record comparator), and on
-- already-sorted / reversed / many-duplicates inputs.
local n = tonumber(arg and arg[1]) or 200000

local seed = 12345
local function rand(k)
  seed = (seed * 16807) % 2147483647
  return seed % k
end

local function checksum(t, key)
  local h = 0
  for i = 1, #t, math.max(1, math.floor(#t / 1000)) do
    local x = t[i]
    if key then x = key(x) end
    if type(x) == "string" then x = #x + x:byte(1) * 7 + x:byte(-1)
    else x = math.floor(x * 1000) end
    h = (h * 31 + x) % 4294967291
  end
  return h
end

local function is_sorted(t, lt)
  lt = lt or function(a, b) return a < b end
  for i = 2, #t do if lt(t[i], t[i - 1]) then return false end end
  return true
end

local out = {}
local function report(name, t, ok, key)
  out[#out + 1] = string.format("%s:%s:%d", name, ok and "ok" or "BAD", checksum(t, key))
end

-- numbers, default comparator
local nums = {}
for i = 1, n do nums[i] = rand(1000000) + rand(1000) / 1000 end
table.sort(nums)
report("nums", nums, is_sorted(nums))

-- already sorted, reversed, and lots of duplicates
table.sort(nums)
report("sorted", nums, is_sorted(nums))
local rev = {}
for i = 1, n do rev[i] = n - i end
table.sort(rev)
report("reversed", rev, is_sorted(rev))
local dups = {}
for i = 1, n do dups[i] = rand(10) end
table.sort(dups)
report("dups", dups, is_sorted(dups))

-- strings, default comparator
local strs = {}
for i = 1, n do strs[i] = string.format("s%07d%s", rand(10000000), string.char(97 + rand(26))) end
table.sort(strs)
report("strings", strs, is_sorted(strs))

-- numbers with a Lua comparator (descending)
local desc = {}
for i = 1, n do desc[i] = rand(1000000) end
local gt = function(a, b) return a > b end
table.sort(desc, gt)
report("desc", desc, is_sorted(desc, gt))

-- records with a multi-key comparator (ties broken by id, so the result
-- does not depend on the sort's stability)
local recs = {}
for i = 1, n / 2 do recs[i] = { group = rand(100), score = rand(1000), id = i } end
local function rec_lt(a, b)
  if a.group ~= b.group then return a.group < b.group end
  if a.score ~= b.score then return a.score > b.score end
  return a.id < b.id
end
table.sort(recs, rec_lt)
report("records", recs, is_sorted(recs, rec_lt), function(r) return r.id end)

print(table.concat(out, " "))
