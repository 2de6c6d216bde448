-- A3C: actor-learner processes under a supervisor updating shared weights (Hogwild);
-- this process coordinates.
-- Midway, half the workers are killed; the supervisor restarts them and they rejoin.
--   cube-cli run examples/tsunami/a3c.lua [WORKERS] [STEPS]
local workers = tonumber(arg and arg[1]) or 4
local steps = tonumber(arg and arg[2]) or 60000
local killed = false

local r = tsunami.train {
  algo = "a3c", env = "CartPole-v1", workers = workers, steps = steps, seed = 1,
  target = 195,
  a3c = {
    envs = 8, n_steps = 8, lr = 1e-3,              -- the defaults, shown
    -- Runs in the coordinator after every update a worker reports.
    on_update = function(info)
      if not killed and info.steps >= steps / 4 then
        killed = true
        for i, child in ipairs(supervisor.which_children(info.supervisor)) do
          if i % 2 == 0 then process.exit(child.pid, "kill") end
        end
        print(string.format("step %d: killed %d of %d workers", info.steps, math.floor(workers / 2), workers))
      end
    end,
  },
}
print(string.format("%d steps, %d episodes, mean return of the last 100 %.1f; %d gradients " ..
  "applied, %d worker processes took part", r.steps, r.episodes, r.mean_return_100,
  r.info.updates, r.info.workers_seen))
