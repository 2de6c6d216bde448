"""Stable-Baselines3 A2C or PPO on CartPole-v1 until solved: one run, one JSON line.

    python sb3_cartpole.py a2c|ppo SEED BUDGET [TARGET]

Hyperparameters are rl-baselines3-zoo's tuned CartPole-v1 entries (hyperparams/a2c.yml
and ppo.yml), everything else SB3's defaults:
  a2c: 8 environments, ent_coef 0.0 (so n_steps 5, learning rate 7e-4 with RMSprop,
       gamma 0.99, vf_coef 0.5, max_grad_norm 0.5)
  ppo: 8 environments, n_steps 32, batch 256, 20 epochs, gamma 0.98, gae_lambda 0.8,
       ent_coef 0.0, learning rate and clip range linear from 1e-3 and 0.2 to 0
The zoo's linear schedules run over the training length it is given (its -n), here
BUDGET, as cube's PPO anneals over its --steps.

A callback watches the finished episodes (the Monitor wrapper make_vec_env adds) and
stops training once the mean return of the last 100 reaches TARGET (475 by default);
it records the environment steps taken (all 8 copies) and the wall time since
learn() started (the imports and the environments' creation excluded, as cube's
curve.csv excludes its start-up). Not solved within BUDGET is a result: solved false.
"""
import collections
import json
import sys
import time

import gymnasium as gym  # noqa: F401  (registers CartPole-v1)
import torch
from stable_baselines3 import A2C, PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env


def linear(start):
    return lambda progress_remaining: progress_remaining * start


class StopWhenSolved(BaseCallback):
    def __init__(self, target):
        super().__init__()
        self.target = target
        self.window = collections.deque(maxlen=100)
        self.episodes = 0
        self.t0 = None
        self.solved_at = None

    def _on_training_start(self):
        self.t0 = time.perf_counter()

    def _on_step(self):
        for info in self.locals["infos"]:
            ep = info.get("episode")
            if ep is not None:
                self.episodes += 1
                self.window.append(float(ep["r"]))
        if len(self.window) == 100 and sum(self.window) / 100 >= self.target:
            self.solved_at = (self.num_timesteps, time.perf_counter() - self.t0)
            return False
        return True


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("a2c", "ppo"):
        sys.exit("usage: sb3_cartpole.py a2c|ppo SEED BUDGET [TARGET]")
    algo, seed, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    target = float(sys.argv[4]) if len(sys.argv) == 5 else 475.0
    # One torch thread: for a 64-64 MLP on a shared 2-core machine the default (one per
    # core) is much slower (measured: 4,000 A2C steps in 43.8 s against 7.2 s).
    torch.set_num_threads(1)
    env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
    if algo == "a2c":
        model = A2C("MlpPolicy", env, ent_coef=0.0, seed=seed, device="cpu")
    else:
        model = PPO("MlpPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98,
                    n_epochs=20, ent_coef=0.0, learning_rate=linear(1e-3),
                    clip_range=linear(0.2), seed=seed, device="cpu")
    cb = StopWhenSolved(target)
    t0 = time.perf_counter()
    model.learn(total_timesteps=budget, callback=cb)
    wall = time.perf_counter() - t0
    mean = sum(cb.window) / len(cb.window) if cb.window else float("nan")
    if cb.solved_at:
        steps, wall = cb.solved_at
        out = {"solved": True, "steps": steps, "wall_s": wall}
    else:
        out = {"solved": False, "steps": model.num_timesteps, "wall_s": wall}
    out.update(algo=algo, seed=seed, episodes=cb.episodes, mean_return_100=mean)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
