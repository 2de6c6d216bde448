"""gymnasium's CartPole-v1, the same loop as cartpole_steps.lua (gymnasium.make, with
its wrappers, as users run it). Prints "steps N seconds S"."""
import sys
import time

import gymnasium as gym

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
env = gym.make("CartPole-v1")
env.reset(seed=0)
t0 = time.process_time()
episodes = 0
for i in range(1, n + 1):
    _, _, terminated, truncated, _ = env.step(i % 2)
    if terminated or truncated:
        episodes += 1
        env.reset()
print(f"steps {n} seconds {time.process_time() - t0:.6f} episodes {episodes}")
