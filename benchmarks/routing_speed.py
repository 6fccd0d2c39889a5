"""Routing (STPer) figures: MILP time at the paper's size, the largest size proven in 60 s,
fp-qt and the baselines against the proven optimum over 20 seeds.

Usage: python benchmarks/routing_speed.py [--seeds 20] [--sizes 5 10 15 20 25 30] [--limit 60]
Prints Markdown tables (the source of benchmarks/results/routing.md).
"""

from __future__ import annotations

import argparse
import statistics
import time

from tqdm import tqdm

import cpnopt
from cpnopt.formulations.routing.milp import TUNED, frame_model, to_matrix
from cpnopt.solution import Sense, Status, gap_to_reference
from cpnopt.solvers.highs import ExactOptions, solve_matrix

HEURISTICS = ["fp-qt", "fp-qt-nearest", "fp-qt-cheapest", "fp-qt-random", "nearest", "cheapest", "random"]


def paper_size(seeds: int) -> None:
    """Default instance (10 compute nodes + 4 routers, 5 users, 2 frames): build vs solve per frame."""
    print("\n### MILP at the paper's size (10 compute nodes + 4 routers, 5 users, 2 frames)\n")
    print("| seed | frame | binaries | rows | candidate paths | build (s) | HiGHS (s) | status |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for seed in range(seeds):
        inst = cpnopt.generate("routing", seed=seed)
        for t in range(len(inst.frames)):
            start = time.perf_counter()
            schedule = frame_model(inst, t)
            program = to_matrix(schedule.model)
            built = time.perf_counter() - start
            result, _ = solve_matrix(program, ExactOptions(time_limit=None, threads=1), TUNED)
            solved = time.perf_counter() - start - built
            paths = sum(len(p) for p in schedule.paths.values())
            print(
                f"| {seed} | {t} | {len(schedule.model.binary)} | {len(schedule.model.rows)} | {paths} "
                f"| {built:.2f} | {solved:.2f} | {result.status.value} |"
            )


def largest_size(sizes: list[int], limit: float, seed: int) -> None:
    """One frame, more and more users on the paper's 10-node network, HiGHS capped at ``limit`` s."""
    print(
        f"\n### Largest size proven optimal in {limit:.0f} s (one frame, 10 compute nodes + 4 routers, seed {seed})\n"
    )
    print("| users | status | objective | bound | gap | time (s) | binaries |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for users in sizes:
        inst = cpnopt.generate("routing", seed=seed, n_users=users, n_frames=1)
        try:
            sol = cpnopt.solve(inst, "milp", time_limit=limit, threads=1)
        except cpnopt.InputError as refused:  # above MAX_COEFFICIENTS
            print(f"| {users} | refused | — | — | — | — | {refused} |")
            break
        r = sol.report
        gap = "—" if r.gap is None else f"{100 * r.gap:.2f} %"
        bound = "—" if r.bound is None else f"{r.bound:.3f}"
        print(
            f"| {users} | {r.status.value} | {r.objective:.3f} | {bound} | {gap} | {r.runtime_s:.1f} "
            f"| {r.info['variables']} |"
        )
        if r.status is not Status.OPTIMAL:
            break


def gaps(seeds: int) -> None:
    """Every heuristic against the MILP optimum on the default instance, ``seeds`` seeds."""
    rows: dict[str, list[tuple[float, float]]] = {m: [] for m in ["milp"] + HEURISTICS}
    fpqt_only: list[float] = []
    for seed in tqdm(range(seeds), desc="seeds"):
        inst = cpnopt.generate("routing", seed=seed)
        exact = cpnopt.solve(inst, "milp", threads=1, time_limit=None)  # to optimality, as measured
        assert exact.report.status is Status.OPTIMAL
        best = exact.report.objective
        rows["milp"].append((0.0, exact.report.runtime_s))
        for m in HEURISTICS:
            sol = cpnopt.solve(inst, m, **({"seed": seed} if m.endswith("random") else {}))
            assert sol.feasible
            rows[m].append((gap_to_reference(best, sol.report.objective, Sense.MAXIMIZE), sol.report.runtime_s))
            if m == "fp-qt":
                fpqt_only.append(sol.report.info["fpqt_s"])
    print(
        f"\n### Gap to the MILP optimum, {seeds} seeds (default instance: 10 compute nodes + 4 routers, 5 users, 2 frames)\n"
    )
    print("| method | mean gap | worst gap | optimal in | mean time (s) | worst time (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for m, values in rows.items():
        g = [v[0] for v in values]
        t = [v[1] for v in values]
        hits = sum(x <= 1e-6 for x in g)
        print(
            f"| {m} | {100 * statistics.mean(g):.2f} % | {100 * max(g):.2f} % | {hits}/{len(g)} "
            f"| {statistics.mean(t):.2f} | {max(t):.2f} |"
        )
    print(
        f"\nfp-qt (milp destinations) without the MILP that picks them: mean {statistics.mean(fpqt_only):.2f} s, "
        f"worst {max(fpqt_only):.2f} s."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--paper-seeds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 15, 20, 25, 30, 40])
    parser.add_argument("--limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0, help="instance seed of the largest-size sweep")
    parser.add_argument("--only", choices=["paper", "largest", "gaps"], default=None)
    args = parser.parse_args()
    if args.only in (None, "paper"):
        paper_size(args.paper_seeds)
    if args.only in (None, "largest"):
        largest_size(args.sizes, args.limit, args.seed)
    if args.only in (None, "gaps"):
        gaps(args.seeds)


if __name__ == "__main__":
    main()
