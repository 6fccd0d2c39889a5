"""Dantzig–Wolfe decomposition of one GWP iteration: a column-generation bound and a price-and-branch incumbent.

The compact MILP (:mod:`cpnopt.formulations.placement.milp`) sees each device's input transfer in
its own epigraph row, so its LP relaxation misses that a layer's time is shared by every device it
uses (6–11 % below the best known solution at 16 devices, 38 % at 64). Here a column is one layer's
whole placement p = (n_i, v_i for the used devices), with its exact cost

    cost_p = w_E Σ_{i used} (e_{l,i,v} n_i + ê_{l,i,v}) + w_T max_{i used} (τ_{l,i,v} n_i + τ̂_{l,i})   (Eq. 5, 7–10)

Master (λ ≥ 0 per column, z ≥ 0 per device and level when there are several DVFS levels):

    min Σ cost_p λ_p
    Σ_{p of l} λ_p = 1                              ∀ l          (dual π_l)      one placement per layer
    Σ_{l, p} m_l n_{p,i} λ_p ≤ mem_i                ∀ i          (dual μ_i ≤ 0)  memory
    Σ_{p of l} [p uses i at v] λ_p − z_{i,v} ≤ 0    ∀ l, i, v    (dual ρ ≤ 0)    the device's level
    Σ_v z_{i,v} ≤ 1                                 ∀ i                          one level per device

Its integer solutions are exactly the placements of the compact MILP, and its LP bound is the
convex hull of each layer's own problem (the Lagrangian dual of the memory and level rows).
Pricing per layer is exact (:mod:`cpnopt.formulations.placement.layer_pricing`): per-neuron cost
w_E e − μ_i m_l, per-used-device cost w_E ê − ρ_{l,i,v}.

**Bound.** For any μ, ρ ≤ 0 (the master's duals, clipped) the Lagrangian
Σ_l min_p (cost_p − Σ_i μ_i m_l n_{p,i} − Σ ρ_{l,i,v_i}) + Σ_i μ_i mem_i + Σ_i min(0, min_v Σ_l ρ_{l,i,v})
is a lower bound of the iteration's optimum; each layer's minimum is the exact pricing's (or π_l
when nothing prices below π_l, a smaller number). It equals the master's LP value once no column
prices out. **Incumbent**: the better of the start placement (``heuristic``/``rule`` as in
``milp``) and the master restricted to the generated columns solved as a binary program by HiGHS
(price-and-branch); every integer point of it is a placement, scored here by Eq. (10) and by the
evaluator (tested equal). The iteration is ``optimal`` when incumbent − bound ≤ ``mip_rel_gap``
× |incumbent|; otherwise the bound and the gap are reported (no branching).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from cpnopt.formulations.common.exact import register_exact
from cpnopt.formulations.placement import milp
from cpnopt.formulations.placement.layer_pricing import LayerData, compile_fill, price_layer
from cpnopt.formulations.placement.milp import (
    SCALE,
    IterationOptimum,
    capacities,
    heuristic_starts,
    solve_per_iteration,
    unplaceable,
)
from cpnopt.problems.placement import PlacementInstance
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import (
    ExactOptions,
    HighsResult,
    IncrementalLP,
    solve_binary_program,
    write_binary_program,
)

ARTIFICIAL_COST = 1e6  # per layer, in the scaled objective (every placement costs < SCALE × a few)
REDUCED_COST_TOL = 1e-9  # relative to the scaled objective
EXACT_EVERY = 10  # heuristic pricing rounds before an exact one (the bound) at the latest
CG_SHARE = 0.75  # of an iteration's time at most for column generation
MIP_SHARE = 0.5  # of what is left then, at most for the restricted master MIP; the compact MILP gets the rest
EARLY_MIP_S = 2.0  # restricted master MIP after each exact round of column generation, at most this long
POOL_PER_LAYER = 40  # columns per layer (least reduced cost) in the restricted master MIP
COMPACT_MIN_S = 0.5  # the compact MILP runs only with at least this much time left


@dataclass(frozen=True)
class Column:
    layer: int
    counts: np.ndarray  # [i] neurons
    levels: np.ndarray  # [i] level of a used device, −1 where unused
    cost: float  # scaled Eq. (10) share

    def key(self) -> tuple[int, bytes, bytes]:
        return self.layer, self.counts.tobytes(), self.levels.tobytes()


def layer_data(instance: PlacementInstance, k: int) -> list[LayerData]:
    """Per layer, the pricing's view of iteration ``k`` (objective weights × ``SCALE``)."""
    t = instance.terms(k)
    w_energy, w_time = instance.objective_weights
    cap = capacities(instance)
    return [
        LayerData(
            neurons=int(instance.neurons[l]),
            time=t.neuron_time_s[:, l, :].T.copy(),
            input_time=t.input_time_s[l].copy(),
            energy=SCALE * w_energy * t.neuron_energy_j[:, l, :].T,
            input_energy=SCALE * w_energy * t.input_energy_j[:, l, :].T,
            memory=float(instance.memory_per_neuron_mb[l]),
            cap=np.array([cap[l, i] for i in range(instance.n_devices)], dtype=np.int64),
            w_time=SCALE * w_time,
        )
        for l in range(instance.n_layers)
    ]


