"""Warm starts of the exact methods: time to proof, incumbent and bound at the time limit, without and with a start.

    python benchmarks/warm_start_study.py [--time-limit 60] [--method milp] [--set hard|provable]

Per instance (``hard``: sizes where ``milp`` is not always proven in a minute here;
``provable``: sizes proven in seconds to a minute, for the time to proof) the exact
method runs with one thread three times — no start, ``warm_start`` = the family's best
heuristic, ``warm_start`` = its bundled learned agent — and the table gives the start's
objective (the family's evaluator), the status, the wall time (to the proof when
``optimal``), the incumbent, the bound and the gap at the end.
"""

from __future__ import annotations

import argparse

import cpnopt

HARD = [  # (family, seed, generator parameters, heuristic start, learned start)
    ("clustering", 0, {"n_servers": 12, "arrivals_per_slot": 10}, "km-rea", "dcat"),
    ("clustering", 1, {"n_servers": 12, "arrivals_per_slot": 10}, "km-rea", "dcat"),
    ("regional", 0, {"servers_per_region": 3, "n_tasks": 40}, "two-stage", "regional-drl"),
    ("regional", 1, {"servers_per_region": 3, "n_tasks": 40}, "two-stage", "regional-drl"),
]
PROVABLE = [  # sizes milp proves in seconds to a minute here: the time to proof
    (family, seed, params, h, l)
    for family, params, h, l in (
        ("clustering", {"n_servers": 10, "arrivals_per_slot": 8}, "km-rea", "dcat"),
        ("regional", {"servers_per_region": 3, "n_tasks": 28}, "two-stage", "regional-drl"),
    )
    for seed in range(3)
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--method", default="milp")
    parser.add_argument("--set", choices=("hard", "provable"), default="hard")
    args = parser.parse_args()
    print(
        f"| instance | {args.method} warm start | start objective | status | wall (s) | incumbent | bound | gap |\n"
        "|---|---|---:|---|---:|---:|---:|---:|"
    )
    for family, seed, params, heuristic, learned in HARD if args.set == "hard" else PROVABLE:
        inst = cpnopt.generate(family, seed=seed, **params)
        cpnopt.solve(inst, learned)  # PyTorch imported and the policy loaded outside the timings
        where = f"{family} seed {seed} " + ", ".join(f"{k}={v}" for k, v in params.items())
        for start in (None, heuristic, learned):
            options = {"warm_start": start} if start else {}
            rep = cpnopt.solve(inst, args.method, time_limit=args.time_limit, threads=1, **options).report
            start_value = rep.info.get("warm_start_objective")
            cells = [
                where,
                start or "none",
                "—" if start_value is None else f"{start_value:,.1f}",
                rep.status.value,
                f"{rep.runtime_s:.1f}",
                "—" if rep.objective is None else f"{rep.objective:,.1f}",
                "—" if rep.bound is None else f"{rep.bound:,.1f}",
                "—" if rep.gap is None else f"{100 * rep.gap:.2f} %",
            ]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
