-- expect: error: bad argument #1 to 'receive' (timeout must be a non-negative number)
-- NaN is no timeout: a clear error, not a wait for ever.
for _, f in ipairs({
  function() process.receive(-1) end,
  function() process.sleep(0/0) end,
  function() process.sleep(-5) end,
  function() process.receive(function() return true end, 0/0) end,
}) do
  assert(not pcall(f))
end
process.receive(0/0)
