"""Result objects shared by every family: Status, Report, Evaluation, Solution.

A method returns a :class:`MethodOutput` (its decision, status and, for exact methods,
the bound). :func:`cpnopt.solve` times it, scores the decision with the family's
evaluator (the single source of truth) and wraps everything in a :class:`Solution`.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any


class Status(str, enum.Enum):
    OPTIMAL = "optimal"  # proven optimal (within the relative MIP gap asked for)
    FEASIBLE = "feasible"  # a solution without a proof (heuristics, learned methods)
    TIME_LIMIT = "time_limit"  # an exact method stopped by its limit; incumbent and bound kept
    INFEASIBLE = "infeasible"  # the model has no solution
    ERROR = "error"  # the method failed; see Report.message


class Sense(str, enum.Enum):
    MAXIMIZE = "max"
    MINIMIZE = "min"


@dataclass
class MethodOutput:
    """What a registered method hands back to :func:`cpnopt.solve`."""

    decision: Any | None
    status: Status
    bound: float | None = None  # best proven bound on the optimum (exact methods)
    model_objective: float | None = None  # the objective the model itself reports
    info: dict[str, Any] = field(default_factory=dict)  # method-specific figures
    message: str = ""


@dataclass
class Evaluation:
    """The evaluator's verdict: feasibility, the objective and the family's metrics."""

    feasible: bool
    objective: float
    metrics: dict[str, float]
    violations: list[str] = field(default_factory=list)


def relative_gap(objective: float | None, bound: float | None, sense: Sense) -> float | None:
    """Relative distance from ``objective`` to ``bound``: (bound − obj)/|obj| when maximizing.

    Returns 0 when both coincide, ``inf`` when the objective is 0 and the bound is not.
    """
    if objective is None or bound is None:
        return None
    diff = bound - objective if sense is Sense.MAXIMIZE else objective - bound
    diff = max(diff, 0.0)
    if diff <= 1e-9 * max(1.0, abs(bound)):
        return 0.0
    return diff / abs(objective) if objective != 0 else math.inf


def gap_to_reference(reference: float | None, value: float | None, sense: Sense) -> float | None:
    """Share of a reference (an optimum or a bound) a solution leaves behind:
    (reference − value)/|reference| when maximizing, (value − reference)/|reference| when minimizing."""
    if reference is None or value is None or reference == 0:
        return None
    diff = reference - value if sense is Sense.MAXIMIZE else value - reference
    return diff / abs(reference)


def closed_trace(
    trace: list[list[float | None]], runtime_s: float, incumbent: float | None, bound: float | None
) -> list[list[float | None]]:
    """An exact method's anytime trace (rows [seconds, incumbent, bound]; see
    :mod:`cpnopt.formulations.common.exact`) as reported: values that are not finite become
    None (none yet) and, unless the last row already says so, a row [``runtime_s``,
    ``incumbent``, ``bound``] ends it, so every trace ends at what the method reported."""
    finite = lambda x: None if x is None or not math.isfinite(x) else float(x)  # noqa: E731
    rows = [[float(t), finite(value), finite(b)] for t, value, b in trace]
    end = [runtime_s, finite(incumbent), finite(bound)]
    if not rows or rows[-1][1:] != end[1:]:
        rows.append(end)
    return rows


@dataclass
class Report:
    """How a solution came about. ``objective`` is always the evaluator's value."""

    method: str
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float
    options: dict[str, Any] = field(default_factory=dict)
    model_objective: float | None = None
    info: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass
class Solution:
    family: str
    decision: Any | None
    report: Report
    evaluation: Evaluation | None

    @property
    def feasible(self) -> bool:
        return self.evaluation is not None and self.evaluation.feasible

    def summary(self) -> dict[str, Any]:
        """The one JSON object of ``--json`` output (the command line's contract, docs/cli.md)."""
        r = self.report
        return {
            "family": self.family,
            "method": r.method,
            "status": r.status.value,
            "objective": r.objective,
            "bound": r.bound,
            "gap": r.gap,
            "runtime_s": r.runtime_s,
            "feasible": self.feasible,
            "metrics": dict(self.evaluation.metrics) if self.evaluation else {},
        }
