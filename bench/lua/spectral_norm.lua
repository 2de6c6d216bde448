-- spectral_norm: power method for the spectral norm of the infinite matrix
-- A(i,j) = 1/((i+j)(i+j+1)/2 + i + 1), truncated to n x n (float
-- arithmetic, array reads/writes, small function calls in inner loops).
local n = tonumber(arg and arg[1]) or 650

local function A(i, j)
  local ij = i + j - 1
  return 1.0 / (ij * (ij - 1) * 0.5 + i)
end

-- y = A * x
local function mul_Av(x, y, size)
  for i = 1, size do
    local s = 0
    for j = 1, size do s = s + A(i, j) * x[j] end
    y[i] = s
  end
end

-- y = A' * x
local function mul_Atv(x, y, size)
  for i = 1, size do
    local s = 0
    for j = 1, size do s = s + A(j, i) * x[j] end
    y[i] = s
  end
end

-- y = A' * A * x
local function mul_AtAv(x, y, t, size)
  mul_Av(x, t, size)
  mul_Atv(t, y, size)
end

local u, v, t = {}, {}, {}
for i = 1, n do u[i] = 1 end
for _ = 1, 10 do
  mul_AtAv(u, v, t, n)
  mul_AtAv(v, u, t, n)
end
local vBv, vv = 0, 0
for i = 1, n do
  local ui, vi = u[i], v[i]
  vBv = vBv + ui * vi
  vv = vv + vi * vi
end
print(string.format("%0.9f", math.sqrt(vBv / vv)))
