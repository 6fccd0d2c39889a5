"""Score the bundled ``dcat`` agent: gap to the optimum, win rates, decision latency, env steps/s.

Run the harness first, then this script on its store:

    cpnopt bench run benchmarks/suites/learned-dcat.toml --quick --db learned.db   # or without --quick
    python benchmarks/learned_dcat.py --db learned.db --suite learned-dcat-quick -o benchmarks/results/learned.md

From the store (held-out seeds): per sweep point, every method's mean platform profit, mean
gap to the proven optimum (milp, else cg when proven; else to the tightest bound, which
overstates the gap) and dcat's wins / ties / losses
against each baseline on the same instances. Measured here: ms per decision (one clustering
of an instance: the policy's steps, REA and the evaluator) at batch 1 and batched, the
policy's forward pass alone, and environment transitions per second (batched and
Gymnasium), with the training figures from the checkpoint's JSON record.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

import cpnopt
from cpnopt.bench.store import Store
from cpnopt.bench.tables import build_table, to_markdown
from cpnopt.envs.clustering import BatchedClusteringEnv, ClusteringEnv
from cpnopt.solution import Sense, Status, gap_to_reference
from cpnopt.solvers.learned.agents import act_greedily, get_agent, load_policy

LEARNED = "dcat"
EXACT = ("milp", "cg")


def reference(runs: list[dict]) -> tuple[float | None, bool]:
    """The proven optimum of one instance (milp's, else cg's), else the tightest bound; and whether proven."""
    exact = [r for r in runs if r["method"] in EXACT]
    for run in exact:
        if run["status"] == Status.OPTIMAL.value:
            return run["objective"], True
    bounds = [r["bound"] for r in exact if r["bound"] is not None]
    return (min(bounds), False) if bounds else (None, False)


def score(store: Store, suite: str) -> list[str]:
    """Mean gap to the optimum per method and dcat's record against each baseline, per sweep point."""
    by_instance: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for run in store.runs(suite):
        by_instance[(json.dumps(run["point"], sort_keys=True), run["seed"])].append(run)
    points = sorted({p for p, _ in by_instance}, key=lambda p: list(json.loads(p).values()))
    lines = ["| point | method | instances | mean profit | mean gap to optimum (to bound where unproven) | dcat wins / ties / losses |",
             "|---|---|---:|---:|---:|---:|"]
    for point in points:
        keys = [k for k in by_instance if k[0] == point]
        labels = sorted({r["label"] for k in keys for r in by_instance[k]}, key=lambda m: (m != LEARNED, m))
        for label in labels:
            profits, gaps, record, unproven = [], [], [0, 0, 0], 0
            for key in keys:
                runs = by_instance[key]
                mine = next((r for r in runs if r["label"] == label and r["feasible"]), None)
                learned = next((r for r in runs if r["label"] == LEARNED and r["feasible"]), None)
                if mine is None:
                    continue
                profits.append(mine["objective"])
                best, proven = reference(runs)
                gap = gap_to_reference(best, mine["objective"], Sense.MAXIMIZE)
                if gap is not None:
                    gaps.append(gap)
                    unproven += not proven
                if learned is not None and label != LEARNED:
                    diff = learned["objective"] - mine["objective"]
                    record[0 if diff > 1e-6 else 1 if diff >= -1e-6 else 2] += 1
            wins = "—" if label == LEARNED else " / ".join(map(str, record))
            gap_text = f"{100 * statistics.mean(gaps):.1f} %" + (f" ({unproven} to bound)" if unproven else "") if gaps else "—"
            where = ", ".join(f"{k} = {v}" for k, v in json.loads(point).items())
            lines.append(f"| {where} | {label} | {len(profits)} | {statistics.mean(profits):,.0f} | {gap_text} | {wins} |")
    return lines


