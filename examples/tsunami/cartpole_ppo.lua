-- PPO learns to balance CartPole-v1, then the saved policy is loaded and played.
--   cube-cli run examples/tsunami/cartpole_ppo.lua [STEPS] [OUT_DIR]
-- OUT_DIR must exist (default: $TMPDIR or /tmp). A release build (`cargo run --release
-- -- run ...`) is several times faster. The same run from the command line, which also
-- draws curve.png: cube-cli tsunami train ppo CartPole-v1 --target 475 --out DIR
local steps = tonumber(arg and arg[1]) or 150000
local out = arg and arg[2] or os.getenv("TMPDIR") or "/tmp"

local r = tsunami.train {
  algo = "ppo", env = "CartPole-v1", steps = steps, seed = 0,
  target = 475,          -- stop once the last 100 episodes average 475
  out = out,             -- curve.csv and policy.safetensors go there
}
print(string.format("trained: %d steps, %d episodes, mean return of the last 100 %.1f (%s)",
  r.steps, r.episodes, r.mean_return_100, r.solved and "solved" or "budget spent"))

-- The checkpoint alone is enough to act: it names its environment.
local policy = tsunami.load(out .. "/policy.safetensors")
local env = tsunami.make(policy.env)
local obs, total = env:reset(2024), 0
while true do
  local o, reward, terminated, truncated = env:step(policy:act(obs))
  obs, total = o, total + reward
  if terminated or truncated then break end
end
print("one greedy episode of the loaded policy: return " .. total)
