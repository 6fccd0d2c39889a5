"""The GWP decomposition ``cg`` against the compact ``milp`` at 16 and 64 devices: proofs, certified gaps, time.

One iteration of the full MobileNet V1 (15 layers, 6,984 neurons) per instance, one HiGHS thread,
both methods with the same time limit in the same run, one after the other. From each method's
anytime trace (time, incumbent, bound) the certified gap (incumbent − bound)/incumbent at 10 s and at
the limit, and the time to proof; CPU seconds of the process beside the wall time (the machine may be
shared). Usage:

    python benchmarks/placement_cg.py [--time-limit 60] [--seeds 0 1 2] [--cases 16x3 64x1 64x3] [-o FILE.md]
    python benchmarks/placement_cg.py --baselines [--time-limit 120] [-o FILE.md]

``--baselines`` re-measures the baselines' gaps of suite ``placement-devices`` (its instances: 2
iterations, α = 0.5, no DVFS, seeds 0 and 1, 4 / 16 / 64 devices) against ``cg``'s bound, per seed.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import highspy

import cpnopt
from cpnopt.solution import Status

LEVELS = {1: [1.0], 3: [1.0, 0.8, 0.6]}
CASES = ("16x3", "64x1", "64x3")


def gap_at(trace: list[list[float | None]], seconds: float) -> float | None:
    """The certified gap of the last trace row at or before ``seconds`` (None: no bound yet)."""
    rows = [r for r in trace if r[0] <= seconds and r[1] is not None and r[2] is not None]
    if not rows:
        return None
    _, incumbent, bound = rows[-1]
    return max(incumbent - bound, 0.0) / abs(incumbent)


def run_one(case: str, seed: int, method: str, time_limit: float) -> dict:
    devices, levels = (int(x) for x in case.split("x"))
    inst = cpnopt.generate("placement", seed=seed, n_devices=devices, n_iterations=1, frequency_levels=LEVELS[levels])
    load = os.getloadavg()[0]
    cpu, wall = time.process_time(), time.perf_counter()
    sol = cpnopt.solve(inst, method, time_limit=time_limit, threads=1)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    trace = sol.report.info.get("trace", [])
    proven = sol.report.status is Status.OPTIMAL
    return {
        "case": case,
        "seed": seed,
        "method": method,
        "status": sol.report.status.value,
        "objective": sol.report.objective,
        "bound": sol.report.bound,
        "gap_10": gap_at(trace, 10.0),
        "gap_end": sol.report.gap,
        "proof_s": wall if proven else None,
        "wall_s": wall,
        "cpu_s": cpu,
        "load": load,
    }


BASELINES = ("heuristic", "rule", "random")


def baseline_gaps(time_limit: float) -> list[str]:
    """Each baseline's (objective − cg's bound) / cg's bound on the suite's instances, per seed."""
    lines = [
        "| devices | seed | cg status | cg objective | cg bound | cg gap | "
        + " | ".join(f"{m} gap to cg's bound" for m in BASELINES)
        + " | load (1 min) |",
        "|---:|---:|---|---:|---:|---:|" + "---:|" * len(BASELINES) + "---:|",
    ]
    for devices in (4, 16, 64):
        for seed in (0, 1):
            inst = cpnopt.generate("placement", seed=seed, n_devices=devices, n_iterations=2, alpha=0.5)
            load = os.getloadavg()[0]
            exact = cpnopt.solve(inst, "cg", time_limit=time_limit, threads=1)
            bound = exact.report.bound
            gaps = [(cpnopt.solve(inst, m).report.objective - bound) / bound for m in BASELINES]
            lines.append(
                f"| {devices} | {seed} | {exact.report.status.value} | {exact.report.objective:.4f} | {bound:.4f} "
                f"| {exact.report.gap:.2%} | " + " | ".join(f"{g:.1%}" for g in gaps) + f" | {load:.1f} |"
            )
            print(lines[-1], flush=True)
    return lines


def fmt(x: float | None, pattern: str) -> str:
    return "—" if x is None else format(x, pattern)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--methods", nargs="+", default=["cg", "milp"])
    parser.add_argument("--baselines", action="store_true", help="the suite's baselines against cg's bound")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    cpnopt.solve(cpnopt.generate("placement", seed=0, n_devices=2, n_layers=1, n_iterations=1), "cg")  # JIT, once
    if args.baselines:
        text = "\n".join(baseline_gaps(args.time_limit)) + f"\n\ncg: threads = 1, {args.time_limit:g} s per instance.\n"
        if args.output:
            args.output.write_text(text)
        return
    lines = [
        "| devices × levels | seed | method | status | objective | bound | gap at 10 s | gap at the limit "
        "| time to proof (s) | wall (s) | CPU (s) | load (1 min) |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in args.cases:
        for seed in args.seeds:
            for method in args.methods:
                r = run_one(case, seed, method, args.time_limit)
                lines.append(
                    f"| {case} | {seed} | {method} | {r['status']} | {fmt(r['objective'], '.5f')} "
                    f"| {fmt(r['bound'], '.5f')} | {fmt(r['gap_10'], '.2%')} | {fmt(r['gap_end'], '.2%')} "
                    f"| {fmt(r['proof_s'], '.1f')} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['load']:.1f} |"
                )
                print(lines[-1], flush=True)
    text = "\n".join(lines) + (
        f"\n\nOne iteration, full MobileNet V1, threads = 1, time limit {args.time_limit:g} s; "
        f"highspy {highspy.__version__ if hasattr(highspy, '__version__') else ''}.\n"
    )
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