def timed(fn, repeat: int) -> float:
    """Median wall seconds of ``fn()`` over ``repeat`` runs (after one warm-up)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def latency(batch: int, n_servers: int) -> list[str]:
    spec = get_agent("clustering", LEARNED)
    policy = load_policy(spec)
    instances = [cpnopt.generate("clustering", seed=s, n_servers=n_servers) for s in range(batch)]
    one = timed(lambda: act_greedily(BatchedClusteringEnv(), policy, instances[:1]), 20)
    many = timed(lambda: act_greedily(BatchedClusteringEnv(), policy, instances), 3)
    obs1 = BatchedClusteringEnv().reset(instances[:1])
    obs_b = BatchedClusteringEnv().reset(instances)
    with torch.no_grad():
        fwd1 = timed(lambda: policy(obs1), 200)
        fwd_b = timed(lambda: policy(obs_b), 50)
    return [
        f"| {n_servers} | 1 | {1e3 * one:.2f} | {1e3 * one / n_servers:.2f} | {1e3 * fwd1:.3f} |",
        f"| {n_servers} | {batch} | {1e3 * many / batch:.2f} | {1e3 * many / batch / n_servers:.3f} | {1e3 * fwd_b / batch:.4f} |",
    ]


def env_throughput(batch: int, n_servers: int, episodes: int) -> tuple[float, float]:
    """Transitions per second with uniformly random allowed actions: batched env, Gymnasium env."""
    rng = np.random.default_rng(0)
    sample = [cpnopt.generate("clustering", seed=s, n_servers=n_servers) for s in range(batch)]
    env = BatchedClusteringEnv()
    start = time.perf_counter()
    steps = 0
    for _ in range(episodes):
        obs = env.reset(sample)
        for _ in range(n_servers):
            scores = torch.as_tensor(rng.random(obs.mask.shape)) * obs.mask
            obs = env.step(scores.argmax(-1)).observation
            steps += batch
    batched = steps / (time.perf_counter() - start)
    gym_env = ClusteringEnv(n_servers=n_servers)
    start, steps = time.perf_counter(), 0
    for episode in range(episodes * 4):
        obs, _ = gym_env.reset(options={"instance": sample[episode % batch]})
        done = False
        while not done:
            obs, _, done, _, _ = gym_env.step(int(rng.choice(np.flatnonzero(obs["action_mask"]))))
            steps += 1
    return batched, steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="results.db")
    parser.add_argument("--suite", default="learned-dcat")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    record = json.loads(get_agent("clustering", LEARNED).bundled_checkpoint().with_suffix(".json").read_text())
    with Store(args.db) as store:
        table = to_markdown(build_table(store, args.suite))
        scores = score(store, args.suite)
    batched, gym_rate = env_throughput(args.batch, 8, 5)
    lines = [
        f"### `{args.suite}`: dcat vs the exact optimum and the REA baselines (held-out seeds)", "",
        table, "",
        *scores, "",
        "Decision latency (greedy policy + REA + evaluator; one decision = the clustering of one instance):", "",
        "| servers | batch | ms per decision | ms per policy step | ms per forward pass (per instance) |",
        "|---:|---:|---:|---:|---:|",
        *latency(args.batch, 8), *latency(args.batch, 16), "",
        f"Environment: {batched:,.0f} transitions/s batched ({args.batch} instances, random allowed actions, "
        f"REA + evaluator at each episode end), {gym_rate:,.0f} transitions/s through Gymnasium (one instance).",
        f"Training (bundled checkpoint): {record['steps']:,} transitions in {record['wall_time_s']:.0f} s on "
        f"{record['device_name']} = {record['steps'] / record['wall_time_s']:,.0f} transitions/s; "
        f"command `{record['commands'][0]}`.",
        f"Machine: {platform.machine()} {platform.processor() or ''}, PyTorch {torch.__version__}, 1 thread; "
        "2-core Xeon shared with other jobs during this session (timings are indicative).",
    ]
    text = "\n".join(lines) + "\n"
    if args.output:
        args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
