"""``sb3-ppo`` (the bundled MaskablePPO checkpoints) beside each family's bundled agent and the exact reference.

Per family, the learned suite's training point (``POINTS``) on held-out seeds: every method of
``--methods`` (default: the reference ``milp``, the family's bundled agent, one of the paper's
heuristics, ``sb3-ppo``) through :func:`cpnopt.solve`, the decision scored by the family's evaluator.
The reference of an instance is milp's proven optimum, else its bound (offloading: milp is the
clairvoyant bound). Runs are kept in a
JSON file (``--cache``), so a re-run only solves what is missing (e.g. ``sb3-ppo`` after retraining:
``--rerun sb3-ppo``). ``--param key=value`` moves every family's point (other sizes: the padded
``sb3-ppo`` beside the size-independent agents). stdout: one markdown table (mean objective, mean gap
to the reference, sb3-ppo's wins / ties / losses against each method).

    python benchmarks/learned_sb3.py --cache sb3-ppo-runs.json
    python benchmarks/learned_sb3.py --cache sb3-ppo-runs.json --family regional --rerun sb3-ppo
    python benchmarks/learned_sb3.py --cache sb3-ppo-runs.json --family clustering --param n_servers=12 --methods agent baseline sb3-ppo
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cpnopt
from cpnopt.cli import parse_assignments
from cpnopt.solution import Sense, Status, gap_to_reference


@dataclass(frozen=True)
class Point:
    agent: str  # the family's bundled agent
    baseline: str  # a heuristic of the paper, for scale
    seeds: range
    params: dict[str, Any] = field(default_factory=dict)


# the learned suites' training points (benchmarks/suites/learned-*.toml)
POINTS = {
    "clustering": Point("dcat", "km-rea", range(20)),
    "routing": Point("stper", "cheapest", range(20)),
    "placement": Point("gwp", "heuristic", range(6), {"n_iterations": 3}),  # learned-gwp: seeds 0–5, 3 iterations
    "regional": Point("regional-drl", "two-stage", range(20)),
    "offloading": Point("rlms", "base4", range(20)),
}
REFERENCE = "milp"
TIED = 1e-6  # relative difference below which two objectives tie


def run(family: str, params: dict[str, Any], seed: int, method: str, time_limit: float) -> dict[str, Any]:
    instance = cpnopt.generate(family, seed=seed, **params)
    options = {"time_limit": time_limit, "threads": 1} if method == REFERENCE else {}
    report = cpnopt.solve(instance, method, **options).report
    return {"objective": report.objective, "bound": report.bound, "status": report.status.value, "s": report.runtime_s}


def reference(runs: dict[str, dict[str, Any]]) -> float | None:
    ref = runs.get(REFERENCE)
    if ref is None:
        return None
    return ref["objective"] if ref["status"] == Status.OPTIMAL.value else ref["bound"]


def table(cache: dict[str, Any], points: dict[str, str], methods: list[str]) -> list[str]:
    """Rows per family (its point: ``points[family]``, a key of the cache) and method."""
    lines = [
        "| family | method | instances | mean objective | mean gap to reference | sb3-ppo wins / ties / losses | median s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for family, point in points.items():
        sense = cpnopt.get_family(family).sense
        sign = 1.0 if sense is Sense.MAXIMIZE else -1.0
        per_seed = [cache[family][point].get(str(seed), {}) for seed in POINTS[family].seeds]
        where = ", ".join(f"{k} = {v}" for k, v in json.loads(point).items())
        label = f"{family} ({where})" if where else family
        unproven = sum(1 for runs in per_seed if runs.get(REFERENCE, {}).get("status") != Status.OPTIMAL.value)
        for method in methods:
            values, gaps, record, seconds = [], [], [0, 0, 0], []
            for runs in per_seed:
                mine = runs.get(method, {}).get("objective")
                if mine is None:
                    continue
                values.append(mine)
                seconds.append(runs[method]["s"])
                gap = gap_to_reference(reference(runs), mine, sense)
                if gap is not None:
                    gaps.append(gap)
                ppo = runs.get("sb3-ppo", {}).get("objective")
                if ppo is not None and method != "sb3-ppo":
                    diff = sign * (ppo - mine)
                    record[
                        0 if diff > TIED * max(1.0, abs(mine)) else 1 if diff >= -TIED * max(1.0, abs(mine)) else 2
                    ] += 1
            if not values:
                continue
            gap_text = f"{100 * statistics.mean(gaps):.1f} %" if gaps else "—"
            wins = "—" if method == "sb3-ppo" else " / ".join(map(str, record))
            note = f" ({unproven} to bound)" if method == REFERENCE and unproven else ""
            lines.append(
                f"| {label} | {method}{note} | {len(values)} | {statistics.mean(values):,.6g} | {gap_text} | {wins} | {statistics.median(seconds):.3g} |"
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", required=True, help="JSON file of the runs (read, then updated after every run)")
    parser.add_argument("--family", action="append", choices=sorted(POINTS), help="(repeatable; default: all five)")
    parser.add_argument(
        "--methods",
        nargs="*",
        default=[REFERENCE, "agent", "baseline", "sb3-ppo"],
        help="'agent': the family's bundled agent, 'baseline': its heuristic (POINTS)",
    )
    parser.add_argument("--rerun", nargs="*", default=[], help="methods to solve again even if cached")
    parser.add_argument("--time-limit", type=float, default=60.0, help="the reference's time limit (s)")
    parser.add_argument("--param", action="append", default=[], help="key=value: a generator parameter (repeatable)")
    args = parser.parse_args(argv)
    path = Path(args.cache)
    cache: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    points: dict[str, str] = {}
    names: list[str] = []
    for family in args.family or list(POINTS):
        params = {**POINTS[family].params, **parse_assignments(args.param, "--param")}
        points[family] = json.dumps(params, sort_keys=True)
        aliases = {"agent": POINTS[family].agent, "baseline": POINTS[family].baseline}
        methods = [aliases.get(m, m) for m in args.methods]
        names += [m for m in methods if m not in names]
        for seed in POINTS[family].seeds:
            runs = cache.setdefault(family, {}).setdefault(points[family], {}).setdefault(str(seed), {})
            for method in methods:
                if method in runs and method not in args.rerun:
                    continue
                runs[method] = run(family, params, seed, method, args.time_limit)
                path.write_text(json.dumps(cache, indent=1))
    order = [REFERENCE] + [n for n in names if n not in (REFERENCE, "sb3-ppo")] + ["sb3-ppo"]
    print("\n".join(table(cache, points, [m for m in order if m in names])))


if __name__ == "__main__":
    main()
