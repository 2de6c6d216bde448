-- tables: array append/read/update, hash insert/lookup/update/delete with
-- string and number keys, '#' on sequences.
local n = tonumber(arg and arg[1]) or 200000

local check = 0

-- array part
local a = {}
for i = 1, n do a[i] = i * 2 end
for i = 1, n do a[i] = a[i] + a[n - i + 1] end
for i = 1, n do check = (check + a[i]) % 1000000007 end
for i = 1, n do a[#a + 1] = i end
check = check + #a

-- hash part with string keys
local h = {}
for i = 1, n do h["k" .. i] = i end
local hits = 0
for i = 1, n, 2 do
  local v = h["k" .. i]
  if v then hits = hits + v end
end
for i = 1, n, 3 do h["k" .. i] = nil end
local live = 0
for i = 1, n do if h["k" .. i] ~= nil then live = live + 1 end end

-- hash part with sparse number keys and float keys
local s = {}
for i = 1, n do s[i * 7919 % 1000003] = i end
local ssum = 0
for i = 1, n do ssum = ssum + (s[i * 7919 % 1000003] or 0) end
local f = {}
for i = 1, 1000 do f[i + 0.5] = i end
local fsum = 0
for i = 1, 1000 do fsum = fsum + f[i + 0.5] end

-- small record tables (constructor + field access)
local rsum = 0
for i = 1, n do
  local r = { x = i, y = i + 1, z = i + 2, [1] = i, [2] = -i }
  r.x = r.x + r.z
  rsum = (rsum + r.x + r.y + r[1] + r[2]) % 1000000007
end

-- iteration with ipairs (order-independent sum with pairs)
local isum = 0
for _, v in ipairs(a) do isum = (isum + v) % 1000000007 end
local psum = 0
for k, v in pairs(h) do psum = psum + v end

print(string.format("check=%d hits=%d live=%d ssum=%d fsum=%d rsum=%d isum=%d psum=%d",
  check, hits, live, ssum, fsum, rsum, isum, psum))
