"""Speed benchmark for the clustering family (P1 of the DCAT paper).

Three measurements, all written as Markdown tables (stdout, and ``--out FILE``):

1. ``milp``: model-build time vs solve time (``report.info`` build_s / solve_s) across sizes.
2. ``milp``: the largest size proven optimal within the time limit — a ladder over server
   counts (tasks = 2·|S|), each size passing when *every* seed reaches status ``optimal``
   with the whole ``cpnopt.solve`` call (build + solve) inside the time limit; the ladder
   stops at the first size that fails (and a size stops at its first failing seed). Then
   the status / gap / bound at the paper's Table I size (20 servers, 4 slots × 20
   arrivals = 80 tasks, R_max 150 km) after one time limit.
3. REA throughput: tasks per second of ``km-rea`` (through ``cpnopt.solve``) and of
   ``auction_tasks`` alone on fixed k-means clusters, at Table I sizes (20/40/60 servers,
   4 slots × 50 arrivals), with ratios to the smallest size.

Every MILP runs in a forked child process with a hard wall-clock limit, so that a model
build that runs away cannot stall the benchmark; HiGHS gets ``threads`` (default 1).

    python benchmarks/clustering_speed.py --quick                # smoke run, < 30 s
    python benchmarks/clustering_speed.py --out /tmp/p1.md       # full run, ~20 min
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

import cpnopt
from cpnopt.problems.clustering.auction import auction_tasks
from cpnopt.solvers.clustering.heuristics import kmeans_clustering

T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- instances
def shape(tasks: int) -> tuple[int, int]:
    """(n_slots, arrivals_per_slot): 4 slots from 16 tasks on, the generator's 2 below."""
    slots = 4 if tasks >= 16 else 2
    if tasks % slots:
        raise SystemExit(f"{tasks} tasks do not split into {slots} slots")
    return slots, tasks // slots


