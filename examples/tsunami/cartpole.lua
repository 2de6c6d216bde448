-- CartPole-v1 from Lua: a random policy against a hand-made one that pushes the cart
-- toward the side the pole leans to. Run: cargo run --release -- run examples/tsunami/cartpole.lua
local function play(policy, episodes, seed)
  local env = tsunami.make("CartPole-v1")
  local total = 0
  for e = 1, episodes do
    local obs = env:reset(seed + e)
    while true do
      local o, reward, terminated, truncated = env:step(policy(obs))
      obs, total = o, total + reward
      if terminated or truncated then break end
    end
  end
  return total / episodes
end

local rng = 12345
local function random_policy()
  rng = (rng * 16807) % 2147483647
  return rng % 2
end
-- Push toward where the pole is heading (its angle plus a share of its speed).
local function lean_policy(obs)
  return (obs[3] + 0.5 * obs[4]) > 0 and 1 or 0
end

print(("random policy:  mean return %.1f"):format(play(random_policy, 20, 0)))
print(("leaning policy: mean return %.1f (500 is the most an episode gives)"):format(play(lean_policy, 20, 0)))
