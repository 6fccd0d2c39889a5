"""``seq-opt`` with and without the coupled lower bound (formulations/offloading/coupled.py), in one run.

    python benchmarks/offloading_coupled.py abilene [--seeds 5] [--tasks 20 25 30] [--time-limit 60] > a.md
    python benchmarks/offloading_coupled.py topologies [--seeds 5] [--time-limit 60] > t.md

``abilene``: the paper's scenario (generator defaults, 5 tasks/s) at each ``--tasks``; ``topologies``:
the points of the suite ``offloading-topologies`` (30 tasks at 10 tasks/s on its five graphs). Per
instance both variants run in-process, one after the other, one thread, ``--time-limit`` each:
"before" = the search pruned and bounded by the isolated bound alone, "after" = with the coupled
bound (the default of ``seq-opt``). One row per run as it finishes (status, seconds, objective,
bound, certified gap = (objective − bound) / objective, search nodes, the whole sequence's
coupled bound), then per point: proven share, mean/max seconds, certified gap mean/max.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import cpnopt
from cpnopt.formulations.offloading.sequence import solve_sequence
from cpnopt.solution import Status
from cpnopt.solvers.highs import ExactOptions

TOPOLOGIES = ("sndlib/abilene", "sndlib/nobel-us", "sndlib/geant", "sndlib/germany50", "gabriel")


def points(which: str, tasks: list[int]) -> list[tuple[str, dict]]:
    if which == "abilene":
        return [(f"abilene {n} tasks, 5/s", {"n_tasks": n, "arrival_rate_per_s": 5.0}) for n in tasks]
    return [(f"{g} 30 tasks, 10/s", {"topology": g, "n_tasks": 30, "arrival_rate_per_s": 10.0}) for g in TOPOLOGIES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("points", choices=("abilene", "topologies"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tasks", type=int, nargs="+", default=[20, 25, 30])
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    options = ExactOptions(time_limit=args.time_limit, threads=1)

    print("| point | seed | bound | status | s | objective ms | bound ms | certified gap | nodes | root bound ms |")
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    summary = {}
    for name, params in points(args.points, args.tasks):
        for seed in range(args.seeds):
            inst = cpnopt.generate("offloading", seed=seed, **params)
            for couple in (False, True):
                started = time.perf_counter()
                out = solve_sequence(inst, options, couple)
                seconds = time.perf_counter() - started
                objective = cpnopt.evaluate(inst, out.decision).objective
                gap = (objective - out.bound) / objective
                label = "coupled" if couple else "isolated"
                summary.setdefault((name, label), []).append((out.status is Status.OPTIMAL, seconds, gap))
                print(
                    f"| {name} | {seed} | {label} | {out.status.value} | {seconds:.1f} | {1e3 * objective:.2f} "
                    f"| {1e3 * out.bound:.2f} | {100 * gap:.2f} % | {out.info['search_nodes']} "
                    f"| {1e3 * out.info['root_bound']:.2f} |",
                    flush=True,
                )

    print("\n| point | bound | proven | mean s | max s | certified gap mean | max |")
    print("|---|---|---|---|---|---|---|")
    for (name, label), runs in summary.items():
        proven, seconds, gaps = (np.array(x) for x in zip(*runs))
        print(
            f"| {name} | {label} | {int(proven.sum())}/{len(runs)} | {seconds.mean():.1f} | {seconds.max():.1f} "
            f"| {100 * gaps.mean():.2f} % | {100 * gaps.max():.2f} % |"
        )


if __name__ == "__main__":
    main()
