-- gmatch: words, captures, key/value pairs, anchors are literal in 5.2 gmatch, empty matches
local words = {} for w in ("The quick  brown fox"):gmatch("%a+") do words[#words + 1] = w end
print(#words, table.concat(words, "|"))
local kv = {} for k, v in ("a=1, b=2, c=3"):gmatch("(%w+)=(%w+)") do kv[#kv + 1] = k .. ":" .. v end
print(table.concat(kv, " "))
local n = 0 for _ in ("abc"):gmatch("") do n = n + 1 end print("empty matches", n)
local pos = {} for p in ("a.b.c"):gmatch("()%.") do pos[#pos + 1] = p end print(table.concat(pos, ","))
local anch = {} for m in ("aaa"):gmatch("^a") do anch[#anch + 1] = m end print("anchored", #anch)
local it = ("x1y2"):gmatch("%a(%d)")
print(it(), it(), it())
local nums = {} for d in ("10 -3 4.5 x"):gmatch("%-?%d+%.?%d*") do nums[#nums + 1] = tonumber(d) end
print(table.concat(nums, " "))
