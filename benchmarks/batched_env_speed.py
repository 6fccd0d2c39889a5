"""Environment transitions per second: each family's batched environment against its Gymnasium path.

    python benchmarks/batched_env_speed.py                      # every family, 16 and 64 instances
    python benchmarks/batched_env_speed.py --family clustering --n-envs 16 64 256 --profile

Per family (the environment of its bundled agent, ``AGENTS`` of ``sb3_throughput.py``), on the
CPU with one PyTorch thread, back to back so both see the same machine load:

- **Gymnasium**: ``gymnasium.make("cpnopt/<Family>-v0")``, one instance, random allowed actions
  (``sb3_throughput.gym_rate``: ``action_masks()`` and ``step``, a fresh instance at each episode end);
- **batched**: the agent's ``Batched*Env`` with ``--n-envs`` instances stepped together as a
  trainer does: every finished slot is refilled at once with a fresh training instance
  (``reset_slots``), the evaluator scores each finished episode. The actions are random
  allowed ones drawn per slot with the same helper as the Gymnasium side and converted by the
  Gymnasium environment's ``action_tensor``; only the environment's own calls
  (``reset_slots`` with the instance generation, ``step``) are timed, so the figure is the
  environment's, not the random action's.

``--profile``: the batched run under cProfile, the 15 most expensive functions (cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

import gymnasium
import numpy as np
import torch
from sb3_throughput import AGENTS, gym_rate, random_allowed  # the script directory is on sys.path

from cpnopt.gym_registration import env_id
from cpnopt.rl_env import Observation
from cpnopt.solvers.rl.serving import get_agent


def random_actions(gym_env, obs: Observation, rng: np.random.Generator) -> torch.Tensor:
    """One random allowed action per slot, as the batched environment takes them."""
    actions = []
    for slot in range(obs.mask.shape[0]):
        mask = gym_env.space_mask(obs[slot : slot + 1])  # sets what action_tensor reads (offloading's paths)
        actions.append(gym_env.action_tensor(random_allowed(gym_env.action_space, mask, rng)))
    return torch.cat(actions)


def batched_rate(family: str, n_envs: int, steps: int) -> float:
    """Transitions/s of the batched environment, ``n_envs`` slots refilled as they finish (timed: env calls only)."""
    rng = np.random.default_rng(0)
    spec = get_agent(family, AGENTS[family])
    gym_env = gymnasium.make(env_id(family)).unwrapped
    env = spec.make_env(torch.device("cpu"))
    obs = env.reset([spec.sample(rng) for _ in range(n_envs)])
    elapsed, done_steps = 0.0, 0
    while done_steps < steps:
        actions = random_actions(gym_env, obs, rng)
        start = time.perf_counter()
        step = env.step(actions)
        finished = step.done.nonzero().flatten().tolist()
        obs = env.reset_slots(finished, [spec.sample(rng) for _ in finished]) if finished else step.observation
        elapsed += time.perf_counter() - start
        done_steps += n_envs
    return done_steps / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=sorted(AGENTS), action="append")
    parser.add_argument("--n-envs", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--steps", type=int, default=4096, help="transitions per measurement")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    columns = " | ".join(f"batched, {n} instances | ratio" for n in args.n_envs)
    print(f"| family (agent) | load (1 min) | Gymnasium, one instance | {columns} |")
    print("|---|---:|---:|" + "---:|---:|" * len(args.n_envs))
    for family in args.family or list(AGENTS):
        load = os.getloadavg()[0]
        gym = gym_rate(family, args.steps // 2)
        cells = []
        for n in args.n_envs:
            rate = batched_rate(family, n, args.steps)
            cells.append(f"{rate:,.0f} | {rate / gym:.1f}×")
        print(f"| {family} ({AGENTS[family]}) | {load:.1f} | {gym:,.0f} | " + " | ".join(cells) + " |", flush=True)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(batched_rate, family, args.n_envs[-1], args.steps)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
