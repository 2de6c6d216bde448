"""cube's gymnasium bridge: any gymnasium environment over ZeroMQ.

Run by `cube-cli tsunami gym-server [--bind ENDPOINT]`; the Lua side is
`tsunami.remote(endpoint, env_id)`. One REP socket; each request is one JSON object and
gets one JSON object back:

  {"cmd": "make", "id": "CartPole-v1"}            -> {"ok": true, "env": 1, "action_space": {...},
                                                      "observation_space": {...}, "max_episode_steps": 500}
  {"cmd": "reset", "env": 1, "seed": 42}          -> {"ok": true, "obs": [...]}    (seed may be null)
  {"cmd": "step", "env": 1, "action": 0}          -> {"ok": true, "obs": [...], "reward": 1.0,
                                                      "terminated": false, "truncated": false}
  {"cmd": "close", "env": 1}                      -> {"ok": true}

Any failure (bad JSON, an unknown id or handle, an action gymnasium refuses) answers
{"ok": false, "error": "..."} and the server goes on. Spaces are described as the Lua
library describes its own: {"kind": "Discrete", "n": 2} or {"kind": "Box", "low": [...],
"high": [...], "shape": [...]}.
"""

import argparse
import json
import sys

import gymnasium as gym
import numpy as np
import zmq


def as_list(x):
    """Observations and bounds as JSON lists of doubles (a float32 observation becomes
    the double it is; infinite bounds are written as json writes them, Infinity)."""
    return [float(v) for v in np.asarray(x, dtype=np.float64).reshape(-1)]


def space(s):
    if isinstance(s, gym.spaces.Discrete):
        return {"kind": "Discrete", "n": int(s.n), "start": int(s.start)}
    if isinstance(s, gym.spaces.Box):
        return {"kind": "Box", "low": as_list(s.low), "high": as_list(s.high), "shape": list(s.shape)}
    return {"kind": type(s).__name__}


class Bridge:
    def __init__(self):
        self.envs = {}
        self.next = 1

    def env(self, req):
        h = req.get("env")
        if h not in self.envs:
            raise ValueError(f"no environment {h!r} (make one first)")
        return self.envs[h]

    def handle(self, req):
        cmd = req.get("cmd")
        if cmd == "make":
            env = gym.make(str(req.get("id")))
            h = self.next
            self.next += 1
            self.envs[h] = env
            spec = env.spec
            return {
                "env": h,
                "action_space": space(env.action_space),
                "observation_space": space(env.observation_space),
                "max_episode_steps": spec.max_episode_steps if spec else None,
            }
        if cmd == "reset":
            seed = req.get("seed")
            obs, _info = self.env(req).reset(seed=None if seed is None else int(seed))
            return {"obs": as_list(obs)}
        if cmd == "step":
            env = self.env(req)
            action = req.get("action")
            if isinstance(env.action_space, gym.spaces.Discrete):
                if not isinstance(action, (int, float)) or action != int(action):
                    raise ValueError(f"action must be an integer, got {action!r}")
                action = int(action)
            else:
                action = np.asarray(action, dtype=env.action_space.dtype).reshape(env.action_space.shape)
            obs, reward, terminated, truncated, _info = env.step(action)
            return {
                "obs": as_list(obs),
                "reward": float(reward),
                "terminated": bool(terminated),
                "truncated": bool(truncated),
            }
        if cmd == "close":
            self.env(req).close()
            del self.envs[req["env"]]
            return {}
        raise ValueError(f"unknown command {cmd!r} (make, reset, step, close)")


def main():
    p = argparse.ArgumentParser(description="gymnasium environments over ZeroMQ for cube")
    p.add_argument("--bind", default="tcp://127.0.0.1:5555")
    args = p.parse_args()
    sock = zmq.Context.instance().socket(zmq.REP)
    sock.bind(args.bind)
    # The endpoint bound (with the port chosen for tcp://host:*), for whoever started us.
    bound = sock.getsockopt_string(zmq.LAST_ENDPOINT)
    print(f"gym-server: gymnasium {gym.__version__} on {bound}", file=sys.stderr, flush=True)
    bridge = Bridge()
    while True:
        raw = sock.recv()
        try:
            req = json.loads(raw)
            if not isinstance(req, dict):
                raise ValueError("a request is a JSON object")
            reply = bridge.handle(req)
            reply["ok"] = True
        except Exception as e:  # every failure is an answer, never the server's end
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sock.send(json.dumps(reply).encode())


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
