"""Test-time search of the bundled agents: gap to the exact reference against ``samples`` N, and the heuristics at equal time.

    python benchmarks/learned_search.py --seeds 0 1 2 [--samples 1 8 64] [--exact-limit 60]

Per family (default instances, held-out seeds: training seeds are ≥ 10⁶): one bundled agent
solved with ``samples`` = each N (seed 0 of the sampler), its wall time (``cpnopt.solve``'s
runtime, the policy already loaded), and its mean gap to the exact reference — the proven
optimum (else the exact method's bound, marked) of ``milp`` (offloading: the per-task
``oracle``, the reference ``learned_rlms.py`` uses: a per-task optimum, so a gap can be
negative). Next to it, each family's heuristics
at the time the largest N took: a heuristic with a ``seed`` option is re-run with seeds
0, 1, 2, … until that time is spent and its best decision kept; a deterministic one runs
once (more time does not change its answer). Last, the exact method's own **anytime
incumbent** at that same time, read off its trace (``info["trace"]``, the run that gave the
reference): the primal gap of its best solution found by then, 100 % while it had none —
learned search, heuristics and exact search side by side at one wall-clock budget.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import cpnopt
from cpnopt.bench.anytime import gap_over_time
from cpnopt.registry import get_family, get_method
from cpnopt.solution import Sense, Status, gap_to_reference

# family: (agent, exact reference, heuristics)
FAMILIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "clustering": ("dcat", "milp", ("km-rea", "rand-rea")),
    "regional": ("regional-drl", "milp", ("two-stage", "random")),
    "placement": ("gwp", "milp", ("static", "heuristic")),
    "routing": ("stper", "milp", ("fp-qt", "cheapest")),
    "offloading": ("rlms", "oracle", ("base1", "base4")),
}


def _better(a: float, b: float, sense: Sense) -> bool:
    return a > b if sense is Sense.MAXIMIZE else a < b


def at_equal_time(instance: Any, family: str, method: str, budget: float) -> tuple[float, float, int]:
    """Best objective of ``method`` within ``budget`` seconds (re-seeded if it takes a seed), its time and runs."""
    sense = get_family(family).sense
    seeded = "seed" in get_method(family, method).option_names()
    start, best, runs = time.perf_counter(), None, 0
    while True:
        sol = cpnopt.solve(instance, method, **({"seed": runs} if seeded else {}))
        runs += 1
        if best is None or _better(sol.report.objective, best, sense):
            best = sol.report.objective
        if not seeded or time.perf_counter() - start >= budget:
            return best, time.perf_counter() - start, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--samples", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--exact-limit", type=float, default=60.0)
    parser.add_argument("--families", nargs="+", default=list(FAMILIES))
    args = parser.parse_args()
    print("| family | method | N / runs | mean gap to reference | mean wall time (s) | instances within 2 % |")
    print("|---|---|---:|---:|---:|---:|")
    for family in args.families:
        agent, exact, heuristics = FAMILIES[family]
        sense = get_family(family).sense
        rows: dict[str, list[tuple[float, float, float]]] = {}
        unproven = missing = 0
        for seed in args.seeds:
            inst = cpnopt.generate(family, seed=seed)
            ref = cpnopt.solve(inst, exact, time_limit=args.exact_limit).report
            proven = ref.status is Status.OPTIMAL or exact == "oracle"  # the oracle's objective is the reference
            reference = ref.objective if proven else ref.bound
            if not reference:  # no optimum or bound within the limit (or 0, no relative gap): left out
                missing += 1
                continue
            unproven += not proven
            cpnopt.solve(inst, agent)  # load the policy once, outside the timings
            for n in args.samples:
                rep = cpnopt.solve(inst, agent, samples=n).report
                gap = gap_to_reference(reference, rep.objective, sense)
                rows.setdefault(f"{agent}|{n}", []).append((gap, rep.runtime_s, rep.info.get("samples", 1)))
            budget = rows[f"{agent}|{max(args.samples)}"][-1][1]
            for heuristic in heuristics:
                best, spent, runs = at_equal_time(inst, family, heuristic, budget)
                rows.setdefault(f"{heuristic}|equal time", []).append(
                    (gap_to_reference(reference, best, sense), spent, runs)
                )
            trace = ref.info.get("trace")
            if trace:  # the oracle (offloading) is not anytime: it has no trace
                anytime = float(gap_over_time(trace, reference, sense, [budget])[0])
                rows.setdefault(f"{exact} anytime incumbent|equal time", []).append((anytime, budget, 1))
        note = f" ({unproven} of {len(args.seeds)} to {exact}'s bound)" if unproven else ""
        note += f" ({missing} left out: no optimum or nonzero bound from {exact})" if missing else ""
        for key, values in rows.items():
            method, n = key.split("|")
            gaps = [v[0] for v in values]
            runs = "–".join(sorted({str(int(v[2])) for v in values}, key=int)) if n == "equal time" else n
            runs = "trace" if method.endswith("anytime incumbent") else runs
            within = sum(g <= 0.02 for g in gaps)
            print(
                f"| {family}{note} | {method} | {runs} | {100 * statistics.mean(gaps):.2f} % "
                f"| {statistics.mean(v[1] for v in values):.2f} | {within} / {len(gaps)} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
