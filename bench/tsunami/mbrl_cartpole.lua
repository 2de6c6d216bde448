-- Sample efficiency of the model-based agent on CartPole-v1: real steps it learns
-- from (budget 3,000, learning stops after 2 episodes of 500), then the mean return of
-- the frozen agent over 100 evaluation episodes, and the wall time of both parts.
--   cube-cli run bench/tsunami/mbrl_cartpole.lua [SEED] [EVAL_EPISODES]
local seed, evals = tonumber(arg[1] or 0), tonumber(arg[2] or 100)
local t0 = tsunami._now and tsunami._now() or os.clock()
local r = tsunami.train{algo = "mbrl", env = "CartPole-v1", steps = 3000, seed = seed,
  target = 475, mbrl = {eval_episodes = evals}}
local i = r.info
print(string.format("seed %d: learn_steps %d learn_episodes %d eval_mean %.2f eval_min %.2f solved %s wall_s %.1f",
  seed, i.learn_steps, i.learn_episodes, i.eval_mean, i.eval_min, tostring(r.solved), r.wall_s))
