"""Exact pricing of one GWP layer: the cheapest placement of a layer's neurons under given duals, compiled.

A column of the Dantzig–Wolfe master (:mod:`cpnopt.formulations.placement.cg`) is one layer's
placement: a count n_i and a DVFS level v_i per used device. With the master's duals its
reduced cost is (π_l aside)

    w_T · max_{i used} (τ_{i,v} n_i + τ̂_i)  +  Σ_{i used} (a_{i,v} n_i + b_{i,v})

with a = w_E e + (memory price) m_l ≥ 0 per neuron and b = w_E ê + (level price) ≥ 0 per used
device (Eq. 5 and 7–10 with the linking rows' duals). For a fixed layer time t every used device
holds at most c_{i,v}(t) = min(hi_i, ⌊(t − τ̂_i)/τ_{i,v}⌋) neurons, and the cheapest fill of the
layer is a linear program over the used set whose vertices have every used device at one of its
bounds (lo or c) but one: :func:`fill` is the dynamic program over devices with state = neurons
placed so far and one flag (the one device between its bounds used yet), exact in O(devices ×
levels × N_l). Over t the cost is w_T t + f(t) with f non-increasing and changing only at the
breakpoints τ̂_i + n τ_{i,v}; :func:`price_layer` searches them by bisection with the bound
w_T t_lo + f(t_hi) on an interval [t_lo, t_hi] of breakpoints, so it is exact (the least cost
over every placement) while evaluating f at few breakpoints. ``lo``/``hi`` and the flags
(device unusable, or must be used) carry the branching decisions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

INF = 1e300
RELATIVE_SLACK = 1e-12  # a breakpoint's own device counts as fitting (rounding of (t − τ̂)/τ)


@numba.njit(cache=True)
def fill(
    total: int, lo: np.ndarray, hi: np.ndarray, unit: np.ndarray, fixed: np.ndarray, optional: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """min Σ (unit n + fixed) over used (device, level) with n ∈ [lo, hi] per used device, Σ n = total,
    one level per device, a device with ``optional`` false used; (cost, counts, levels; −1 unused).

    Arrays are [device, level]; hi < lo marks a level unusable. INF when no fill exists."""
    m = unit.shape[0]
    work = np.empty((5, m, total + 1), dtype=np.int64)
    return _fill(total, lo, hi, unit, fixed, optional, work)


@numba.njit(cache=True)
def _fill(
    total: int,
    lo: np.ndarray,
    hi: np.ndarray,
    unit: np.ndarray,
    fixed: np.ndarray,
    optional: np.ndarray,
    work: np.ndarray,
) -> tuple[float, np.ndarray, np.ndarray]:
    """:func:`fill` with its choice tables in ``work`` [5, devices, ≥ total + 1] (reused between calls)."""
    m, n_levels = unit.shape
    dp0 = np.full(total + 1, INF)  # every used device so far at a bound
    dp1 = np.full(total + 1, INF)  # one of them strictly between its bounds
    dp0[0] = 0.0
    level0, count0, level1, count1, from1 = work[0], work[1], work[2], work[3], work[4]
    level0[:, : total + 1] = -2  # -1: unused, -2: unreachable
    level1[:, : total + 1] = -2
    window = np.empty(total + 1, dtype=np.int64)
    for i in range(m):
        new0 = np.full(total + 1, INF)
        new1 = np.full(total + 1, INF)
        if optional[i]:
            for j in range(total + 1):
                new0[j], new1[j] = dp0[j], dp1[j]
                level0[i, j] = -1 if dp0[j] < INF else -2
                level1[i, j] = -1 if dp1[j] < INF else -2
        for v in range(n_levels):
            low, high = max(lo[i, v], 1), min(hi[i, v], total)
            if high < low:
                continue
            a, b = unit[i, v], fixed[i, v]
            for n in (low, high):  # low == high: the same transition twice, harmless
                cost = a * n + b
                for j in range(n, total + 1):
                    c0 = dp0[j - n] + cost
                    if c0 < new0[j]:
                        new0[j], level0[i, j], count0[i, j] = c0, v, n
                    c1 = dp1[j - n] + cost
                    if c1 < new1[j]:
                        new1[j], level1[i, j], count1[i, j], from1[i, j] = c1, v, n, 0
            # partial: new1[j] = a j + b + min over k ∈ [j − high, j − low] of dp0[k] − a k (sliding minimum)
            head, tail = 0, 0
            for j in range(low, total + 1):
                k = j - low
                if dp0[k] < INF:
                    while tail > head and dp0[window[tail - 1]] - a * window[tail - 1] >= dp0[k] - a * k:
                        tail -= 1
                    window[tail] = k
                    tail += 1
                while tail > head and window[head] < j - high:
                    head += 1
                if tail > head:
                    k_best = window[head]
                    c1 = dp0[k_best] - a * k_best + a * j + b
                    if c1 < new1[j]:
                        new1[j], level1[i, j], count1[i, j], from1[i, j] = c1, v, j - k_best, 1
        dp0, dp1 = new0, new1
    counts = np.zeros(m, dtype=np.int64)
    levels = np.full(m, -1, dtype=np.int64)
    best = min(dp0[total], dp1[total])
    if best >= INF:
        return INF, counts, levels
    state = 0 if dp0[total] <= dp1[total] else 1
    j = total
    for i in range(m - 1, -1, -1):
        if state == 0:
            v, n = level0[i, j], count0[i, j]
        else:
            v, n = level1[i, j], count1[i, j]
            if v >= 0 and from1[i, j] == 1:
                state = 0
        if v >= 0:
            counts[i], levels[i] = n, v
            j -= n
    return best, counts, levels


@dataclass(frozen=True)
class LayerData:
    """One layer of one iteration, in the pricing's terms (scaled objective weights applied)."""

    neurons: int
    time: np.ndarray  # [i, v] τ: seconds per neuron (compute + output transfer)
    input_time: np.ndarray  # [i] τ̂: input transfer of a used device
    energy: np.ndarray  # [i, v] w_E e per neuron
    input_energy: np.ndarray  # [i, v] w_E ê per used device
    memory: float  # m_l, MB per neuron
    cap: np.ndarray  # [i] most neurons device i can hold (layer width, memory)
    w_time: float

    def cost(self, counts: np.ndarray, levels: np.ndarray) -> float:
        """The placement's objective share: w_E · energy + w_T · layer time (Eq. 5, 7–10)."""
        used = np.flatnonzero(counts > 0)
        v = levels[used]
        energy = float((self.energy[used, v] * counts[used] + self.input_energy[used, v]).sum())
        return energy + self.w_time * self.layer_time(counts, levels)

    def layer_time(self, counts: np.ndarray, levels: np.ndarray) -> float:
        used = np.flatnonzero(counts > 0)
        return float((self.time[used, levels[used]] * counts[used] + self.input_time[used]).max(initial=0.0))

    def breakpoints(self, hi: np.ndarray) -> np.ndarray:
        """Every layer time at which some device's capacity steps up (τ̂_i + n τ_{i,v}, n ≤ hi_i), sorted."""
        parts = [
            self.input_time[i] + np.arange(1, hi[i] + 1) * self.time[i, v]
            for i in range(len(hi))
            for v in range(self.time.shape[1])
            if hi[i] > 0
        ]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0)


