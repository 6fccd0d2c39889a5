"""A suite's runs as tables, statistics and figures read them: per run and per instance.

An instance is one (sweep point, seed). Gap of a run = (reference − objective) / |reference|
(for a minimisation, objective − reference), where reference is the reference method's
objective on the same instance when it is proven optimal, else its best bound. A suite may
name several reference methods (``reference = ["milp", "cg"]``): any proven optimum wins,
else the tightest of their bounds.

Quantities are named by keys: ``metric:NAME`` (a metric of the evaluator, or
``metric:report.bound`` / ``metric:report.gap``, the run's own bound and gap), ``gap`` and
``runtime_s``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cpnopt.bench.store import Store
from cpnopt.metrics import MetricInfo, metric_info
from cpnopt.registry import families
from cpnopt.solution import Sense, gap_to_reference

Instance = tuple[str, int]  # (point key, seed)


def point_key(point: dict[str, Any]) -> str:
    return repr(sorted(point.items()))


def sortable(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


@dataclass(frozen=True)
class SuiteRuns:
    suite: str
    definition: dict[str, Any]
    axes: list[str]
    runs: list[dict[str, Any]]
    references: list[str]
    reference_values: dict[Instance, float]
    all_optimal: bool  # every reference value is a proven optimum
    declared: Mapping[str, MetricInfo]  # the family's metric metadata

    def info(self, key: str) -> MetricInfo:
        """Display metadata of a column key (``metric:NAME``, ``gap``, ``runtime_s``) or a parameter."""
        if key == "gap" and not self.all_optimal:
            return metric_info(self.declared, "gap_bound")
        return metric_info(self.declared, key.removeprefix("metric:"))

    def methods(self) -> list[str]:
        """Method labels in the suite's order (then any others, by name)."""
        order = {label: i for i, label in enumerate(self.definition.get("methods", []))}
        return sorted({run["label"] for run in self.runs}, key=lambda label: (order.get(label, 1e9), label))

    def points(self) -> dict[str, dict[str, Any]]:
        """Sweep points by key, in sweep order."""
        found = {point_key(run["point"]): run["point"] for run in self.runs}
        return {k: found[k] for k in sorted(found, key=lambda k: [sortable(v) for _, v in sorted(found[k].items())])}

    def value(self, key: str, run: dict[str, Any]) -> float | None:
        """One run's value of ``key``; None when it has none (no solution, or infeasible for a metric)."""
        if key == "runtime_s":
            value = run["runtime_s"]
        elif key == "gap":
            sense = Sense(run["report"].get("sense", "max"))
            value = gap_to_reference(
                self.reference_values.get((point_key(run["point"]), run["seed"])), run["objective"], sense
            )
        elif key.startswith("metric:report."):  # a field of the run's own report: bound, gap
            value = run[key.removeprefix("metric:report.")]
        else:
            value = run["metrics"].get(key.removeprefix("metric:")) if run["feasible"] else None
        return None if value is None else float(value)

    def by_instance(self, key: str) -> dict[str, dict[Instance, float | None]]:
        """Per method label, the value of ``key`` on every instance the method ran on."""
        out: dict[str, dict[Instance, float | None]] = {}
        for run in self.runs:
            out.setdefault(run["label"], {})[(point_key(run["point"]), run["seed"])] = self.value(key, run)
        return out

    def instances(self) -> list[Instance]:
        """Every (point, seed) any method ran on, by point in sweep order, then seed."""
        order = {k: i for i, k in enumerate(self.points())}
        found = {(point_key(run["point"]), run["seed"]) for run in self.runs}
        return sorted(found, key=lambda inst: (order[inst[0]], inst[1]))


def load_runs(store: Store, suite: str) -> SuiteRuns:
    definition = store.suite_definition(suite)
    axes = list(definition.get("axes", []))
    fixed = definition.get("params", {})
    # runs made before the suite's fixed parameters were last edited stay in the store, unused
    runs = [r for r in store.runs(suite) if {k: v for k, v in r["params"].items() if k not in axes} == fixed]
    reference = definition.get("reference")
    references = [] if reference is None else [reference] if isinstance(reference, str) else list(reference)
    values, all_optimal = _reference_values(runs, references)
    family = definition.get("family") or (runs[0]["family"] if runs else None)
    found = families().get(family) if family else None
    return SuiteRuns(suite, definition, axes, runs, references, values, all_optimal, found.metrics if found else {})


def _reference_values(runs: list[dict[str, Any]], references: list[str]) -> tuple[dict[Instance, float], bool]:
    """Reference value per instance, and whether every one of them is a proven optimum.

    With several reference methods, a proven optimum from any of them wins; otherwise the
    tightest bound among them (the least for a maximisation).
    """
    optimum: dict[Instance, float] = {}
    bounds: dict[Instance, list[float]] = {}
    senses: dict[Instance, str] = {}
    for run in runs:
        if run["method"] not in references:
            continue
        key = (point_key(run["point"]), run["seed"])
        senses[key] = run["report"].get("sense", "max")
        if run["status"] == "optimal" and run["objective"] is not None:
            optimum[key] = run["objective"]
        elif run["bound"] is not None:
            bounds.setdefault(key, []).append(run["bound"])
    found = dict(optimum)
    for key, values in bounds.items():
        if key not in found:
            found[key] = min(values) if senses[key] == "max" else max(values)
    all_optimal = set(optimum) == set(senses)
    return found, all_optimal
