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
from pathlib import Path

import torch
from learned_common import (
    env_throughput,
    publish,
    random_candidate,
    score,
    timed,
)  # the script directory is on sys.path

import cpnopt
from cpnopt.bench.cli import default_store
from cpnopt.bench.store import Store
from cpnopt.bench.tables import build_table, to_markdown
from cpnopt.problems.clustering.env import BatchedClusteringEnv, ClusteringEnv
from cpnopt.solution import Sense
from cpnopt.solvers.rl.serving import act_greedily, get_agent, load_policy

LEARNED = "dcat"
EXACT = ("milp", "cg")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=default_store(), help="the store of `cpnopt bench run` (default: its default)")
    parser.add_argument("--suite", default="learned-dcat")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    record = json.loads(get_agent("clustering", LEARNED).bundled_checkpoint().with_suffix(".json").read_text())
    with Store(args.db) as store:
        table = to_markdown(build_table(store, args.suite))
        scores = score(store, args.suite, LEARNED, Sense.MAXIMIZE, exact=EXACT)
    sample = [cpnopt.generate("clustering", seed=s, n_servers=8) for s in range(args.batch)]
    batched, gym_rate = env_throughput(BatchedClusteringEnv, ClusteringEnv(n_servers=8), sample, random_candidate, 5)
    lines = [
        f"### `{args.suite}`: dcat vs the exact optimum and the REA baselines (held-out seeds)",
        "",
        table,
        "",
        *scores,
        "",
        "Decision latency (greedy policy + REA + evaluator; one decision = the clustering of one instance):",
        "",
        "| servers | batch | ms per decision | ms per policy step | ms per forward pass (per instance) |",
        "|---:|---:|---:|---:|---:|",
        *latency(args.batch, 8),
        *latency(args.batch, 16),
        "",
        f"Environment: {batched:,.0f} transitions/s batched ({args.batch} instances, random allowed actions, "
        f"REA + evaluator at each episode end), {gym_rate:,.0f} transitions/s through Gymnasium (one instance).",
        f"Training (bundled checkpoint): {record['steps']:,} transitions in {record['wall_time_s']:.0f} s on "
        f"{record['device_name']} = {record['steps'] / record['wall_time_s']:,.0f} transitions/s; "
        f"command `{record['commands'][0]}`.",
        f"Machine: {platform.machine()} {platform.processor() or ''}, PyTorch {torch.__version__}, 1 thread; "
        "2-core Xeon shared with other jobs during this session (timings are indicative).",
    ]
    publish("\n".join(lines) + "\n", args.output)


if __name__ == "__main__":
    main()
