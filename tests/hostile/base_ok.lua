-- expect: ok: hello 120
-- An honest script under the sandbox runs as under lua.
local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
print("hello " .. fact(5))