class Master:
    """The master's rows (module docstring) as CSC columns; the LP lives in one :class:`IncrementalLP`."""

    def __init__(self, instance: PlacementInstance, layers: list[LayerData], threads: int | None) -> None:
        self.layers = layers
        self.n_layers, self.n_devices, self.n_levels = instance.n_layers, instance.n_devices, instance.n_levels
        self.memory = instance.memory_mb
        self.dvfs = self.n_levels > 1
        L, M, V = self.n_layers, self.n_devices, self.n_levels
        self.mem_row = L
        self.link_row = L + M
        self.one_row = L + M + (L * M * V if self.dvfs else 0)
        n_rows = self.one_row + (M if self.dvfs else 0)
        lower = np.full(n_rows, -np.inf)
        upper = np.zeros(n_rows)
        lower[:L] = upper[:L] = 1.0
        upper[L : L + M] = self.memory
        upper[self.one_row :] = 1.0
        self.row_lower, self.row_upper = lower, upper
        self.lp = IncrementalLP(lower, upper, maximize=False, threads=threads)
        self.lp.add_columns(
            np.full(L, ARTIFICIAL_COST), np.zeros(L), np.full(L, np.inf), np.arange(L), np.arange(L), np.ones(L)
        )
        self.z_starts, self.z_rows, self.z_values = self._z_matrix()
        if self.dvfs:
            n = M * V
            self.lp.add_columns(np.zeros(n), np.zeros(n), np.ones(n), self.z_starts, self.z_rows, self.z_values)
        self.n_fixed = L + (M * V if self.dvfs else 0)  # artificials, then z, then the pool
        self.columns: list[Column] = []
        self.known: set[tuple[int, bytes, bytes]] = set()

    def _z_matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.dvfs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        L, M, V = self.n_layers, self.n_devices, self.n_levels
        starts, rows, values = [], [], []
        for i in range(M):
            for v in range(V):
                starts.append(len(rows))
                rows.extend(self.link_row + (l * M + i) * V + v for l in range(L))
                values.extend([-1.0] * L)
                rows.append(self.one_row + i)
                values.append(1.0)
        return np.array(starts, dtype=np.int64), np.array(rows, dtype=np.int64), np.array(values)

    def _entries(self, c: Column) -> tuple[list[int], list[float]]:
        used = np.flatnonzero(c.counts > 0)
        rows = [c.layer] + [self.mem_row + int(i) for i in used]
        values = [1.0] + [self.layers[c.layer].memory * float(c.counts[i]) for i in used]
        if self.dvfs:
            M, V = self.n_devices, self.n_levels
            rows += [self.link_row + (c.layer * M + int(i)) * V + int(c.levels[i]) for i in used]
            values += [1.0] * len(used)
        return rows, values

    def _csc(self, columns: list[Column]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        starts, rows, values = [], [], []
        for c in columns:
            starts.append(len(rows))
            r, v = self._entries(c)
            rows.extend(r)
            values.extend(v)
        return np.array(starts, dtype=np.int64), np.array(rows, dtype=np.int64), np.array(values)

    def add(self, columns: list[Column]) -> int:
        """Add the columns not in the pool yet; how many were new."""
        new = []
        for c in columns:
            if c.key() not in self.known:
                self.known.add(c.key())
                new.append(c)
        if new:
            starts, rows, values = self._csc(new)
            n = len(new)
            self.lp.add_columns(np.array([c.cost for c in new]), np.zeros(n), np.full(n, np.inf), starts, rows, values)
            self.columns.extend(new)
        return len(new)

    def solve(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """LP value, column values of the pool, π [l], μ [i] ≤ 0 and ρ [l, i, v] ≤ 0."""
        value, x, duals = self.lp.solve_primal_dual()
        L, M, V = self.n_layers, self.n_devices, self.n_levels
        mu = np.minimum(duals[self.mem_row : self.mem_row + M], 0.0)
        rho = (
            np.minimum(duals[self.link_row : self.one_row], 0.0).reshape(L, M, V) if self.dvfs else np.zeros((L, M, V))
        )
        return value, x[self.n_fixed :], duals[:L], mu, rho

    def reduced_costs(self, columns: list[Column], pi: np.ndarray, mu: np.ndarray, rho: np.ndarray) -> np.ndarray:
        """cost_p − π_l − Σ_i μ_i m_l n_{p,i} − Σ ρ_{l,i,v_i} of each column."""
        out = np.empty(len(columns))
        for j, c in enumerate(columns):
            used = np.flatnonzero(c.counts > 0)
            memory = self.layers[c.layer].memory * float(mu[used] @ c.counts[used])
            out[j] = c.cost - pi[c.layer] - memory - float(rho[c.layer, used, c.levels[used]].sum())
        return out

    def promising(
        self, room: float, pi: np.ndarray, mu: np.ndarray, rho: np.ndarray, keep: list[Column]
    ) -> list[Column]:
        """The pool for the restricted MIP: per layer the ``POOL_PER_LAYER`` columns of least reduced cost,
        none above ``room`` (incumbent − bound: such a column cannot be in a better plan), and ``keep``."""
        rc = self.reduced_costs(self.columns, pi, mu, rho)
        chosen = {c.key() for c in keep}
        for l in range(self.n_layers):
            mine = [j for j, c in enumerate(self.columns) if c.layer == l and rc[j] <= room]
            mine.sort(key=lambda j: rc[j])
            chosen.update(self.columns[j].key() for j in mine[:POOL_PER_LAYER])
        return [c for c in self.columns if c.key() in chosen]

    def restricted_mip(
        self,
        incumbent: list[Column],
        bound: float,
        duals: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
        time_limit: float,
        threads: int | None,
    ) -> tuple[list[Column], float]:
        """The master over the promising pool as a binary program (HiGHS) from ``incumbent``: the better
        plan of the two and its cost."""
        best = sum(c.cost for c in incumbent)
        pool = self.columns if duals is None else self.promising(best - bound, *duals, incumbent)
        chosen = solve_binary_program(
            *self.program(pool),
            maximize=False,
            start=self.plan_vector(incumbent, pool),
            time_limit=max(time_limit, 0.5),
            threads=threads,
        )
        if chosen is not None:
            picked = [pool[j] for j in np.flatnonzero(chosen[len(self.z_starts) :] > 0.5)]
            value = sum(c.cost for c in picked)
            if value < best:
                return picked, value
        return incumbent, best

    def program(self, columns: list[Column] | None = None) -> tuple[np.ndarray, ...]:
        """The master over ``columns`` (default: the pool) and z as a binary program: (row bounds, costs, CSC)."""
        columns = self.columns if columns is None else columns
        starts, rows, values = self._csc(columns)
        n_z = len(self.z_starts)
        costs = np.concatenate([np.zeros(n_z), [c.cost for c in columns]])
        all_starts = np.concatenate([self.z_starts, starts + len(self.z_rows)])
        return (
            self.row_lower,
            self.row_upper,
            costs,
            all_starts,
            np.concatenate([self.z_rows, rows]),
            np.concatenate([self.z_values, values]),
        )

    def plan_vector(self, plan: list[Column], columns: list[Column]) -> np.ndarray:
        """The binary program's point of ``plan`` (one column of ``columns`` per layer, z at its devices' levels)."""
        position = {c.key(): j for j, c in enumerate(columns)}
        n_z = len(self.z_starts)
        x = np.zeros(n_z + len(columns))
        levels = plan_levels(plan, self.n_devices)
        if self.dvfs:
            for i in np.flatnonzero(levels >= 0):
                x[i * self.n_levels + levels[i]] = 1.0
        for c in plan:
            x[n_z + position[c.key()]] = 1.0
        return x


def _row(seconds: float, incumbent: float, bound: float) -> list[float | None]:
    """A trace row; no bound yet (−inf) is None."""
    return [seconds, incumbent, bound if math.isfinite(bound) else None]


def plan_levels(plan: list[Column], n_devices: int) -> np.ndarray:
    """[i] the level of each device the plan uses (−1: unused)."""
    levels = np.full(n_devices, -1, dtype=np.int64)
    for c in plan:
        used = c.counts > 0
        levels[used] = c.levels[used]
    return levels


def placement_columns(layers: list[LayerData], counts: np.ndarray, levels: np.ndarray) -> list[Column]:
    """The placement [l, i] at device ``levels`` [i] as one column per layer."""
    columns = []
    for l, layer in enumerate(layers):
        row = counts[l].astype(np.int64)
        at = np.where(row > 0, levels, -1).astype(np.int64)
        columns.append(Column(l, row, at, layer.cost(row, at)))
    return columns


def solve_iteration(
    instance: PlacementInstance,
    k: int,
    start: np.ndarray,
    time_limit: float | None,
    mip_rel_gap: float,
    threads: int | None,
    write_model: str | None = None,
    compact: bool = True,
) -> IterationOptimum:
    """Column generation on iteration ``k`` from the placement ``start`` ([l, i], top level), then the
    restricted master MIP, then (``compact``) the compact MILP from the incumbent for the time left;
    the incumbent, the bound and the figures of the search."""
    began = time.perf_counter()
    limit = math.inf if time_limit is None else time_limit
    elapsed = lambda: time.perf_counter() - began  # noqa: E731
    layers = layer_data(instance, k)
    master = Master(instance, layers, threads)
    top = np.full(instance.n_devices, instance.top_level)
    incumbent = placement_columns(layers, start, top)
    master.add(incumbent)
    best = sum(c.cost for c in incumbent)
    bound = -math.inf
    trace: list[list[float]] = [[elapsed(), best / SCALE, None]]
    stats = {"rounds": 0, "exact_rounds": 0, "lp_s": 0.0, "pricing_s": 0.0, "dp_calls": 0}
    breakpoints = [layer.breakpoints(layer.cap) for layer in layers]
    allowed = np.ones((instance.n_devices, instance.n_levels), dtype=bool)
    optional = np.ones(instance.n_devices, dtype=bool)
    ones = np.ones(instance.n_devices, dtype=np.int64)
    hints = [layer.layer_time(c.counts, c.levels) for layer, c in zip(layers, incumbent)]
    converged = False
    duals: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    exact = False  # heuristic pricing (near each layer's last time) until it finds nothing, then exact
    since_exact = 0
    while elapsed() < CG_SHARE * limit:
        tic = time.perf_counter()
        value, _, pi, mu, rho = master.solve()
        duals = (pi, mu, rho)
        stats["lp_s"] += time.perf_counter() - tic
        tic = time.perf_counter()
        exact = exact or since_exact >= EXACT_EVERY
        found: list[Column] = []
        lagrangian = float(mu @ master.memory)
        if master.dvfs:
            lagrangian += float(np.minimum(rho.sum(axis=0).min(axis=1), 0.0).sum())
        tol = REDUCED_COST_TOL * max(1.0, abs(best))
        for l, layer in enumerate(layers):
            unit = layer.energy - mu[:, None] * layer.memory
            fixed = layer.input_energy - rho[l]
            priced = price_layer(
                layer, unit, fixed, ones, layer.cap, allowed, optional, breakpoints[l], pi[l] - tol, hints[l], exact
            )
            stats["dp_calls"] += priced.evaluations
            lagrangian += min(priced.value, pi[l])
            found += [Column(l, n, v, layer.cost(n, v)) for n, v, _ in priced.columns]
            if priced.columns:
                hints[l] = layer.layer_time(*priced.columns[-1][:2])
        stats["pricing_s"] += time.perf_counter() - tic
        stats["rounds"] += 1
        stats["exact_rounds"] += int(exact)
        added = master.add(found)
        if exact:
            bound = max(bound, lagrangian)
            trace.append(_row(elapsed(), best / SCALE, bound / SCALE))
            if not added or bound >= value - tol:
                converged = True
                break
            exact, since_exact = False, 0
            if best - bound > mip_rel_gap * abs(best):  # an incumbent along the way (anytime)
                incumbent, best = master.restricted_mip(incumbent, bound, duals, EARLY_MIP_S, threads)
                trace.append(_row(elapsed(), best / SCALE, bound / SCALE))
        else:
            exact, since_exact = not added, since_exact + 1
    stats["converged"] = converged
    stats["cg_s"] = elapsed()
    if best - bound > mip_rel_gap * abs(best):
        incumbent, best = master.restricted_mip(incumbent, bound, duals, MIP_SHARE * (limit - elapsed()), threads)
        trace.append(_row(elapsed(), best / SCALE, bound / SCALE))
    stats["restricted_mip_s"] = elapsed() - stats["cg_s"]
    counts = np.array([c.counts for c in sorted(incumbent, key=lambda c: c.layer)])
    used_levels = plan_levels(incumbent, instance.n_devices)
    levels = np.where(used_levels >= 0, used_levels, instance.top_level)
    objective, bound = best / SCALE, bound / SCALE
    if compact and objective - bound > mip_rel_gap * abs(objective) and limit - elapsed() > COMPACT_MIN_S:
        compact = milp.solve_iteration(
            instance,
            k,
            ExactOptions(time_limit=limit - elapsed(), mip_rel_gap=mip_rel_gap, threads=threads),
            counts,
            levels,
        )
        if compact.counts is not None and compact.result.objective < objective:
            counts, levels, objective = compact.counts, compact.levels, compact.result.objective
        if compact.result.bound is not None:
            bound = max(bound, compact.result.bound)
        trace.append(_row(elapsed(), objective, bound))
    stats["compact_s"] = elapsed() - stats["cg_s"] - stats["restricted_mip_s"]
    if write_model is not None:  # the master over the pool and the incumbent: its optimum is the incumbent's or better
        master.add(placement_columns(layers, counts, levels))
        write_binary_program(write_model, *master.program(), maximize=False)
    proven = objective - bound <= mip_rel_gap * abs(objective) + 1e-12
    bound = bound if math.isfinite(bound) else None  # stopped before the first exact pricing round
    stats.update(columns=len(master.columns), lp_restarts=master.lp.restarts)
    status = Status.OPTIMAL if proven else Status.TIME_LIMIT
    result = HighsResult(status, objective, bound, True, trace=tuple(map(tuple, trace)))
    return IterationOptimum(result, counts, levels, stats)


@register_exact(
    "placement",
    "cg",
    description="Dantzig–Wolfe per layer: exact DP pricing, Lagrangian bound, restricted-master MIP (HiGHS)",
)
def cg(instance: PlacementInstance, options: ExactOptions) -> MethodOutput:
    """One decomposition per iteration; ``time_limit`` covers all of them, shared evenly among those left."""
    reason = unplaceable(instance)
    if reason:
        return MethodOutput(decision=None, status=Status.INFEASIBLE, message=reason)
    compile_fill()
    started = time.perf_counter()
    starts = heuristic_starts(instance)
    return solve_per_iteration(
        instance,
        options,
        started,
        lambda k, own: solve_iteration(
            instance, k, starts[k], own.time_limit, own.mip_rel_gap, own.threads, own.write_model
        ),
    )