def make(servers: int, tasks: int, seed: int, r_max_km: float = 150.0) -> Any:
    slots, arrivals = shape(tasks)
    return cpnopt.generate(
        "clustering",
        seed=seed,
        n_servers=servers,
        n_slots=slots,
        arrivals_per_slot=arrivals,
        n_metro_areas=max(3, servers // 3),
        r_max_km=r_max_km,
    )


# ---------------------------------------------------------------------- milp in a child
def _milp_child(
    conn: Any, servers: int, tasks: int, seed: int, r_max_km: float, time_limit: float, threads: int
) -> None:
    try:
        inst = make(servers, tasks, seed, r_max_km)
        sol = cpnopt.solve(inst, "milp", time_limit=time_limit, threads=threads)
        r = sol.report
        out = {
            "status": r.status.value,
            "objective": r.objective,
            "bound": r.bound,
            "gap": r.gap,
            "runtime_s": r.runtime_s,
            "message": r.message,
            **{k: r.info.get(k) for k in ("build_s", "solve_s", "feasible_clusters", "eligible_pairs", "constraints")},
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    except Exception as exc:  # report, never crash the sweep
        out = {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
    conn.send(out)
    conn.close()


_CACHE: dict[tuple, dict[str, Any]] = {}


def run_milp(
    servers: int, tasks: int, seed: int, time_limit: float, threads: int, wall_s: float, r_max_km: float = 150.0
) -> dict[str, Any]:
    """One ``cpnopt.solve(..., "milp")`` in a forked child, killed after ``wall_s`` seconds."""
    key = (servers, tasks, seed, r_max_km, time_limit, threads)
    if key in _CACHE:
        return {**_CACHE[key], "reused": True}
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    start = time.perf_counter()
    proc = ctx.Process(target=_milp_child, args=(child, servers, tasks, seed, r_max_km, time_limit, threads))
    proc.start()
    child.close()
    out: dict[str, Any]
    if parent.poll(wall_s):
        out = parent.recv()
        proc.join()
    else:
        proc.kill()
        proc.join()
        out = {"status": "killed", "message": f"no result after {wall_s:.0f} s wall (child killed)"}
    out["wall_s"] = time.perf_counter() - start
    out.update(servers=servers, tasks=tasks, seed=seed)
    _CACHE[key] = out
    log(
        f"milp |S|={servers} N={tasks} seed={seed}: {out['status']} gap={fmt(out.get('gap'), 4)} "
        f"build={fmt(out.get('build_s'))} solve={fmt(out.get('solve_s'))} wall={out['wall_s']:.1f}"
    )
    return out


# ---------------------------------------------------------------------- formatting
def fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        if math.isinf(x) or math.isnan(x):
            return str(x)
        return f"{x:.{digits}f}"
    return str(x)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    model = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass

    def ver(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "?"

    return (
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}; {os.cpu_count()} CPUs ({model}); "
        f"Python {platform.python_version()}; highspy {ver('highspy')}; pyomo {ver('pyomo')}; "
        f"numpy {ver('numpy')}; scipy {ver('scipy')}"
    )


def milp_row(r: dict[str, Any]) -> list[Any]:
    seed = f"{r['seed']}*" if r.get("reused") else r["seed"]
    return [
        r["servers"],
        r["tasks"],
        seed,
        r["status"],
        fmt(r.get("gap"), 4),
        r.get("objective"),
        r.get("bound"),
        r.get("build_s"),
        r.get("solve_s"),
        r.get("runtime_s"),
        fmt(r.get("build_s") / r["runtime_s"] if r.get("build_s") is not None and r.get("runtime_s") else None, 2),
        r.get("feasible_clusters"),
        r.get("eligible_pairs"),
        r.get("constraints"),
        fmt(r.get("rss_mb"), 0),
    ]


MILP_HEADERS = [
    "servers",
    "tasks",
    "seed",
    "status",
    "gap",
    "objective",
    "bound",
    "build_s",
    "solve_s",
    "total_s",
    "build share",
    "feasible clusters",
    "eligible pairs",
    "constraints",
    "peak RSS MB",
]


# ---------------------------------------------------------------------- the three parts
def part_build_vs_solve(sizes: list[tuple[int, int]], seeds: list[int], a: argparse.Namespace) -> str:
    rows = [
        milp_row(run_milp(s, n, seed, a.time_limit, a.threads, a.time_limit + a.build_allowance))
        for s, n in sizes
        for seed in seeds
    ]
    return (
        f"### 1. MILP build vs solve (time_limit={a.time_limit:g} s, threads={a.threads})\n\n"
        "build_s = `build_model` (feasible clusters, cluster terms, Pyomo constraints); solve_s = the rest of "
        "the call (Pyomo → HiGHS translation + HiGHS). n_metro_areas = max(3, |S|//3), R_max 150 km; "
        "< 16 tasks: 2 slots, else 4 slots.\n\n" + table(MILP_HEADERS, rows)
    )


def part_largest_optimal(
    ladder: list[int], seeds: list[int], table1: tuple[int, int] | None, table1_seeds: list[int], a: argparse.Namespace
) -> tuple[str, tuple[int, int] | None]:
    rows, verdicts, largest = [], [], None
    for s in ladder:
        n = 2 * s
        if n >= 16:
            n = 4 * max(1, round(n / 4))
        ok = passes(s, n, seeds, a, rows)
        verdicts.append([s, n, "pass" if ok else "FAIL"])
        if not ok:
            break
        largest = (s, n)
    text = (
        f"### 2. Largest size proven optimal in ≤ {a.time_limit:g} s\n\n"
        f"Ladder |S| = {ladder[0]}, {ladder[1] if len(ladder) > 1 else ''}, …; tasks = 2·|S| (rounded to a multiple "
        f"of 4 from 16 on). Pass = all of seeds {seeds} reach `optimal` with the whole `cpnopt.solve` call "
        f"(build + solve) ≤ {a.time_limit:g} s; a size stops at its first failing seed, the ladder at its first "
        "failing size. A seed marked * repeats the row of the same run in part 1 (not re-solved).\n\n"
        + table(MILP_HEADERS, rows)
        + "\n\n"
        + table(["servers", "tasks", "verdict"], verdicts)
        + f"\n\n**Largest size that passed: {largest if largest else 'none'} (|S|, tasks).**\n"
    )
    if table1 is not None:
        s, n = table1
        t_rows = [
            milp_row(run_milp(s, n, seed, a.time_limit, a.threads, a.time_limit + a.table1_allowance))
            for seed in table1_seeds
        ]
        text += (
            f"\n#### Table I size: |S|={s}, {n} tasks (4 slots × {n // 4}), R_max 150 km, time_limit "
            f"{a.time_limit:g} s (hard wall {a.time_limit + a.table1_allowance:g} s)\n\n" + table(MILP_HEADERS, t_rows)
        )
    return text, largest


def passes(s: int, n: int, seeds: list[int], a: argparse.Namespace, rows: list[list[Any]]) -> bool:
    """All seeds optimal with the whole call ≤ the time limit; stops at the first failing seed."""
    for seed in seeds:
        r = run_milp(s, n, seed, a.time_limit, a.threads, a.time_limit + a.build_allowance)
        rows.append(milp_row(r))
        if not (r["status"] == "optimal" and r.get("runtime_s") is not None and r["runtime_s"] <= a.time_limit):
            return False
    return True


def part_grow(start: tuple[int, int], seeds: list[int], steps: int, budget_s: float, a: argparse.Namespace) -> str:
    """From a passing (servers, tasks), grow one axis at a time (+2 servers / +4 tasks) until a size fails."""
    rows: list[list[Any]] = []
    verdicts: list[list[Any]] = []
    t0 = time.perf_counter()
    for axis, (ds, dn) in (("servers", (2, 0)), ("tasks", (0, 4))):
        s, n = start
        for _ in range(steps):
            s, n = s + ds, n + dn
            if time.perf_counter() - t0 > budget_s:
                verdicts.append([axis, s, n, f"not run (budget {budget_s:g} s spent)"])
                break
            ok = passes(s, n, seeds, a, rows)
            verdicts.append([axis, s, n, "pass" if ok else "FAIL"])
            if not ok:
                break
    return (
        f"### 2b. Growing one axis from ({start[0]}, {start[1]})\n\n"
        "Same pass rule as part 2; servers grow by 2 at fixed tasks, tasks by 4 (one more arrival per "
        "slot) at fixed servers, each axis stopping at its first failing size (wall budget "
        f"{budget_s:g} s for new solves).\n\n"
        + table(MILP_HEADERS, rows)
        + "\n\n"
        + table(["axis", "servers", "tasks", "verdict"], verdicts)
    )


def part_rea(servers_list: list[int], tasks: int, reps: int, seed: int) -> str:
    rows, base = [], None
    for s in servers_list:
        inst = make(s, tasks, seed)
        km_times, auc_times, cl_times = [], [], []
        sol = None
        for rep in range(reps):
            t = time.perf_counter()
            sol = cpnopt.solve(inst, "km-rea", seed=rep)
            km_times.append(time.perf_counter() - t)
        clusters = kmeans_clustering(inst, np.random.default_rng(0))
        for rep in range(reps):
            t = time.perf_counter()
            kmeans_clustering(inst, np.random.default_rng(rep))
            cl_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            dec = auction_tasks(inst, clusters, "rea", 0.8, np.random.default_rng(rep))
            auc_times.append(time.perf_counter() - t)
        ev = cpnopt.evaluate(inst, dec)
        km, auc, cl = statistics.median(km_times), statistics.median(auc_times), statistics.median(cl_times)
        km_tps, auc_tps = inst.n_tasks / km, inst.n_tasks / auc
        base = base or (km_tps, auc_tps)
        served_km = sum(x is not None for x in sol.decision.assignment)
        served_auc = sum(x is not None for x in dec.assignment)
        rows.append(
            [
                s,
                inst.n_tasks,
                len(clusters),
                fmt(cl * 1e3, 1),
                fmt(km * 1e3, 1),
                fmt(auc * 1e3, 1),
                fmt(km_tps, 0),
                fmt(auc_tps, 0),
                fmt(auc_tps / km_tps, 2),
                fmt(km_tps / base[0], 2),
                fmt(auc_tps / base[1], 2),
                f"{served_km}/{inst.n_tasks}",
                fmt(sol.report.objective, 1),
                f"{served_auc}/{inst.n_tasks}",
                fmt(ev.objective, 1),
            ]
        )
        log(f"rea |S|={s}: km-rea {km_tps:.0f} tasks/s, auction {auc_tps:.0f} tasks/s")
    headers = [
        "servers",
        "tasks",
        "k-means clusters",
        "kmeans ms",
        "km-rea ms",
        "auction ms",
        "km-rea tasks/s",
        "auction tasks/s",
        "auction/km-rea",
        f"km-rea vs {servers_list[0]} servers",
        f"auction vs {servers_list[0]} servers",
        "km-rea served",
        "km-rea profit",
        "auction served",
        "auction profit",
    ]
    return (
        f"### 3. REA throughput (γ = 0.8, instance seed {seed}, median of {reps} repetitions)\n\n"
        'km-rea = `cpnopt.solve(inst, "km-rea", seed=rep)` wall time (k-means + auction + evaluation); '
        'auction = `auction_tasks(inst, clusters, "rea", 0.8, rng)` on fixed k-means clusters (seed 0), '
        "cluster terms included. Ratios are throughput ratios.\n\n" + table(headers, rows)
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="tiny smoke run (< 30 s)")
    p.add_argument("--out", help="write the Markdown report to this file")
    p.add_argument("--time-limit", type=float, default=None, help="HiGHS time limit per MILP (default 60; quick 5)")
    p.add_argument("--threads", type=int, default=1, help="HiGHS threads (default 1)")
    p.add_argument(
        "--build-allowance",
        type=float,
        default=120.0,
        help="extra wall seconds over the time limit before a MILP child is killed (default 120)",
    )
    p.add_argument("--table1-allowance", type=float, default=480.0, help="same, for the Table I size (default 480)")
    p.add_argument(
        "--parts",
        default="1,2,2b,3",
        help="which parts to run, e.g. 1,3 (2b = grow one axis from part 2's largest pass)",
    )
    p.add_argument("--grow-from", help="start of part 2b as SERVERS,TASKS (default: part 2's largest pass)")
    p.add_argument("--grow-steps", type=int, default=4, help="most sizes per axis in part 2b (default 4)")
    p.add_argument(
        "--grow-budget",
        type=float,
        default=480.0,
        help="part 2b starts no new size after this many seconds (default 480; quick 5)",
    )
    p.add_argument("--reps", type=int, default=None, help="REA repetitions (default 5; quick 2)")
    a = p.parse_args(argv)
    parts = {x.strip() for x in a.parts.split(",") if x.strip()}
    if a.grow_from is not None:
        a.grow_from = tuple(int(x) for x in a.grow_from.split(","))

    if a.quick:
        a.time_limit = a.time_limit or 5.0
        a.build_allowance = min(a.build_allowance, 10.0)
        a.table1_allowance = min(a.table1_allowance, 10.0)
        a.grow_steps, a.grow_budget = 1, min(a.grow_budget, 5.0)
        sizes, seeds1 = [(6, 12), (8, 12)], [0]
        ladder, seeds2, table1, table1_seeds = [6, 8], [0], None, []
        rea_servers, rea_tasks, reps = [20, 40], 40, a.reps or 2
    else:
        a.time_limit = a.time_limit or 60.0
        sizes, seeds1 = [(8, 12), (10, 20), (15, 32), (20, 40)], [0, 1]
        ladder, seeds2, table1, table1_seeds = list(range(6, 31, 2)), [0, 1, 2], (20, 80), [0]
        rea_servers, rea_tasks, reps = [20, 40, 60], 200, a.reps or 5

    out = [
        f"## clustering (P1) speed{' (--quick)' if a.quick else ''}\n",
        f"Machine: {machine()}\n",
        f"Command: `python {' '.join(sys.argv)}`\n",
    ]
    if "3" in parts:  # first: cheap, and independent of how long the MILPs run
        out.append(part_rea(rea_servers, rea_tasks, reps, seed=0))
    if "1" in parts:
        out.append(part_build_vs_solve(sizes, seeds1, a))
    if "2" in parts:
        text, largest = part_largest_optimal(ladder, seeds2, table1, table1_seeds, a)
        out.append(text)
        if a.grow_from is None:
            a.grow_from = largest
    if "2b" in parts and a.grow_from is not None:
        out.append(part_grow(a.grow_from, seeds2, a.grow_steps, a.grow_budget, a))
    out.append(f"\nTotal benchmark wall time: {time.perf_counter() - T0:.0f} s\n")
    text = "\n".join(x if x.endswith("\n") else x + "\n" for x in out)
    print(text)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text)
        log(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
