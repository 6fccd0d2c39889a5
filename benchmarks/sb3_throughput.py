"""Transitions per second: the project's trainers vs sb3-contrib's MaskablePPO, and the Gymnasium environments.

    python benchmarks/sb3_throughput.py --steps 4096                    # every family
    python benchmarks/sb3_throughput.py --family regional --steps 8192

Per family, on the CPU with one PyTorch thread, back to back (so both see the same machine load):

- **environment**: ``cpnopt/<Family>-v0`` through Gymnasium (one instance), random allowed
  actions from ``action_masks()``, the evaluator at every episode's end — what an SB3 user's
  rollout costs before any network runs;
- **project trainer**: ``train_agent`` of the family's bundled agent (its own algorithm,
  batched environment and per-candidate network, the bundled agent's configuration) for
  ``--steps`` transitions; the rate is steps / the session's wall time;
- **MaskablePPO**: sb3-contrib's defaults (``MultiInputPolicy``, n_steps 2048, 10 epochs) on
  the same environment for ``--steps`` transitions, no wrapper.

Needs the ``rl`` extra. Prints a Markdown table with the load average before each row.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import torch

from cpnopt.gym_registration import env_id
from cpnopt.solvers.rl.serving import get_agent
from cpnopt.solvers.rl.train import train_agent

AGENTS = {
    "clustering": "dcat",
    "routing": "stper",
    "placement": "gwp",
    "regional": "regional-drl",
    "offloading": "rlms",
}


def random_allowed(space: gymnasium.Space, mask: np.ndarray, rng: np.random.Generator) -> Any:
    """A uniformly random allowed action of a Discrete or MultiDiscrete space under its ``action_masks()`` mask."""
    if isinstance(space, gymnasium.spaces.MultiDiscrete):
        bounds = np.cumsum(np.r_[0, space.nvec])
        return np.array([rng.choice(np.flatnonzero(mask[a:b])) for a, b in zip(bounds[:-1], bounds[1:])])
    return int(rng.choice(np.flatnonzero(mask)))


def gym_rate(family: str, steps: int) -> float:
    """Transitions/s of the Gymnasium environment with random allowed actions (``action_masks()``)."""
    rng = np.random.default_rng(0)
    env = gymnasium.make(env_id(family)).unwrapped
    env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        if env.step(random_allowed(env.action_space, env.action_masks(), rng))[2]:
            env.reset()
    return steps / (time.perf_counter() - start)


def project_rate(family: str, steps: int) -> float:
    """Transitions/s of the family's own trainer (the bundled agent's algorithm and configuration)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = train_agent(get_agent(family, AGENTS[family]), steps, output=str(Path(tmp) / "a.pt"), progress=False)
        record = json.loads(path.with_suffix(".json").read_text())
    return record["steps"] / record["wall_time_s"]


def sb3_rate(family: str, steps: int) -> float:
    """Transitions/s of MaskablePPO (sb3-contrib's defaults) on ``cpnopt/<Family>-v0``."""
    from sb3_contrib import MaskablePPO

    model = MaskablePPO("MultiInputPolicy", gymnasium.make(env_id(family)), seed=0, device="cpu")
    start = time.perf_counter()
    model.learn(steps)
    return model.num_timesteps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=sorted(AGENTS), action="append")
    parser.add_argument("--steps", type=int, default=4096)
    parser.add_argument("--env-steps", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        "| family | load (1 min) | Gymnasium env, random allowed actions | project trainer | MaskablePPO | ratio |\n"
        "|---|---:|---:|---:|---:|---:|"
    )
    for family in args.family or list(AGENTS):
        load = os.getloadavg()[0]
        env = gym_rate(family, args.env_steps)
        own = project_rate(family, args.steps)
        sb3 = sb3_rate(family, args.steps)
        print(
            f"| {family} ({AGENTS[family]}) | {load:.1f} | {env:,.0f} | {own:,.0f} | {sb3:,.0f} | {own / sb3:.1f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
