-- mandelbrot: escape-time iteration over an n x n grid of the complex plane
-- (pure float arithmetic in a tight loop). Prints a checksum of the bitmap
-- (the bytes the classic PBM version would write) and the number of points
-- inside the set, not the image itself.
local n = tonumber(arg and arg[1]) or 1100
local iter = 50

local inside, hash = 0, 0
for y = 0, n - 1 do
  local ci = 2 * y / n - 1
  local bits, nbits = 0, 0
  for x = 0, n - 1 do
    local cr = 2 * x / n - 1.5
    local zr, zi, zr2, zi2 = 0.0, 0.0, 0.0, 0.0
    local escaped = false
    for _ = 1, iter do
      zi = 2 * zr * zi + ci
      zr = zr2 - zi2 + cr
      zr2 = zr * zr
      zi2 = zi * zi
      if zr2 + zi2 > 4.0 then escaped = true; break end
    end
    bits = bits * 2
    if not escaped then bits = bits + 1; inside = inside + 1 end
    nbits = nbits + 1
    if nbits == 8 or x == n - 1 then
      bits = bits * 2 ^ (8 - nbits)
      hash = (hash * 31 + bits) % 4294967291
      bits, nbits = 0, 0
    end
  end
end

print(string.format("mandelbrot %dx%d inside=%d checksum=%d", n, n, inside, hash))
