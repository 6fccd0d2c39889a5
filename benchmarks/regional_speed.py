"""Speed and quality benchmark for the regional family (multistage profit-aware scheduling).

Three measurements, written as Markdown tables (stdout, and ``--out FILE``):

1. Ladder: the largest size the MILP proves optimal within the time limit (whole
   ``cpnopt.solve`` call, build included). For 4 regions (2 east, 2 west) with 2 and with 3
   servers each, the task count grows by ``--step`` until a size where some seed is not
   proven; every size reports proven seeds, build and total time, and the worst gap.
2. Scenario sizes: status, gap and time of the MILP after one time limit at the sizes of the
   East-to-West scenario (4 regions × 3 servers × 40 tasks, 8 regions × 3 servers × 60 tasks).
3. Baselines: each heuristic's gap to the proven optimum, (opt − value)/opt, over ``--seeds``
   seeds at two sizes the MILP proves in seconds, with acceptance rate and runtime.

    python benchmarks/regional_speed.py --quick               # smoke run, about a minute
    python benchmarks/regional_speed.py --out /tmp/regional.md   # full run, about 30 min on 2 cores
    python benchmarks/regional_speed.py --part gaps              # one part only
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
from typing import Any

from tqdm import tqdm

import cpnopt

HEURISTICS = {  # table label -> (method, options)
    "two-stage": ("two-stage", {}),
    "two-stage estimate=best": ("two-stage", {"estimate": "best"}),
    "nearest-region": ("nearest-region", {}),
    "cheapest-region": ("cheapest-region", {}),
    "random": ("random", {}),
}


def instance(seed: int, n_tasks: int, servers_per_region: int, n_east: int = 2, n_west: int = 2) -> Any:
    return cpnopt.generate(
        "regional", seed=seed, n_tasks=n_tasks, servers_per_region=servers_per_region, n_east=n_east, n_west=n_west
    )


def solve_milp(inst: Any, time_limit: float, threads: int) -> dict[str, Any]:
    r = cpnopt.solve(inst, "milp", time_limit=time_limit, threads=threads).report
    return {
        "status": r.status.value,
        "objective": r.objective,
        "gap": r.gap,
        "runtime_s": r.runtime_s,
        "build_s": r.info.get("build_s"),
        "constraints": r.info.get("constraints"),
    }


def fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def ladder(args: argparse.Namespace) -> list[str]:
    rows = [
        "| servers | tasks | proven in limit | median time (s) | max time (s) | max build (s) | worst gap |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    largest: dict[int, int] = {}
    for per_region in (2, 3):
        n_tasks = args.start
        while n_tasks <= args.max_tasks:
            runs = [
                solve_milp(instance(s, n_tasks, per_region), args.time_limit, args.threads)
                for s in tqdm(
                    range(args.ladder_seeds),
                    desc=f"ladder {4 * per_region} servers × {n_tasks} tasks",
                    file=sys.stderr,
                    leave=False,
                )
            ]
            proven = sum(r["status"] == "optimal" for r in runs)
            times = [r["runtime_s"] for r in runs]
            gaps = [r["gap"] for r in runs if r["gap"] is not None]
            rows.append(
                f"| {4 * per_region} | {n_tasks} | {proven}/{len(runs)} | {statistics.median(times):.2f} | "
                f"{max(times):.2f} | {max(r['build_s'] for r in runs):.2f} | "
                f"{fmt(100 * max(gaps), 1) + ' %' if gaps else '–'} |"
            )
            if proven < len(runs):
                break
            largest[4 * per_region] = n_tasks
            n_tasks += args.step
    summary = ", ".join(f"{s} servers: {t} tasks" for s, t in largest.items()) or "none"
    return rows + ["", f"Largest size with every seed proven optimal in {args.time_limit:.0f} s: {summary}."]


def scenario_sizes(args: argparse.Namespace) -> list[str]:
    rows = [
        "| regions | servers | tasks | seed | status | objective | gap | build (s) | total (s) | constraints |",
        "|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for n_regions, per_region, n_tasks in args.scenario:
        for seed in range(args.scenario_seeds):
            inst = instance(seed, n_tasks, per_region, n_east=n_regions // 2, n_west=n_regions - n_regions // 2)
            r = solve_milp(inst, args.time_limit, args.threads)
            gap = None if r["gap"] is None else f"{100 * r['gap']:.2f} %"
            rows.append(
                f"| {n_regions} | {n_regions * per_region} | {n_tasks} | {seed} | {r['status']} | "
                f"{fmt(r['objective'], 0)} | {fmt(gap)} | {fmt(r['build_s'])} | {r['runtime_s']:.1f} | "
                f"{r['constraints']} |"
            )
    return rows


def baseline_gaps(args: argparse.Namespace) -> list[str]:
    rows = [
        "| servers | tasks | method | mean gap | std | min | max | acceptance | runtime (ms) | seeds |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for per_region, n_tasks in args.gap_sizes:
        results: dict[str, list[tuple[float, float, float]]] = {m: [] for m in ("milp", *HEURISTICS)}
        for seed in tqdm(
            range(args.seeds), desc=f"gaps {4 * per_region} servers × {n_tasks} tasks", file=sys.stderr, leave=False
        ):
            inst = instance(seed, n_tasks, per_region)
            exact = cpnopt.solve(inst, "milp", time_limit=args.time_limit, threads=args.threads)
            if exact.report.status is not cpnopt.Status.OPTIMAL or exact.report.objective <= 0:
                continue  # a gap needs a proven, positive optimum
            optimum = exact.report.objective
            for name in results:
                sol = exact if name == "milp" else cpnopt.solve(inst, HEURISTICS[name][0], **HEURISTICS[name][1])
                gap = (optimum - sol.report.objective) / optimum
                results[name].append((gap, sol.evaluation.metrics["acceptance_rate"], sol.report.runtime_s))
        for name, values in results.items():
            gaps = [100 * g for g, _, _ in values]
            rows.append(
                f"| {4 * per_region} | {n_tasks} | {name} | {statistics.mean(gaps):.1f} % | "
                f"{statistics.pstdev(gaps):.1f} | {min(gaps):.1f} % | {max(gaps):.1f} % | "
                f"{100 * statistics.mean(a for _, a, _ in values):.0f} % | "
                f"{1000 * statistics.mean(t for _, _, t in values):.1f} | {len(values)} |"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=20, help="seeds of the baseline-gap study")
    parser.add_argument("--out", help="also write the tables to this Markdown file")
    parser.add_argument("--part", choices=("all", "ladder", "scenario", "gaps"), default="all")
    args = parser.parse_args()
    args.start, args.step, args.max_tasks, args.ladder_seeds = 8, 4, 200, 3
    args.scenario, args.scenario_seeds = [(4, 3, 40), (8, 3, 60)], 2
    args.gap_sizes = [(2, 16), (3, 16)]
    if args.quick:
        args.time_limit, args.seeds, args.max_tasks, args.ladder_seeds = 10.0, 3, 16, 2
        args.scenario, args.scenario_seeds, args.gap_sizes = [(4, 2, 20)], 1, [(2, 12)]

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, HiGHS threads = {args.threads}, "
        f"time limit {args.time_limit:.0f} s, {stamp}."
    ]
    parts = {
        "ladder": ("MILP: largest size proven optimal in the time limit (4 regions, seeds 0–2)", ladder),
        "scenario": ("MILP at the scenario sizes (one time limit)", scenario_sizes),
        "gaps": (f"Gap to the proven optimum over {args.seeds} seeds (4 regions)", baseline_gaps),
    }
    for key, (title, measure) in parts.items():
        if args.part in ("all", key):
            lines += ["", f"### {title}", ""] + measure(args)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
