"""``gwp`` at device counts it never saw, and its held-out gap along training (issue 18).

    python benchmarks/gwp_sizes.py --store gwp-sizes.json --devices 4 8 16 --seeds 0 1 ... \\
        --agent new=solvers/rl/checkpoints/gwp.pt --methods milp static heuristic

Per (device count, held-out seed) one generator instance (``--n-iterations``, ``--alpha``);
every ``--agent LABEL=CHECKPOINT`` solves it greedily (``refused`` when the policy rejects
the instance's size), every ``--methods`` method with ``--time-limit`` (milp and static:
one HiGHS thread). Results are cached in the JSON ``--store`` (key: label, devices, seed),
so a rerun adds only what is missing. The summary prints, per device count and label, the
mean gap to milp's per-iteration optimum (to its bound where unproven, which overstates
the gap) with a 95 % bootstrap CI over the seeds (:func:`cpnopt.bench.stats.stratified_bootstrap`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cpnopt
from cpnopt.bench.stats import stratified_bootstrap
from cpnopt.errors import InputError

EXACT_OPTIONS = {"threads": 1}


def run_one(inst: object, label: str, target: str, time_limit: float) -> dict:
    """Objective, bound, status and runtime of one agent checkpoint (``target`` a path) or method."""
    try:
        if target.endswith(".pt"):
            sol = cpnopt.solve(inst, "gwp", checkpoint=target)
        elif target in ("milp", "static"):
            sol = cpnopt.solve(inst, target, time_limit=time_limit, **EXACT_OPTIONS)
        else:
            sol = cpnopt.solve(inst, target)
    except InputError as exc:
        return {"status": "refused", "message": str(exc)}
    r = sol.report
    return {"status": r.status.value, "objective": r.objective, "bound": r.bound, "runtime_s": r.runtime_s}


def reference(row: dict) -> float | None:
    """milp's proven optimum, else its bound (None if it has neither)."""
    if row.get("status") == "optimal":
        return row["objective"]
    return row.get("bound")


def summary(store: dict, devices: list[int], seeds: list[int], labels: list[str]) -> list[str]:
    lines = [
        "| devices | method | mean gap to milp | 95 % CI | instances | milp proven |",
        "|---:|---|---:|---|---:|---:|",
    ]
    for m in devices:
        refs = {s: store.get(f"milp|{m}|{s}") for s in seeds}
        proven = sum(1 for r in refs.values() if r and r.get("status") == "optimal")
        for label in labels:
            gaps = []
            for s in seeds:
                row, ref = store.get(f"{label}|{m}|{s}"), refs[s] and reference(refs[s])
                if row is None or ref is None:
                    continue
                if row["status"] == "refused":
                    gaps = None
                    break
                gaps.append(100 * (row["objective"] - ref) / ref)
            if gaps is None:
                lines.append(f"| {m} | {label} | refused | — | — | — |")
            elif gaps:
                ci = stratified_bootstrap([gaps])
                lines.append(
                    f"| {m} | {label} | {ci.estimate:.2f} % | [{ci.low:.2f}, {ci.high:.2f}] | {len(gaps)} | {proven} |"
                )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--devices", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(20)))
    parser.add_argument("--n-iterations", type=int, default=3)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--agent", action="append", default=[], help="LABEL=CHECKPOINT (repeatable)")
    parser.add_argument("--methods", nargs="*", default=[])
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    store = json.loads(args.store.read_text()) if args.store.is_file() else {}
    targets = [tuple(a.split("=", 1)) for a in args.agent] + [(m, m) for m in args.methods]
    for m in args.devices:
        for s in args.seeds:
            inst = cpnopt.generate("placement", seed=s, n_devices=m, n_iterations=args.n_iterations, alpha=args.alpha)
            for label, target in targets:
                key = f"{label}|{m}|{s}"
                if key not in store:
                    store[key] = run_one(inst, label, target, args.time_limit)
                    args.store.write_text(json.dumps(store, indent=1) + "\n")
    print("\n".join(summary(store, args.devices, args.seeds, [label for label, _ in targets if label != "milp"])))


if __name__ == "__main__":
    main()
