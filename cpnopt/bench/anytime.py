"""Anytime curves: how good each method is after t seconds, from the traces its runs left.

An exact method's run carries its trace (``info["trace"]``: rows [seconds since the method
began, incumbent, bound], see :mod:`cpnopt.formulations.common.exact`). Any other run is one
step: nothing until its runtime, then its objective. So every method of a suite has a curve,
and a heuristic's point shows where an exact method's incumbent stood at the same time.

On one instance the curves are the incumbent and the bound against time. Over a suite's
instances the curve is the mean **primal gap** after t seconds: the gap of the incumbent at t
to the instance's reference value (the optimum, else the best bound; :mod:`cpnopt.bench.data`),
clipped to [0, 1], and 1 while there is no incumbent (Berthold's convention for the primal
integral). :data:`CHECKPOINTS_S` are the times the report tabulates: "how good after 1 s,
10 s, 60 s".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from cpnopt.bench.data import Instance, SuiteRuns, point_key
from cpnopt.errors import InputError
from cpnopt.solution import Sense, gap_to_reference

CHECKPOINTS_S = (1.0, 10.0, 60.0)
Row = tuple[float, float | None, float | None]  # seconds, incumbent, bound


def run_trace(run: dict[str, Any]) -> list[Row]:
    """The run's trace (an exact method's), else one row at its runtime with its objective."""
    trace = run["report"].get("info", {}).get("trace")
    if trace:
        return [(float(t), incumbent, bound) for t, incumbent, bound in trace]
    if run["objective"] is None or run["runtime_s"] is None:
        return []
    return [(float(run["runtime_s"]), float(run["objective"]), None)]


def has_traces(data: SuiteRuns) -> bool:
    """Whether any run of the suite carries a solver trace (an exact method ran)."""
    return any(run["report"].get("info", {}).get("trace") for run in data.runs)


def primal_gap(incumbent: float | None, reference: float, sense: Sense) -> float:
    """Gap of ``incumbent`` to ``reference`` in [0, 1]; 1 without an incumbent."""
    gap = gap_to_reference(reference, incumbent, sense)
    return 1.0 if gap is None else min(max(gap, 0.0), 1.0)


def gap_over_time(trace: list[Row], reference: float, sense: Sense, times: np.ndarray) -> np.ndarray:
    """The primal gap of the trace's incumbent at each of ``times``."""
    rows = [(t, incumbent) for t, incumbent, _ in trace if incumbent is not None]
    gaps = np.ones(len(times))
    if rows:
        found = np.searchsorted([t for t, _ in rows], times, side="right") - 1
        row_gaps = np.array([primal_gap(incumbent, reference, sense) for _, incumbent in rows])
        gaps[found >= 0] = row_gaps[found[found >= 0]]
    return gaps


@dataclass(frozen=True)
class GapCurves:
    times: np.ndarray  # seconds, increasing
    mean_gap: dict[str, np.ndarray]  # per method, mean primal gap over its instances at each time
    instances: dict[str, int]  # per method, the instances the mean is over


def gap_curves(data: SuiteRuns, times: np.ndarray | None = None) -> GapCurves:
    """Per method, the mean primal gap over the suite's instances at each of ``times`` (default:
    every time any trace changes, so the step curves are exact)."""
    per_method: dict[str, list[tuple[list[Row], float, Sense]]] = {}
    for run in data.runs:
        reference = data.reference_values.get((point_key(run["point"]), run["seed"]))
        if reference is None:
            continue
        sense = Sense(run["report"].get("sense", "max"))
        per_method.setdefault(run["label"], []).append((run_trace(run), reference, sense))
    if times is None:
        found = {row[0] for runs in per_method.values() for trace, _, _ in runs for row in trace if row[0] > 0}
        times = np.array(sorted(found) or [1.0])
    times = np.asarray(times, dtype=float)
    mean_gap = {
        method: np.mean([gap_over_time(trace, ref, sense, times) for trace, ref, sense in runs], axis=0)
        for method, runs in per_method.items()
    }
    order = [m for m in data.methods() if m in mean_gap]
    return GapCurves(times, {m: mean_gap[m] for m in order}, {m: len(per_method[m]) for m in order})


def instance_name(data: SuiteRuns, instance: Instance) -> str:
    """``"n_servers=5,seed=1"``: how ``--instance`` names an instance."""
    key, seed = instance
    return ",".join([f"{k}={v}" for k, v in sorted(data.points()[key].items())] + [f"seed={seed}"])


def parse_instance(data: SuiteRuns, text: str) -> Instance:
    """The instance ``text`` names: each sweep value and the seed, ``"n_servers=5,seed=1"``
    (as :func:`instance_name` writes it; the order of the parts does not matter)."""
    matches = [inst for inst in data.instances() if _parts(instance_name(data, inst)) == _parts(text)]
    if not matches:
        known = "; ".join(instance_name(data, inst) for inst in data.instances())
        raise InputError("--instance", text, f"names none of the suite's instances: {known}")
    return matches[0]


def _parts(name: str) -> list[str]:
    """The "axis=value" parts of an instance name, spaces dropped (a value may hold commas: "[1, 10]")."""
    return sorted(part.replace(" ", "") for part in re.split(r",(?=\s*[A-Za-z_]\w*\s*=)", name))


def instance_traces(data: SuiteRuns, instance: Instance) -> dict[str, list[Row]]:
    """Per method, its trace on ``instance`` (methods without a solution left out)."""
    found = {run["label"]: run_trace(run) for run in data.runs if (point_key(run["point"]), run["seed"]) == instance}
    return {method: found[method] for method in data.methods() if found.get(method)}
