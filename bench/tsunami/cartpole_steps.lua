-- Environment steps per second of the built-in CartPole-v1: N steps with a fixed
-- alternating policy, resetting whenever an episode ends. Prints "steps N seconds S".
local n = tonumber(arg and arg[1]) or 1000000
local env = tsunami.make("CartPole-v1")
env:reset(0)
local t0 = os.clock()
local episodes = 0
for i = 1, n do
  local _, _, terminated, truncated = env:step(i % 2)
  if terminated or truncated then
    episodes = episodes + 1
    env:reset()
  end
end
print(("steps %d seconds %.6f episodes %d"):format(n, os.clock() - t0, episodes))
