"""``cpnopt quickstart``: generate the default P1 instance, prove its optimum, run every heuristic and agent
(those of an optional extra if it is installed).

Prints the instance's tightness figures and a table of every method's platform profit,
offloading rate, runtime and gap to the proven optimum.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from tqdm import tqdm

from cpnopt.api import generate, solve
from cpnopt.registry import Kind, get_family, methods
from cpnopt.solution import Solution, gap_to_reference

FAMILY = "clustering"


@dataclass(frozen=True)
class Row:
    method: str
    kind: str
    status: str
    profit: float | None
    offloading_rate: float | None
    gap_to_optimum: float | None
    runtime_s: float


def run_quickstart(seed: int = 0, time_limit: float = 60.0, show_progress: bool = True) -> tuple[dict, list[Row]]:
    instance = generate(FAMILY, seed=seed)
    figures = get_family(FAMILY).describe(instance)
    registered = methods(FAMILY)
    names = ["milp", "cg"] + sorted(n for n, m in registered.items() if m.kind is Kind.HEURISTIC)
    names += sorted(n for n, m in registered.items() if m.kind is Kind.LEARNED and m.available())
    solutions: dict[str, Solution] = {}
    for name in tqdm(names, desc="solving", disable=not show_progress, file=sys.stderr, leave=False):
        options = {"time_limit": time_limit} if name in ("milp", "cg", "opt-rea") else {}
        solutions[name] = solve(instance, name, **options)
    optimum = solutions["milp"].report.objective
    rows = []
    for name in names:
        sol = solutions[name]
        metrics = sol.evaluation.metrics if sol.evaluation else {}
        rows.append(
            Row(
                method=name,
                kind=registered[name].kind.value,
                status=sol.report.status.value,
                profit=sol.report.objective,
                offloading_rate=metrics.get("offloading_rate"),
                gap_to_optimum=gap_to_reference(optimum, sol.report.objective, get_family(FAMILY).sense),
                runtime_s=sol.report.runtime_s,
            )
        )
    figures["milp_bound"] = solutions["milp"].report.bound
    return figures, rows


def format_table(rows: list[Row]) -> str:
    def num(value: float | None, fmt: str) -> str:
        return "—" if value is None else format(value, fmt)

    lines = [
        "| method | kind | status | platform profit | offloading rate | gap to optimum | runtime (s) |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.method} | {r.kind} | {r.status} | {num(r.profit, ',.1f')} | {num(r.offloading_rate, '.0%')} "
            f"| {num(r.gap_to_optimum, '.1%')} | {num(r.runtime_s, '.3f')} |"
        )
    return "\n".join(lines)


def main(seed: int = 0, time_limit: float = 60.0) -> None:
    figures, rows = run_quickstart(seed=seed, time_limit=time_limit)
    print(
        f"P1 (clustering) default instance, seed {seed}: {figures['servers']} servers, "
        f"{figures['tasks']} tasks, {figures['feasible_clusters']} feasible clusters "
        f"(diameter ≤ R_max = {figures['r_max_km']:g} km, size ≤ {figures['max_cluster_size']})"
    )
    print(
        f"(task, cluster) pairs: {figures['pairs_deadline_feasible']:.0%} meet the deadline alone, "
        f"{figures['pairs_profitable']:.0%} are profitable (price ≥ cost), "
        f"{figures['pairs_feasible_and_profitable']:.0%} both"
    )
    print()
    print(format_table(rows))
    milp = rows[0]
    if milp.status == "optimal":
        print(f"\nmilp is proven optimal (HiGHS bound {figures['milp_bound']:,.1f}); gaps are to that optimum.")
    else:
        print(f"\nmilp stopped with status {milp.status}; gaps are to its incumbent, bound {figures['milp_bound']}.")
