"""Robust statistics for comparing methods over the instances of a suite (numpy and scipy only).

Following Agarwal et al., "Deep Reinforcement Learning at the Edge of the Statistical
Precipice" (NeurIPS 2021): point estimates come with stratified-bootstrap confidence
intervals, the interquartile mean (IQM, the mean of the middle 50 %) stands next to the mean,
and the probability of improvement says how often one method beats another. Paired
differences are tested with the Wilcoxon signed-rank test, corrected for the number of
comparisons with Holm's step-down method. Performance profiles follow Dolan & Moré,
"Benchmarking optimization software with performance profiles" (Math. Programming, 2002).

Strata are the sweep points of a suite: a bootstrap resample draws, within every sweep point,
as many instances (seeds) as it has, with replacement, so that each point keeps its weight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0  # fixed: the same runs give the same intervals


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def iqm(values: np.ndarray, axis: int = -1) -> np.ndarray | float:
    """Interquartile mean: the mean of the values between the 25th and 75th percentiles
    (``scipy.stats.trim_mean`` with 25 % cut from each end)."""
    from scipy import stats

    return stats.trim_mean(values, 0.25, axis=axis)


def _mean(values: np.ndarray, axis: int = -1) -> np.ndarray | float:
    return np.mean(values, axis=axis)


STATISTICS: dict[str, Callable[..., np.ndarray | float]] = {"mean": _mean, "iqm": iqm}


def stratified_bootstrap(
    strata: Sequence[Sequence[float]],
    statistic: str = "mean",
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Interval:
    """Percentile bootstrap interval of ``statistic`` ("mean" or "iqm") of the pooled values.

    Each resample draws ``len(stratum)`` values with replacement inside every stratum and
    pools them; the interval is the (1 ± confidence)/2 quantiles of the statistic over the
    resamples. A stratum with one value contributes it unchanged (no spread to resample).
    """
    groups = [np.asarray(s, dtype=float) for s in strata if len(s)]
    if not groups:
        nan = float("nan")
        return Interval(nan, nan, nan)
    function = STATISTICS[statistic]
    rng = np.random.default_rng(seed)
    pooled = np.concatenate(groups)
    draws = np.concatenate([g[rng.integers(0, len(g), size=(resamples, len(g)))] for g in groups], axis=1)
    values = function(draws, axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return Interval(float(function(pooled)), float(low), float(high))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error); NaN entries stay NaN and do not count.

    With m p-values sorted ascending p_(1) ≤ … ≤ p_(m), the adjusted p_(i) is
    max_{j ≤ i} min(1, (m − j + 1) p_(j)).
    """
    values = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(values), np.nan)
    present = np.flatnonzero(~np.isnan(values))
    order = present[np.argsort(values[present], kind="stable")]
    m, running = len(order), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[index]))
        adjusted[index] = running
    return adjusted.tolist()


def wilcoxon_p(differences: Sequence[float]) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences (zeros dropped, as
    ``scipy.stats.wilcoxon``'s default); 1.0 when every difference is zero, NaN with none."""
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    if len(d) == 0:
        return float("nan")
    if not np.any(d):
        return 1.0
    return float(stats.wilcoxon(d).pvalue)


def probability_of_improvement(
    x_strata: Sequence[Sequence[float]],
    y_strata: Sequence[Sequence[float]],
    lower_is_better: bool = True,
    tolerance: float = 0.0,
) -> float:
    """P(X better than Y): per stratum, the share of pairs (x, y) where x is better, ties
    (values within ``tolerance``) counting one half — the Mann–Whitney U statistic over n·m —,
    averaged over strata that have values of both."""
    shares = []
    for xs, ys in zip(x_strata, y_strata):
        x, y = np.asarray(xs, dtype=float)[:, None], np.asarray(ys, dtype=float)[None, :]
        if x.size == 0 or y.size == 0:
            continue
        with np.errstate(invalid="ignore"):  # inf − inf: two unsolved, equal
            tie = (x == y) | (np.abs(x - y) <= tolerance)
        better = ~tie & ((x < y) if lower_is_better else (x > y))
        shares.append(float(np.mean(better + 0.5 * tie)))
    return float(np.mean(shares)) if shares else float("nan")


def performance_ratios(costs: dict[str, Sequence[float]], floor: float) -> dict[str, np.ndarray]:
    """Dolan–Moré ratios r_{p,s} = t_{p,s} / min_s t_{p,s} per method s over the instances p.

    ``costs[s][p]`` is NaN or inf when s did not solve p (ratio inf). Costs are raised to
    ``floor`` first, so that a cost of 0 (a gap of 0, an immeasurably short runtime) gives
    finite ratios. An instance nobody solved gives every method an inf ratio.
    """
    names = list(costs)
    matrix = np.array([np.asarray(costs[s], dtype=float) for s in names])
    matrix = np.where(np.isfinite(matrix), np.maximum(matrix, floor), np.inf)
    best = matrix.min(axis=0)
    with np.errstate(invalid="ignore"):
        ratios = np.where(np.isfinite(best), matrix / best, np.inf)
    return {s: ratios[i] for i, s in enumerate(names)}


def performance_profile(ratios: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """ρ_s(τ) = share of instances with ratio ≤ τ, for each τ in ``taus``."""
    r = np.asarray(ratios, dtype=float)
    if r.size == 0:
        return np.zeros(len(taus))
    return np.mean(r[None, :] <= np.asarray(taus, dtype=float)[:, None], axis=1)
