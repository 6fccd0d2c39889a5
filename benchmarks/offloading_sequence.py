"""The offloading sequence optimum (``seq-opt``): how far it proves, and every method's gap to it.

    python benchmarks/offloading_sequence.py [--seeds 10] [--tasks 10 20 30] [--rate 5] [--time-limit 60] \
        [--k-paths 3] [--topology sndlib/abilene] > seq.md

Per number of tasks on the paper's Abilene scenario (or ``--topology``; the generator's defaults: 3 access points,
5 candidates, ``--k-paths`` link-disjoint paths (default 3), Poisson arrivals at ``--rate`` tasks/s):

1. ``seq-opt`` (one HiGHS thread, ``--time-limit``): instances proven, solve time (mean, max),
   certified gap (objective − bound) / objective of the ones it did not finish, search nodes.
2. Every method's gap to the sequence optimum, (L_method − L*) / L*, mean and worst over the
   instances ``seq-opt`` proved — the heuristics, the per-decision ``oracle``, the ``milp``
   relaxation's own decision and the learned agents (bundled checkpoints) — and the ``milp``
   bound's gap below the optimum.
Every run is in-process and single-threaded.
"""

from __future__ import annotations

import argparse

import numpy as np

import cpnopt
from cpnopt.solution import Status

METHODS = (
    ("oracle", {"split": "waterfill"}),
    ("base1", {}),
    ("base2", {}),
    ("base3", {}),
    ("base4", {}),
    ("milp", {"time_limit": 60, "threads": 1}),
    ("rlms", {}),
    ("rlms-mlp", {}),
    ("gnn-dqn", {}),
    ("gnn-dqn-latency", {}),
)


def proof_row(n_tasks: int, runs: list) -> str:
    proven = [r for r in runs if r.report.status is Status.OPTIMAL]
    open_ = [r for r in runs if r.report.status is not Status.OPTIMAL]
    times = [r.report.runtime_s for r in runs]
    gaps = [(r.report.objective - r.report.bound) / r.report.objective for r in open_]
    worst_gap = f"{100 * max(gaps):.1f} % (mean {100 * np.mean(gaps):.1f} %)" if gaps else "—"
    nodes = [r.report.info["search_nodes"] for r in runs]
    return (
        f"| {n_tasks} | {len(proven)}/{len(runs)} | {np.mean(times):.1f} | {max(times):.1f} | {worst_gap} "
        f"| {int(np.mean(nodes))} / {max(nodes)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--tasks", type=int, nargs="+", default=[10, 20, 30])
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--k-paths", type=int, default=3, help="candidate paths per (access point, node)")
    parser.add_argument("--topology", default="sndlib/abilene")
    args = parser.parse_args()

    proof, gaps = [], {}
    for n_tasks in args.tasks:
        runs = []
        for seed in range(args.seeds):
            inst = cpnopt.generate(
                "offloading",
                seed=seed,
                n_tasks=n_tasks,
                arrival_rate_per_s=args.rate,
                k_paths=args.k_paths,
                topology=args.topology,
            )
            opt = cpnopt.solve(inst, "seq-opt", time_limit=args.time_limit, threads=1)
            runs.append(opt)
            if opt.report.status is not Status.OPTIMAL:
                continue
            best = opt.report.objective
            for name, options in METHODS:
                sol = cpnopt.solve(inst, name, **options)
                gaps.setdefault((n_tasks, name), []).append((sol.report.objective - best) / best)
                if name == "milp":
                    gaps.setdefault((n_tasks, "milp bound"), []).append((sol.report.bound - best) / best)
        proof.append(proof_row(n_tasks, runs))

    print(
        f"### seq-opt on {args.topology}, {args.rate:g} tasks/s, k_paths = {args.k_paths}, {args.seeds} seeds, "
        f"{args.time_limit:g} s, 1 thread\n"
    )
    print("| tasks | proven | mean s | max s | certified gap of the unproven (worst) | search nodes mean / max |")
    print("|---|---|---|---|---|---|")
    print("\n".join(proof))
    print("\n### Gap to the sequence optimum, (L − L*) / L*, over the proven instances: mean (worst)\n")
    names = [name for name, _ in METHODS] + ["milp bound"]
    print("| method | " + " | ".join(f"{n} tasks" for n in args.tasks) + " |")
    print("|---|" + "---|" * len(args.tasks))
    for name in names:
        cells = []
        for n_tasks in args.tasks:
            values = gaps.get((n_tasks, name), [])
            cells.append(f"{100 * np.mean(values):+.2f} % ({100 * max(values, key=abs):+.2f} %)" if values else "—")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
