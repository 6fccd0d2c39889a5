"""Helpers shared by the learned-agent summary scripts (``benchmarks/learned_*.py``).

``score`` reads a harness store: per sweep point, every method's mean objective, its mean
gap to the exact reference (the proven optimum, else the tightest bound, which overstates
the gap) and the agent's wins / ties / losses against it on the same instances. ``timed``
measures a median wall time, ``env_throughput`` the environment's transitions per second
(batched and through Gymnasium), ``publish`` prints a results page and writes it if asked.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from cpnopt.bench.store import Store
from cpnopt.rl_env import BatchedEnv, Observation
from cpnopt.solution import Sense, Status, gap_to_reference


def reference(runs: list[dict], sense: Sense, exact: tuple[str, ...] = ("milp",)) -> tuple[float | None, bool]:
    """The proven optimum of one instance (by the first exact method that proved it), else the
    tightest bound of the exact methods; and whether it is proven."""
    done = [r for r in runs if r["method"] in exact]
    for run in done:
        if run["status"] == Status.OPTIMAL.value:
            return run["objective"], True
    bounds = [r["bound"] for r in done if r["bound"] is not None]
    if not bounds:
        return None, False
    return (min(bounds) if sense is Sense.MAXIMIZE else max(bounds)), False


def score(store: Store, suite: str, learned: str, sense: Sense, exact: tuple[str, ...] = ("milp",)) -> list[str]:
    """Mean objective and gap per method, and the agent's record against each method, per sweep point."""
    by_instance: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for run in store.runs(suite):
        by_instance[(json.dumps(run["point"], sort_keys=True), run["seed"])].append(run)
    points = sorted({p for p, _ in by_instance}, key=lambda p: list(json.loads(p).values()))
    lines = [
        f"| point | method | instances | mean objective | mean gap to optimum | {learned} wins / ties / losses |",
        "|---|---|---:|---:|---:|---:|",
    ]
    better = 1.0 if sense is Sense.MAXIMIZE else -1.0
    for point in points:
        keys = [k for k in by_instance if k[0] == point]
        labels = sorted({r["label"] for k in keys for r in by_instance[k]}, key=lambda m: (m != learned, m))
        for label in labels:
            values, gaps, record, unproven = [], [], [0, 0, 0], 0
            for key in keys:
                runs = by_instance[key]
                mine = next((r for r in runs if r["label"] == label and r["feasible"]), None)
                agent = next((r for r in runs if r["label"] == learned and r["feasible"]), None)
                if mine is None:
                    continue
                values.append(mine["objective"])
                best, proven = reference(runs, sense, exact)
                gap = gap_to_reference(best, mine["objective"], sense)
                if gap is not None:
                    gaps.append(gap)
                    unproven += not proven
                if agent is not None and label != learned:
                    diff = better * (agent["objective"] - mine["objective"])
                    scale = 1e-6 * max(1.0, abs(mine["objective"]))
                    record[0 if diff > scale else 1 if diff >= -scale else 2] += 1
            wins = "—" if label == learned else " / ".join(map(str, record))
            gap_text = (
                f"{100 * statistics.mean(gaps):.1f} %" + (f" ({unproven} to bound)" if unproven else "")
                if gaps
                else "—"
            )
            where = ", ".join(f"{k} = {v}" for k, v in json.loads(point).items())
            mean = statistics.mean(values)
            mean_text = f"{mean:,.0f}" if abs(mean) >= 1000 else f"{mean:.4g}"
            lines.append(f"| {where} | {label} | {len(values)} | {mean_text} | {gap_text} | {wins} |")
    return lines


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Median wall seconds of ``fn()`` over ``repeat`` runs (after one warm-up)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def publish(text: str, output: Path | None) -> None:
    """Print the page, and write it to ``output`` when given."""
    if output:
        output.write_text(text)
    print(text)


def env_throughput(
    make_env: Callable[[], BatchedEnv], gym_env: Any, instances: list[Any], random_action: Callable, episodes: int
) -> tuple[float, float]:
    """Transitions per second with random allowed actions: batched env, Gymnasium env (one instance)."""
    rng = np.random.default_rng(0)
    env = make_env()
    start, steps = time.perf_counter(), 0
    for _ in range(episodes):
        obs = env.reset(instances)
        done = torch.zeros(len(instances), dtype=torch.bool)
        while not bool(done.all()):
            step = env.step(random_action(rng, obs))
            obs, done = step.observation, step.done.cpu()
            steps += len(instances)
    batched = steps / (time.perf_counter() - start)
    start, steps = time.perf_counter(), 0
    for episode in range(episodes * 4):
        obs, _ = gym_env.reset(options={"instance": instances[episode % len(instances)]})
        done = False
        while not done:
            discrete = isinstance(gym_env.action_space, gym.spaces.Discrete)  # masked: a random allowed one
            obs, _, done, _, _ = gym_env.step(
                int(rng.choice(np.flatnonzero(obs["action_mask"]))) if discrete else gym_env.action_space.sample()
            )
            steps += 1
    return batched, steps / (time.perf_counter() - start)


def random_candidate(rng: np.random.Generator, obs: Observation) -> torch.Tensor:
    """A uniformly random allowed candidate per slot (the argmax of random scores on the mask)."""
    return torch.as_tensor(rng.random(obs.mask.shape)).masked_fill(~obs.mask, -1.0).argmax(-1)
