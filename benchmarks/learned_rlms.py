"""Score the bundled ``rlms`` / ``rlms-mlp`` / ``gnn-dqn`` agents: improvement over Base1–4, gap to the oracle and bound, decision time.

Run the harness first, then this script on its store:

    cpnopt bench run benchmarks/suites/learned-rlms.toml --quick --db learned-rlms.db   # or without --quick
    python benchmarks/learned_rlms.py --db learned-rlms.db --suite learned-rlms-quick -o benchmarks/results/learned-rlms.md

From the store (held-out seeds), per topology: every method's mean response latency, its
mean gap to the per-task oracle and to the MILP's clairvoyant lower bound (RLMS-CPN
Table 3/13 layout), and each agent's improvement over each baseline and over ``rlms`` (1 −
mean latency of the agent / mean latency of the other) with wins / ties / losses on the
same instances. Agents missing from the store (e.g. ``gnn-dqn`` in a store of the suite
before it was added) are left out of the tables.
Measured here: decision time per task (Table 14's metric; greedy policy + environment
step, batch 1 and batched, and the forward pass alone) and environment transitions per
second (batched and Gymnasium), with the training figures from the checkpoints' records.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import torch
from learned_common import env_throughput, publish, timed

import cpnopt
from cpnopt.bench.cli import default_store
from cpnopt.bench.store import Store
from cpnopt.problems.offloading.env import BatchedOffloadingEnv, OffloadingEnv
from cpnopt.rl_env import Observation
from cpnopt.solvers.rl.serving import act_greedily, get_agent, load_policy
from cpnopt.solvers.rl.train import device_name

AGENTS = ("rlms", "rlms-mlp", "gnn-dqn", "gnn-dqn-latency")
BASELINES = ("base1", "base2", "base3", "base4", "oracle", "rlms")
ORDER = ("milp", "oracle", *AGENTS, "base1", "base2", "base3", "base4")


def _by_point(store: Store, suite: str) -> dict[str, dict[int, dict[str, dict]]]:
    """point → seed → method → run (feasible runs only)."""
    out: dict[str, dict[int, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    for run in store.runs(suite):
        if run["feasible"]:
            out[json.dumps(run["point"], sort_keys=True)][run["seed"]][run["method"]] = run
    return out


def _pct(values: list[float]) -> str:
    return f"{100 * statistics.mean(values):.1f} %" if values else "—"


def score(store: Store, suite: str) -> list[str]:
    lines = []
    for point, seeds in sorted(_by_point(store, suite).items()):
        where = ", ".join(f"{k} = {v}" for k, v in json.loads(point).items())
        lines += [
            f"**{where}** ({len(seeds)} held-out seeds)",
            "",
            "| method | mean latency (ms) | gap to oracle | gap to MILP bound | ms per task (harness runtime / tasks) |",
            "|---|---:|---:|---:|---:|",
        ]
        for method in ORDER:
            runs = [(s, by[method]) for s, by in seeds.items() if method in by]
            if not runs:
                continue
            oracle_gap = [r["objective"] / seeds[s]["oracle"]["objective"] - 1 for s, r in runs if "oracle" in seeds[s]]
            bound_gap = [
                r["objective"] / seeds[s]["milp"]["bound"] - 1
                for s, r in runs
                if "milp" in seeds[s] and seeds[s]["milp"]["bound"]
            ]
            per_task = statistics.mean(1e3 * r["runtime_s"] / r["metrics"]["tasks"] for _, r in runs)
            latency = statistics.mean(r["metrics"]["mean_latency_ms"] for _, r in runs)
            lines.append(f"| {method} | {latency:,.1f} | {_pct(oracle_gap)} | {_pct(bound_gap)} | {per_task:.2f} |")
        lines += [
            "",
            "| agent | " + " | ".join(f"vs {b}: improvement, W/T/L" for b in BASELINES) + " |",
            "|---|" + "---:|" * len(BASELINES),
        ]
        for agent in AGENTS:
            if not any(agent in by for by in seeds.values()):
                continue
            cells = []
            for base in BASELINES:
                pairs = [
                    (by[agent]["objective"], by[base]["objective"])
                    for by in seeds.values()
                    if agent in by and base in by
                ]
                if not pairs or base == agent:
                    cells.append("—")
                    continue
                mine, theirs = np.array(pairs).T
                record = [
                    int((mine < theirs - 1e-9).sum()),
                    int((abs(mine - theirs) <= 1e-9).sum()),
                    int((mine > theirs + 1e-9).sum()),
                ]
                cells.append(f"{100 * (1 - mine.mean() / theirs.mean()):+.1f} %, {'/'.join(map(str, record))}")
            lines.append(f"| {agent} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def decision_time(method: str, batch: int, topology: str) -> str:
    """ms per task: greedy policy + environment step (batch 1 and ``batch`` instances), forward pass alone."""
    spec = get_agent("offloading", method)
    policy, env = load_policy(spec), spec.make_env(torch.device("cpu"))  # the environment its solve runs on
    instances = [cpnopt.generate("offloading", seed=s, topology=topology) for s in range(batch)]
    tasks = instances[0].n_tasks
    one = timed(lambda: act_greedily(env, policy, instances[:1]), 10)
    many = timed(lambda: act_greedily(env, policy, instances), 2)
    obs1, obs_b = BatchedOffloadingEnv().reset(instances[:1]), BatchedOffloadingEnv().reset(instances)
    with torch.no_grad():
        fwd1 = timed(lambda: policy(obs1), 200)
        fwd_b = timed(lambda: policy(obs_b), 50)
    return (
        f"| {method} | {topology} | {1e3 * one / tasks:.2f} | {1e3 * many / batch / tasks:.3f} | "
        f"{1e3 * fwd1:.3f} | {1e3 * fwd_b / batch:.4f} |"
    )


def random_joint_action(rng: np.random.Generator, obs: Observation) -> torch.Tensor:
    """A random candidate slot (0–4) and random split logits per slot: the environment's joint action."""
    batch = obs.mask.shape[0]
    return torch.as_tensor(np.concatenate([rng.integers(0, 5, (batch, 1)), rng.normal(size=(batch, 3))], 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=default_store(), help="the store of `cpnopt bench run` (default: its default)")
    parser.add_argument("--suite", default="learned-rlms")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with Store(args.db) as store:
        scores = score(store, args.suite)
    sample = [cpnopt.generate("offloading", seed=s) for s in range(args.batch)]
    batched, gym_rate = env_throughput(
        BatchedOffloadingEnv, OffloadingEnv(split="continuous"), sample, random_joint_action, 2
    )
    agents = [m for m in AGENTS if get_agent("offloading", m).bundled_checkpoint().is_file()]
    records = {
        m: json.loads(get_agent("offloading", m).bundled_checkpoint().with_suffix(".json").read_text()) for m in agents
    }
    lines = [
        f"### `{args.suite}`: {' / '.join(agents)} vs oracle, MILP bound and Base1–Base4 (held-out seeds)",
        "",
        *scores,
        "Decision time per task (Table 14's metric): greedy policy + environment step (the evaluator's state update):",
        "",
        "| agent | topology | ms per task, batch 1 | ms per task, batch of "
        + str(args.batch)
        + " | forward pass, batch 1 (ms) | forward pass per instance, batched (ms) |",
        "|---|---|---:|---:|---:|---:|",
        *(decision_time(m, args.batch, t) for m in agents for t in ("sndlib/abilene", "sndlib/germany50")),
        "",
        f"Environment: {batched:,.0f} transitions/s batched ({args.batch} instances, random joint actions, "
        f"evaluator at each episode end), {gym_rate:,.0f} transitions/s through Gymnasium (one instance).",
        "",
        *(
            f"Training `{m}`: {r['steps']:,} transitions in {r['wall_time_s']:.0f} s on {r['device_name']} "
            f"= {r['steps'] / r['wall_time_s']:,.0f} transitions/s; command(s) {'; then '.join(f'`{c}`' for c in r['commands'])}."
            for m, r in records.items()
        ),
        "",
        f"Machine: {platform.machine()}, {device_name(torch.device('cpu'))}, PyTorch {torch.__version__}; "
        f"{os.cpu_count()} cores shared with other jobs during this session (1-minute load average "
        f"{os.getloadavg()[0]:.1f} after the timings: they are indicative). Date {date.today().isoformat()}.",
    ]
    publish("\n".join(lines) + "\n", args.output)


if __name__ == "__main__":
    main()
