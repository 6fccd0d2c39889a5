"""Routing (STPer) exact scale: how long ``milp`` takes to prove the sweeps' largest points and
10 users × 4 frames on the default 14-node graph (10 compute nodes + 4 routers).

Usage: python benchmarks/routing_scale.py [--seeds 0 1 2 …] [--limit 300] [--set KEY=VALUE …]
                                          [--users 10] [--frames 4] [--option KEY=VALUE …]
Prints one Markdown row per seed (status, objective, bound, gap, time, binaries) and a summary
line (proven, mean and worst time). Run with HiGHS on one thread (``threads=1``).
"""

from __future__ import annotations

import argparse
import ast
import statistics

import cpnopt
from cpnopt.solution import Status


def _pairs(items: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` strings as a dict, the values read as Python literals when they parse."""
    out: dict[str, object] = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--limit", type=float, default=300.0)
    parser.add_argument("--method", default="milp")
    parser.add_argument("--set", nargs="*", default=[], help="generator parameters, KEY=VALUE")
    parser.add_argument("--option", nargs="*", default=[], help="method options, KEY=VALUE")
    args = parser.parse_args()
    params, options = _pairs(args.set), _pairs(args.option)
    print(f"\n{args.method} {options}, {args.users} users × {args.frames} frames, {params}, limit {args.limit:.0f} s\n")
    print("| seed | status | objective | bound | gap | time (s) | binaries |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    times, proven = [], 0
    for seed in args.seeds:
        inst = cpnopt.generate("routing", seed=seed, n_users=args.users, n_frames=args.frames, **params)
        sol = cpnopt.solve(inst, args.method, time_limit=args.limit, threads=1, **options)
        r = sol.report
        assert sol.feasible, sol.evaluation.violations
        gap = "—" if r.gap is None else f"{100 * r.gap:.3f} %"
        bound = "—" if r.bound is None else f"{r.bound:.4f}"
        print(
            f"| {seed} | {r.status.value} | {r.objective:.4f} | {bound} | {gap} | {r.runtime_s:.1f} "
            f"| {r.info.get('variables', '—')} |",
            flush=True,
        )
        times.append(r.runtime_s)
        proven += r.status is Status.OPTIMAL
    print(
        f"\nproven {proven}/{len(times)}; time mean {statistics.mean(times):.1f} s, worst {max(times):.1f} s "
        f"(seed {args.seeds[times.index(max(times))]})"
    )


if __name__ == "__main__":
    main()
