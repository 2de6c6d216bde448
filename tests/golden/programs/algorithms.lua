-- classic algorithms: sieve of Eratosthenes, n-queens count, gcd/lcm, binary search, fibonacci, roman numerals
local function sieve(n)
  local is = {} for i = 2, n do is[i] = true end
  for i = 2, math.floor(math.sqrt(n)) do if is[i] then for j = i * i, n, i do is[j] = false end end end
  local out = {} for i = 2, n do if is[i] then out[#out + 1] = i end end
  return out
end
local p = sieve(100)
print(#p, table.concat(p, " "))
local function queens(n)
  local count, cols, d1, d2 = 0, {}, {}, {}
  local function place(r)
    if r > n then count = count + 1 return end
    for c = 1, n do
      if not cols[c] and not d1[r + c] and not d2[r - c + n] then
        cols[c], d1[r + c], d2[r - c + n] = true, true, true
        place(r + 1)
        cols[c], d1[r + c], d2[r - c + n] = nil, nil, nil
      end
    end
  end
  place(1)
  return count
end
print(queens(4), queens(6), queens(8))
local function gcd(a, b) while b ~= 0 do a, b = b, a % b end return a end
print(gcd(48, 18), gcd(17, 5), 48 * 18 / gcd(48, 18))
local function bsearch(t, x)
  local lo, hi = 1, #t
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    if t[mid] == x then return mid elseif t[mid] < x then lo = mid + 1 else hi = mid - 1 end
  end
  return nil
end
print(bsearch(p, 37), bsearch(p, 38), bsearch(p, 2), bsearch(p, 97))
local function roman(n)
  local vals = {{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}}
  local out = {}
  for _, v in ipairs(vals) do while n >= v[1] do out[#out + 1] = v[2] n = n - v[1] end end
  return table.concat(out)
end
print(roman(1994), roman(2024), roman(3999), roman(4))
local function fib(n) local a, b = 0, 1 for _ = 1, n do a, b = b, a + b end return a end
print(fib(10), fib(50), fib(78), fib(100))