@dataclass
class Priced:
    value: float  # least pricing value (π_l not subtracted); ``upper`` when nothing beats it
    columns: list[tuple[np.ndarray, np.ndarray, float]]  # (counts, levels, value) that beat ``upper``, best last
    evaluations: int


PROBE_REACH = 64  # heuristic pricing tries the breakpoints hint ± 1, 2, 4, …, this
KEEP = 16  # improving placements returned per layer and round (the last ones found, i.e. the best)


@numba.njit(cache=True)
def _value_at(t: float, problem: tuple, work: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
    """f(t) (the fill at the capacities of layer time t) and the value of its placement, w_T · its time + f.

    ``problem`` = (N_l, τ̂ [i], τ [i, v], lo [i], hi [i], allowed [i, v], unit [i, v], fixed [i, v],
    optional [i], w_T), as :func:`price_layer` packs it."""
    total, input_time, time, lo, hi, allowed, unit, fixed, optional, w_time = problem
    m, n_levels = time.shape
    cap = np.empty((m, n_levels), dtype=np.int64)
    lows = np.empty((m, n_levels), dtype=np.int64)
    for i in range(m):
        room = max(t - input_time[i], 0.0)
        for v in range(n_levels):
            c = min(hi[i], int(math.floor(room / time[i, v] * (1 + RELATIVE_SLACK) + 1e-9)))
            cap[i, v] = c if allowed[i, v] else -1
            lows[i, v] = lo[i]
    cost, counts, levels = _fill(total, lows, cap, unit, fixed, optional, work)
    if cost >= INF:
        return INF, INF, counts, levels
    span = 0.0
    for i in range(m):
        if counts[i] > 0:
            span = max(span, time[i, levels[i]] * counts[i] + input_time[i])
    return cost, cost + w_time * span, counts, levels


@numba.njit(cache=True)
def _evaluate(index: int, points: np.ndarray, f: np.ndarray, state: np.ndarray, problem: tuple, kept: tuple) -> None:
    """f at breakpoint ``index`` into ``f``; its placement kept when it beats the best (``state[0]``).

    ``state`` = (best value, placements kept, fills evaluated); ``kept`` = (counts, levels, values) of
    the last ``KEEP`` improving placements, a ring; ``work`` (the DP's tables) is ``kept``'s fourth."""
    kept_counts, kept_levels, kept_values, work = kept
    cost, value, counts, levels = _value_at(points[index], problem, work)
    f[index] = cost
    state[2] += 1
    if value < state[0]:
        slot = int(state[1]) % len(kept_values)
        kept_counts[slot, :] = counts
        kept_levels[slot, :] = levels
        kept_values[slot] = value
        state[0] = value
        state[1] += 1


@numba.njit(cache=True)
def _search(points: np.ndarray, problem: tuple, upper: float, hint: int, reach: int, kept: tuple) -> np.ndarray:
    """The breakpoint search of :func:`price_layer`; (best value, placements kept, fills evaluated).

    Exact (``reach`` 0): f is non-increasing in t, so on an interval [t_a, t_b] of breakpoints no
    placement beats w_T t_a + f(t_b); intervals whose bound reaches the best value are dropped, the
    others halved, after a bisection for the least feasible breakpoint. Heuristic (``reach`` > 0):
    f only at the breakpoints ``hint`` ± 1, 2, 4, …, ``reach``."""
    n_points = len(points)
    w_time = problem[9]
    f = np.full(n_points, np.nan)
    state = np.array([upper, 0.0, 0.0])
    last = n_points - 1
    if reach > 0:
        _evaluate(hint, points, f, state, problem, kept)
        step = 1
        while step <= reach:
            for index in (hint - step, hint + step):
                if 0 <= index < n_points:
                    _evaluate(index, points, f, state, problem, kept)
            step *= 2
        return state
    for index in (last, hint):
        if 0 <= index < n_points:
            _evaluate(index, points, f, state, problem, kept)
    if f[last] >= INF:
        return state  # infeasible even at the widest capacities
    low, high = 0, last  # bisection for the least feasible breakpoint (f is INF below it)
    while low < high:
        middle = (low + high) // 2
        if w_time * points[middle] + f[last] >= state[0]:
            high = middle  # nothing from here on can beat the best: no need to know
            continue
        _evaluate(middle, points, f, state, problem, kept)
        if f[middle] < INF:
            high = middle
        else:
            low = middle + 1
    stack = np.empty((256, 2), dtype=np.int64)
    stack[0, 0], stack[0, 1] = low, last
    top = 1
    while top > 0:
        top -= 1
        a, b = stack[top, 0], stack[top, 1]
        floor = w_time * points[a]
        if floor + f[last] >= state[0]:
            continue
        for index in (b, a):
            if np.isnan(f[index]):
                _evaluate(index, points, f, state, problem, kept)
        if floor + f[b] >= state[0] or b - a <= 1:
            continue
        middle = (a + b) // 2
        stack[top, 0], stack[top, 1] = middle, b
        stack[top + 1, 0], stack[top + 1, 1] = a + 1, middle
        top += 2
    return state


def price_layer(
    layer: LayerData,
    unit: np.ndarray,
    fixed: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    allowed: np.ndarray,
    optional: np.ndarray,
    breakpoints: np.ndarray,
    upper: float = math.inf,
    hint: float | None = None,
    exact: bool = True,
) -> Priced:
    """The least w_T t + fill cost over every placement of the layer (exact; ``upper`` when none is
    below it), and the placements met on the way that beat ``upper``. ``unit``/``fixed`` [i, v]:
    per-neuron and per-used-device costs; ``lo``/``hi`` [i]: count bounds of a used device;
    ``allowed`` [i, v]; ``optional`` [i]: may be unused; ``hint``: a layer time to try first.
    With ``exact`` false only the breakpoints near ``hint`` are tried (heuristic pricing: no bound)."""
    if len(breakpoints) == 0:
        return Priced(upper, [], 0)
    m = len(hi)
    c = np.ascontiguousarray  # one compiled signature: C-ordered arrays of fixed dtypes
    problem = (
        int(layer.neurons),
        c(layer.input_time, dtype=np.float64),
        c(layer.time, dtype=np.float64),
        c(lo, dtype=np.int64),
        c(hi, dtype=np.int64),
        c(allowed, dtype=np.bool_),
        c(unit, dtype=np.float64),
        c(fixed, dtype=np.float64),
        c(optional, dtype=np.bool_),
        float(layer.w_time),
    )
    kept = (
        np.zeros((KEEP, m), dtype=np.int64),
        np.zeros((KEEP, m), dtype=np.int64),
        np.zeros(KEEP),
        np.empty((5, m, layer.neurons + 1), dtype=np.int64),
    )
    start = -1 if hint is None else int(min(np.searchsorted(breakpoints, hint), len(breakpoints) - 1))
    reach = 0 if exact else PROBE_REACH
    state = _search(
        c(breakpoints, dtype=np.float64), problem, float(upper), max(start, 0) if reach else start, reach, kept
    )
    best, found, evaluations = float(state[0]), int(state[1]), int(state[2])
    slots = [(found - 1 - r) % KEEP for r in range(min(found, KEEP))][::-1]
    columns = [(kept[0][s].copy(), kept[1][s].copy(), float(kept[2][s])) for s in slots]
    return Priced(best, columns, evaluations)


def compile_fill() -> None:
    """Compile (or load from numba's cache) :func:`fill`; once per process, before a method's clock starts."""
    one = np.ones((1, 1))
    layer = LayerData(1, one, np.zeros(1), one, one, 0.0, np.ones(1, dtype=np.int64), 1.0)
    ones = np.ones(1, dtype=np.int64)
    for exact in (True, False):
        price_layer(
            layer,
            one,
            one,
            ones,
            ones,
            np.ones((1, 1), dtype=np.bool_),
            np.ones(1, dtype=np.bool_),
            np.ones(1),
            hint=1.0,
            exact=exact,
        )
