"""Branch-and-price (method ``bp``) benchmarks: the pricing speed-up and the goals of the P1 / regional sizes.

``pricing``: one full pricing round over every feasible cluster at a Table I size, the
pure-Python label DP of ``cg`` (``best_task_set``, one call per cluster) against the compiled
``fifo_pricing.price`` (one call for all), each on the same weights: the first round's
(σ = 0) and the root master's optimal duals (σ, π of the converged root LP). Best of
``--repeat`` timings each; both must return the same values.

``goals``: ``bp`` through ``cpnopt.solve`` (one HiGHS thread) on generated instances, one
Markdown row per seed (status, objective, bound, gap, time, nodes, columns, pricing rounds,
time in pricing / LP / restricted-master MIP / diving) and a summary line (proven share,
median time to proof, largest certified gap). Sizes use the generator parameters of the
benchmark suites: clustering 5 metro areas, 4 slots × λ, R_max 150 km; regional
``regional-tasks`` (4 regions) with ``servers_per_region`` = servers / 4.

``suites``: ``bp`` as the reference of benchmark suites already run into a store (``cpnopt
bench run``, e.g. by ``run_paper_suites.sh``), one Markdown row per suite and sweep point:
proven share, median time to proof, and where not proven bp's certified gap
(bound − objective)/objective and the suite's: the best plan of its reference methods (e.g.
``cg``'s) to the tightest of their bounds.

    python benchmarks/bp_study.py pricing --servers 40 --tasks 160
    python benchmarks/bp_study.py goals clustering --servers 20 --tasks 80 --seeds 0 1 2 3 4 --time-limit 60
    python benchmarks/bp_study.py goals regional --servers 24 --tasks 100 --seeds 0 1 2 3 4 --time-limit 60
    python benchmarks/bp_study.py suites --db benchmarks/results/results.db clustering-servers regional-tasks
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import time
from collections import defaultdict
from importlib.metadata import version

import numpy as np

import cpnopt
from cpnopt.bench.data import sortable
from cpnopt.bench.store import Store
from cpnopt.formulations.clustering import bp as clustering_bp
from cpnopt.formulations.clustering.cg import best_task_set
from cpnopt.formulations.common.branch_and_price import BranchAndPrice
from cpnopt.formulations.common.fifo_pricing import price


def instance(family: str, servers: int, tasks: int, seed: int):
    if family == "clustering":
        if tasks % 4:
            raise SystemExit("clustering: --tasks must be a multiple of the 4 slots")
        return cpnopt.generate(
            "clustering",
            seed=seed,
            n_servers=servers,
            n_metro_areas=5,
            n_slots=4,
            arrivals_per_slot=tasks // 4,
            r_max_km=150.0,
        )
    return cpnopt.generate("regional", seed=seed, servers_per_region=servers // 4, n_tasks=tasks)


def header() -> str:
    load = os.getloadavg()
    return (
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}; Python {platform.python_version()}, "
        f"highspy {version('highspy')}, numba {version('numba')}, numpy {version('numpy')}"
    )


def best_of(repeat: int, run) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        tic = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - tic)
    return min(times), out


def pricing(args: argparse.Namespace) -> None:
    inst = instance("clustering", args.servers, args.tasks, args.seed)
    problem, clusters, _ = clustering_bp.packing_problem(inst)
    table = problem.table
    root = BranchAndPrice(problem, max_nodes=1, threads=1, dive_share=0.0, mip_every_s=1e9)
    root.solve()
    _, _, _, pi, sigma = root.master.solve()
    state = np.zeros(len(table.task), dtype=np.int8)
    queues = np.arange(problem.n_queues)
    price(table, queues[:1], sigma, state)  # compile (cached on disk after the first run)
    print(
        f"pricing round, clustering {args.servers} servers × {args.tasks} tasks (seed {args.seed}): "
        f"{problem.n_queues} clusters, {len(table.task)} (cluster, task) candidates; {header()}\n"
    )
    print("| duals | Python DP (cg) s | compiled s | speed-up | same values |\n|---|---|---|---|---|")
    for name, duals in (("σ = 0 (first round)", np.zeros(inst.n_tasks)), ("root optimum σ", sigma)):

        def python_round():
            values = []
            for k in range(problem.n_queues):
                lo, hi = table.start[k], table.start[k + 1]
                weight = np.zeros(inst.n_tasks)
                weight[table.task[lo:hi]] = table.margin[lo:hi] - duals[table.task[lo:hi]]
                release = np.zeros(inst.n_tasks)
                processing = np.zeros(inst.n_tasks)
                release[table.task[lo:hi]], processing[table.task[lo:hi]] = (
                    table.release[lo:hi],
                    table.processing[lo:hi],
                )
                values.append(best_task_set(release, processing, inst.due_s, weight, table.task[lo:hi].tolist())[0])
            return np.array(values)

        slow, old = best_of(args.repeat, python_round)
        fast, new = best_of(args.repeat, lambda: price(table, queues, duals, state).values)
        same = bool(np.allclose(old, new, atol=1e-7))
        print(f"| {name} | {slow:.3f} | {fast:.4f} | {slow / fast:.0f}× | {same} |")


def goals(args: argparse.Namespace) -> None:
    print(
        f"bp, {args.family} {args.servers} servers × {args.tasks} tasks, time limit {args.time_limit:g} s, "
        f"1 HiGHS thread; {header()}\n"
    )
    print(
        "| seed | status | objective | bound | gap | time s | nodes | columns | rounds | pricing s | LP s | MIP s | dive s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    proven, times, gaps = 0, [], []
    for seed in args.seeds:
        inst = instance(args.family, args.servers, args.tasks, seed)
        trace = (
            None
            if args.trace_dir is None
            else os.path.join(args.trace_dir, f"bp-{args.family}-{args.servers}x{args.tasks}-s{seed}.csv")
        )
        solution = cpnopt.solve(inst, "bp", time_limit=args.time_limit, threads=1, trace=trace)
        r, i = solution.report, solution.report.info
        gap = r.gap if r.gap is not None else float("nan")
        proven += r.status.value == "optimal"
        if r.status.value == "optimal":
            times.append(r.runtime_s)
        gaps.append(gap)
        print(
            f"| {seed} | {r.status.value} | {r.objective:.2f} | {r.bound:.2f} | {100 * gap:.3f} % | {r.runtime_s:.1f} | "
            f"{i['nodes']} | {i['columns']} | {i['pricing_rounds']} | {i['pricing_s']:.1f} | {i['lp_s']:.1f} | "
            f"{i['mip_s']:.1f} | {i['dive_s']:.1f} |",
            flush=True,
        )
    median = f"{statistics.median(times):.1f} s" if times else "–"
    print(f"\nproven {proven}/{len(args.seeds)}, median time to proof {median}, largest gap {100 * max(gaps):.3f} %")


def suites(args: argparse.Namespace) -> None:
    print(
        "| suite | point | bp proven | median time to proof s | bp's certified gap where not proven "
        "| best reference plan to the tightest reference bound |"
    )
    print("|---|---|---|---|---|---|")
    with Store(args.db) as store:
        for suite in args.suites:
            runs = list(store.runs(suite))
            if not runs:
                raise SystemExit(f"no runs of suite {suite} in {args.db}")
            references = store.suite_definition(suite).get("reference") or []
            references = [references] if isinstance(references, str) else references
            # a maximisation: the least bound of the references is the tightest, the largest objective the best plan
            bound: dict[tuple[str, int], float] = defaultdict(lambda: math.inf)
            plan: dict[tuple[str, int], float] = defaultdict(lambda: -math.inf)
            bp_runs: dict[str, list[dict]] = defaultdict(list)
            for run in runs:
                key = (json.dumps(run["point"]), run["seed"])
                if run["method"] in references and run["bound"] is not None:
                    bound[key] = min(bound[key], run["bound"])
                if run["method"] in references and run["objective"] is not None:
                    plan[key] = max(plan[key], run["objective"])
                if run["method"] == "bp":
                    bp_runs[key[0]].append(run)
            for point in sorted(bp_runs, key=lambda p: [sortable(v) for v in json.loads(p).values()]):
                group = bp_runs[point]
                proofs = [r["runtime_s"] for r in group if r["status"] == "optimal"]
                open_runs = [r for r in group if r["status"] != "optimal"]
                own = [(r["bound"] - r["objective"]) / abs(r["objective"]) for r in open_runs]
                best = [
                    (bound[point, r["seed"]] - plan[point, r["seed"]]) / abs(plan[point, r["seed"]]) for r in open_runs
                ]
                span = lambda gaps: " / ".join(f"{100 * g:.3f} %" for g in gaps) or "–"
                median = f"{statistics.median(proofs):.1f}" if proofs else "–"
                label = ", ".join(f"{k} = {v}" for k, v in json.loads(point).items())
                print(f"| {suite} | {label} | {len(proofs)}/{len(group)} | {median} | {span(own)} | {span(best)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pricing", help="one full pricing round: Python DP vs compiled")
    p.add_argument("--servers", type=int, default=40)
    p.add_argument("--tasks", type=int, default=160)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3)
    p.set_defaults(run=pricing)
    p = sub.add_parser("goals", help="bp on generated instances, one row per seed")
    p.add_argument("family", choices=["clustering", "regional"])
    p.add_argument("--servers", type=int, required=True)
    p.add_argument("--tasks", type=int, required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--trace-dir", help="write each run's (time, incumbent, bound) CSV there")
    p.set_defaults(run=goals)
    p = sub.add_parser("suites", help="bp as a suite's reference: proven share and gaps per sweep point, from a store")
    p.add_argument("suites", nargs="+", help="suite names as stored (e.g. clustering-servers)")
    p.add_argument("--db", required=True, help="the results store (results.db)")
    p.set_defaults(run=suites)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
