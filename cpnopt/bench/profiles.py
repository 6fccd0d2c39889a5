"""Dolan–Moré performance profiles over the instances of a suite, for quality and for runtime.

For a cost t_{p,s} of method s on instance p (smaller is better), the ratio is
r_{p,s} = t_{p,s} / min_s t_{p,s} and the profile ρ_s(τ) is the share of instances with
r_{p,s} ≤ τ (Dolan & Moré, Math. Programming 91, 2002). ρ_s(1) is the share of instances on
which s is best (ties included); ρ_s(τ) for large τ is the share it solved at all.

Quality: the cost is the gap to the reference optimum or bound, raised to :data:`GAP_FLOOR`
(a gap of 0 would make every ratio to it infinite: with the floor, a method 1 % from the
optimum has ratio 100 against one at the optimum). Runtime: the method's own time, raised to
:data:`RUNTIME_FLOOR`, counted only for runs that returned a solution. A run without a
solution (or a gap) has ratio ∞.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cpnopt.bench.data import SuiteRuns, point_key
from cpnopt.bench.stats import performance_profile, performance_ratios
from cpnopt.metrics import MetricInfo

GAP_FLOOR = 1e-4  # 0.01 % of the reference
RUNTIME_FLOOR = 1e-3  # 1 ms: below the resolution of a run's timing


@dataclass(frozen=True)
class Profile:
    quantity: MetricInfo  # what the cost is (gap, runtime)
    instances: int
    ratios: dict[str, np.ndarray]  # per method, one ratio per instance
    taus: np.ndarray
    curves: dict[str, np.ndarray]  # per method, ρ(τ) for each τ


def costs(data: SuiteRuns, key: str) -> dict[str, list[float]]:
    """Per method, its cost (``gap`` or ``runtime_s``) on every instance of the suite, inf where it has none."""
    instances = data.instances()
    index = {inst: i for i, inst in enumerate(instances)}
    out = {method: [math.inf] * len(instances) for method in data.methods()}
    for run in data.runs:
        value = data.value(key, run)
        if key == "runtime_s" and run["objective"] is None:
            value = None  # no solution: it did not solve the instance, however fast
        if value is not None:
            out[run["label"]][index[(point_key(run["point"]), run["seed"])]] = value
    return out


def profile(data: SuiteRuns, key: str) -> Profile:
    """The performance profile of every method of ``data`` for ``key`` ("gap" or "runtime_s")."""
    floor = GAP_FLOOR if key == "gap" else RUNTIME_FLOOR
    ratios = performance_ratios(costs(data, key), floor)
    finite = np.concatenate([r[np.isfinite(r)] for r in ratios.values()] + [np.ones(1)])
    taus = np.unique(np.concatenate([finite, [finite.max() * 1.1]]))  # every step of every curve
    curves = {method: performance_profile(r, taus) for method, r in ratios.items()}
    return Profile(data.info(key), len(data.instances()), ratios, taus, curves)


def suite_profiles(data: SuiteRuns) -> list[Profile]:
    """The quality profile (when the suite has a reference to take gaps to) and the runtime profile."""
    return ([profile(data, "gap")] if data.references else []) + [profile(data, "runtime_s")]
