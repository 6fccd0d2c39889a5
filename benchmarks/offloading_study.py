"""Offloading figures for benchmarks/results/offloading.md (RLMS-CPN Tables 3/13 and 14 layout, scaling).

    python benchmarks/offloading_study.py [--quick] > study.md

1. Mean response latency per topology and method, the improvement of every method over
   every baseline (mean over instances of (L_base − L_method) / L_base) and the gap to the
   MILP's sequence lower bound (L_method − bound) / bound.
2. Decision time per task (Table 14's metric): method runtime / tasks, after the instance's
   candidate nodes and paths are computed (reported apart as "preparation").
3. Scaling to the largest topohub graphs: preparation and per-task decision times, and the
   MILP bound's solve time, on graphs of 12 to 3,815 nodes.
Every run is in-process and single-threaded (HiGHS threads=1).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

import cpnopt
from cpnopt.problems.offloading import OffloadingInstance

METHODS = (
    ("milp", {"time_limit": 120, "threads": 1}),
    ("oracle", {"split": "lp"}),
    ("oracle", {"split": "waterfill"}),
    ("base1", {}),
    ("base2", {}),
    ("base3", {}),
    ("base4", {}),
)
BASELINES = ("base1", "base2", "base3", "base4")
TOPOLOGIES = ("sndlib/abilene", "sndlib/nobel-us", "sndlib/geant", "sndlib/germany50", "gabriel")
SCALING = (
    "sndlib/abilene",
    "sndlib/germany50",
    "sndlib/brain",
    "caida/2024-08/3356",
    "caida/2024-08/7018",
    "backbone/eurasia",
    "backbone/world",
)


def label(name: str, options: dict) -> str:
    return f"oracle ({options['split']})" if name == "oracle" else name


@dataclass
class Run:
    objective: float
    runtime_s: float
    bound: float | None


def prepare(instance: OffloadingInstance) -> float:
    """Compute candidates and candidate paths (cached on the instance); returns the seconds it took."""
    start = time.perf_counter()
    for j, task in enumerate(instance.tasks):
        for c in instance.candidates[j]:
            instance.paths(task.access_point, c)
    return time.perf_counter() - start


def run_all(instance: OffloadingInstance, methods=METHODS) -> dict[str, Run]:
    out = {}
    for name, options in methods:
        sol = cpnopt.solve(instance, name, **options)
        if not sol.feasible:
            raise RuntimeError(f"{name} failed on {instance.name}: {sol.report.message}")
        out[label(name, options)] = Run(sol.report.objective, sol.report.runtime_s, sol.report.bound)
    return out


def latency_tables(seeds: list[int], n_tasks: int, rate: float) -> str:
    per_topo: dict[str, list[dict[str, Run]]] = {}
    for topo in tqdm(TOPOLOGIES, desc="topologies"):
        for seed in seeds:
            inst = cpnopt.generate("offloading", seed=seed, topology=topo, n_tasks=n_tasks, arrival_rate_per_s=rate)
            prepare(inst)
            per_topo.setdefault(topo, []).append(run_all(inst))
    methods = list(next(iter(per_topo.values()))[0])
    lines = [
        f"Mean response latency (ms), mean over {len(seeds)} seeds; {n_tasks} tasks at {rate:g}/s per instance.",
        "",
        "| method | " + " | ".join(TOPOLOGIES) + " |",
        "|---|" + "---:|" * len(TOPOLOGIES),
    ]
    for m in methods:
        cells = [f"{1e3 * np.mean([r[m].objective for r in per_topo[t]]):.1f}" for t in TOPOLOGIES]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    bound_cells = [f"{1e3 * np.mean([r['milp'].bound for r in per_topo[t]]):.1f}" for t in TOPOLOGIES]
    lines.append("| *MILP lower bound* | " + " | ".join(bound_cells) + " |")

    runs = [r for t in TOPOLOGIES for r in per_topo[t]]
    lines += [
        "",
        "Improvement of each method over each baseline, (L_base − L_method) / L_base, and gap to the MILP bound, "
        f"(L_method − bound) / bound: mean over all {len(runs)} instances.",
        "",
        "| method | " + " | ".join(f"vs {b}" for b in BASELINES) + " | gap to bound |",
        "|---|" + "---:|" * (len(BASELINES) + 1),
    ]
    for m in methods:
        imp = [np.mean([(r[b].objective - r[m].objective) / r[b].objective for r in runs]) for b in BASELINES]
        gap = np.mean([(r[m].objective - r["milp"].bound) / r["milp"].bound for r in runs])
        lines.append(f"| {m} | " + " | ".join(f"{100 * v:+.1f}%" for v in imp) + f" | {100 * gap:.1f}% |")

    lines += [
        "",
        f"Decision time per task (ms; runtime / {n_tasks} tasks, candidates and paths precomputed), mean over instances.",
        "",
        "| method | " + " | ".join(TOPOLOGIES) + " |",
        "|---|" + "---:|" * len(TOPOLOGIES),
    ]
    for m in methods:
        cells = [f"{1e3 * np.mean([r[m].runtime_s for r in per_topo[t]]) / n_tasks:.2f}" for t in TOPOLOGIES]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scaling_table(n_tasks: int, rate: float, topologies: tuple[str, ...]) -> str:
    methods = (
        ("oracle", {"split": "waterfill"}),
        ("oracle", {"split": "lp"}),
        ("base1", {}),
        ("base3", {}),
        ("milp", {"time_limit": 120, "threads": 1}),
    )
    lines = [
        f"Seed 0, {n_tasks} tasks at {rate:g}/s, 3 access points, every other node a compute node, top-5 candidates, "
        "3 link-disjoint paths.",
        "",
        "| topology | nodes | links | generate (s) | preparation (s) | oracle wf (ms/task) | oracle lp (ms/task) | "
        "base1 (ms/task) | base3 (ms/task) | milp (s) | oracle latency (ms) | MILP bound (ms) | base1 latency (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for topo in tqdm(topologies, desc="scaling"):
        start = time.perf_counter()
        inst = cpnopt.generate("offloading", seed=0, topology=topo, n_tasks=n_tasks, arrival_rate_per_s=rate)
        generated = time.perf_counter() - start
        prep = prepare(inst)
        r = run_all(inst, methods)
        per_task = [f"{1e3 * r[label(n, o)].runtime_s / n_tasks:.2f}" for n, o in methods[:4]]
        lines.append(
            f"| {topo} | {inst.n_nodes} | {len(inst.links)} | {generated:.2f} | {prep:.2f} | "
            + " | ".join(per_task)
            + f" | {r['milp'].runtime_s:.1f} | {1e3 * r['oracle (waterfill)'].objective:.1f} | "
            f"{1e3 * r['milp'].bound:.1f} | {1e3 * r['base1'].objective:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 10 tasks, the three smallest scaling graphs")
    args = parser.parse_args()
    seeds = [0, 1] if args.quick else [0, 1, 2, 3, 4]
    n_tasks = 10 if args.quick else 30
    cpnopt.solve(cpnopt.generate("offloading", seed=0, n_tasks=2), "milp")  # imports outside the timings
    print("## Latency per topology and method\n")
    print(latency_tables(seeds, n_tasks, 10.0))
    print("\n## Scaling to the largest topohub graphs\n")
    print(scaling_table(n_tasks, 10.0, SCALING[:3] if args.quick else SCALING))


if __name__ == "__main__":
    main()
