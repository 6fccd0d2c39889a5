"""Score the bundled ``gwp`` agent: gap to the optimum, win rates, decision latency, env steps/s.

Run the harness first, then this script on its store:

    cpnopt bench run benchmarks/suites/learned-gwp.toml --db learned-gwp.db          # or --quick
    python benchmarks/learned_gwp.py --db learned-gwp.db -o benchmarks/results/learned-gwp.md

From the store (held-out seeds): per sweep point, every method's mean objective, mean gap to
milp's proven optimum (to its bound where unproven, which overstates the gap) and the agent's
wins / ties / losses against each method on the same instances. Measured here: ms per
decision (one decision = one iteration's partition: the policy step, the split and the
evaluator's iteration cost) at batch 1 and batched, the policy's forward pass alone, and
environment transitions per second (batched and Gymnasium), with the training figures from
the checkpoint's JSON record. The helpers are shared with ``learned_regional.py``.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from learned_common import env_throughput, score, timed  # the script directory is on sys.path

import cpnopt
from cpnopt.bench.cli import default_store
from cpnopt.bench.store import Store
from cpnopt.bench.tables import build_table, to_markdown
from cpnopt.rl_env import BatchedEnv
from cpnopt.solution import Sense
from cpnopt.solvers.rl.serving import act_greedily, get_agent, load_policy
from cpnopt.solvers.rl.train import device_name


def latency(
    make_env: Callable[[], BatchedEnv], policy: torch.nn.Module, instances: list[Any], decisions: int, label: str
) -> list[str]:
    """Rows: ms per decision (``decisions`` per instance) at batch 1 and batched, and per forward pass."""
    batch = len(instances)
    one = timed(lambda: act_greedily(make_env(), policy, instances[:1]), 10)
    many = timed(lambda: act_greedily(make_env(), policy, instances), 3)
    obs1, obs_b = make_env().reset(instances[:1]), make_env().reset(instances)
    with torch.no_grad():
        fwd1 = timed(lambda: policy(obs1)[0].mode, 100)
        fwd_b = timed(lambda: policy(obs_b)[0].mode, 20)
    return [
        f"| {label} | 1 | {1e3 * one / decisions:.2f} | {1e3 * fwd1:.3f} |",
        f"| {label} | {batch} | {1e3 * many / batch / decisions:.3f} | {1e3 * fwd_b / batch:.4f} |",
    ]


def report(
    args: argparse.Namespace,
    family: str,
    learned: str,
    title: str,
    sense: Sense,
    make_env: Callable[[], BatchedEnv],
    gym_env: Any,
    sizes: list[tuple[str, list[Any], int]],
    random_action: Callable,
    decision_text: str,
) -> str:
    """The results page: harness table, scores, latency per size, env throughput, training record, machine."""
    torch.set_num_threads(1)
    spec = get_agent(family, learned)
    record = json.loads(spec.bundled_checkpoint().with_suffix(".json").read_text())
    policy = load_policy(spec)
    with Store(args.db) as store:
        table = to_markdown(build_table(store, args.suite))
        scores = score(store, args.suite, learned, sense)
    rows = [row for label, insts, decisions in sizes for row in latency(make_env, policy, insts, decisions, label)]
    batched, gym_rate = env_throughput(make_env, gym_env, sizes[0][1], random_action, 3)
    lines = [
        f"### `{args.suite}`: {title} (held-out seeds)",
        "",
        table,
        "",
        *scores,
        "",
        f"Decision latency (greedy policy; {decision_text}):",
        "",
        "| instances | batch | ms per decision | ms per forward pass (per instance) |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        f"Environment: {batched:,.0f} transitions/s batched ({len(sizes[0][1])} instances, random actions), "
        f"{gym_rate:,.0f} transitions/s through Gymnasium (one instance).",
        f"Training (bundled checkpoint): {record['steps']:,} transitions in {record['wall_time_s']:.0f} s on "
        f"{record['device_name']} = {record['steps'] / record['wall_time_s']:,.0f} transitions/s; "
        f"commands `{'`, `'.join(record['commands'])}`.",
        f"Machine: {device_name(torch.device('cpu'))}, PyTorch {torch.__version__}, 1 thread; "
        f"load average {os.getloadavg()[0]:.1f} (shared with other jobs: timings are indicative), "
        f"{datetime.now(timezone.utc):%Y-%m-%d}.",
    ]
    text = "\n".join(lines) + "\n"
    if args.output:
        args.output.write_text(text)
    return text


def arguments(suite: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=default_store(), help="the store of `cpnopt bench run` (default: its default)")
    parser.add_argument("--suite", default=suite)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("-o", "--output", type=Path)
    return parser.parse_args()


def main() -> None:
    from cpnopt.problems.placement.env import WEIGHT_LEVELS, BatchedPlacementEnv, PlacementEnv

    args = arguments("learned-gwp")
    sizes = [
        (
            f"{m} devices, 15 layers",
            [cpnopt.generate("placement", seed=s, n_iterations=5, n_devices=m) for s in range(args.batch)],
            5,
        )
        for m in (4, 8, 16)  # trained on 4
    ]
    print(
        report(
            args,
            "placement",
            "gwp",
            "gwp vs the per-iteration optimum and the GWP baselines",
            Sense.MINIMIZE,
            BatchedPlacementEnv,
            PlacementEnv(n_iterations=5),
            sizes,
            lambda rng, obs: torch.as_tensor(rng.integers(0, len(WEIGHT_LEVELS), size=obs.mask.shape)),
            "one decision = one iteration's partition of 6,984 neurons: policy step, split, memory fit, "
            "iteration cost; the evaluator at each episode end",
        )
    )


if __name__ == "__main__":
    main()
