-- base64 encode/decode with bit32 and string.byte/char, round trips over all byte values
local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function encode(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = bit32.bor(bit32.lshift(a, 16), bit32.lshift(b or 0, 8), c or 0)
    for j = 3, 0, -1 do
      local idx = bit32.band(bit32.rshift(n, j * 6), 63) + 1
      out[#out + 1] = chars:sub(idx, idx)
    end
    if not b then out[#out] = "=" out[#out - 1] = "=" elseif not c then out[#out] = "=" end
  end
  return table.concat(out)
end
local rev = {} for i = 1, 64 do rev[chars:sub(i, i)] = i - 1 end
local function decode(s)
  s = s:gsub("=", "")
  local out, bits, nbits = {}, 0, 0
  for c in s:gmatch(".") do
    bits = bit32.bor(bit32.lshift(bits, 6), rev[c])
    nbits = nbits + 6
    if nbits >= 8 then
      nbits = nbits - 8
      out[#out + 1] = string.char(bit32.band(bit32.rshift(bits, nbits), 255))
    end
  end
  return table.concat(out)
end
for _, s in ipairs{"", "f", "fo", "foo", "foob", "fooba", "foobar", "Lua 5.2!"} do print(string.format("%-8q %s", s, encode(s))) end
local all = {} for i = 0, 255 do all[#all + 1] = string.char(i) end
local bin = table.concat(all)
local e = encode(bin)
print(#e, e:sub(1, 20), decode(e) == bin)
