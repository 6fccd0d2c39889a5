"""Exact MILP for GWP: integer neurons per (layer, device), device-used binaries, layer-time epigraph.

For one iteration k, with levels v ∈ V (DVFS; one level when off) and the coefficients of
``PlacementInstance.terms(k)`` (constants once the frequency is fixed, so the model is linear):

    n_{l,i,v} ∈ ℤ, 0 ≤ n ≤ N_l         neurons of layer l on device i at level v
    y_{l,i,v} ∈ {0,1}                  device i runs layer l (at level v)
    z_{i,v} ∈ {0,1}                    device i runs at level v in this iteration (only when |V| > 1)
    t_l ≥ 0                            layer time (epigraph of Eq. 5's max)

    min  w_E Σ (e_{l,i,v} n + ê_{l,i,v} y) + w_T Σ_l t_l           Eq. (10), w = α/E_ref, (1−α)/T_ref
    s.t. Σ_{i,v} n_{l,i,v} = N_l                       ∀ l         every neuron placed once
         n_{l,i,v} ≤ min(N_l, ⌊mem_i / m_l⌋) y_{l,i,v}             used-binary (and per-layer memory)
         Σ_{l,v} m_l n_{l,i,v} ≤ mem_i                  ∀ i         memory
         t_l ≥ Σ_v (τ_{l,i,v} n_{l,i,v} + (τ̂_{l,i} − L_l) y_{l,i,v}) + L_l   ∀ l, i  Eq. (4)–(5)
         y_{l,i,v} ≤ z_{i,v},  Σ_v z_{i,v} ≤ 1              ∀ l, i, v  one frequency per device (DVFS)

with τ the per-neuron compute + output transfer time, τ̂ the input transfer, e and ê
the matching energies (Eq. 7–9). The epigraph row is Eq. (5)'s t_l ≥ τ n + τ̂ for a used device,
written in its disjunctive form with L_l (:func:`least_makespans`), the least time of layer l over
every placement (each device at its fastest level, memory per layer only): when device i is unused
(Σ_v y = 0, n = 0) the row says t_l ≥ L_l, which every placement meets, and when it is used
(Σ_v y = 1: one level) it is Eq. (5) itself, so the optimum is that of the plain rows
t_l ≥ τ n + τ̂ y. L_l is also t_l's lower bound. The rows lift the LP relaxation, where the
used-binaries are fractional (y = n/N) and the plain rows make the input transfer nearly free
(figures in benchmarks/RESULTS.md). Per-device floors (the least time of layer l without device i)
were measured too: a slightly higher root bound but a longer root cut loop, no better in 60 s.
The objective is multiplied by ``SCALE`` inside HiGHS so that its
absolute MIP gap (10⁻⁶) is below the relative one asked for.

``static`` (a heuristic) solves the model of iteration 0 only and keeps its placement for the
whole trace. ``milp`` solves one such model per iteration with the iteration's observed state (the
clairvoyant per-iteration optimum); ``offline`` solves one model over the whole trace.
Iterations share nothing (no migration cost), so both give the same optimum — the test
suite checks it — and ``offline`` exists as that cross-check and to write the whole
problem as one LP/MPS file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyomo.environ as pyo

from cpnopt.formulations.common.exact import method_trace, register_exact, solve_built, unscaled
from cpnopt.formulations.common.model_files import part_path
from cpnopt.problems.placement import PlacementDecision, PlacementInstance, iteration_cost
from cpnopt.problems.placement.evaluate import objective_of
from cpnopt.registry import Kind, get_method, register_method
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import ExactOptions, HighsResult, solve_pyomo

SCALE = 1e3
START_HEURISTICS = (("heuristic", {"epoch_length": 1}), ("rule", {}))  # MIP starts: greedy and f·u, per iteration


def capacities(instance: PlacementInstance) -> dict[tuple[int, int], int]:
    """min(N_l, ⌊mem_i / m_l⌋): the most neurons of layer l that device i can hold, per (l, i)."""
    n_l, mem, m_l = instance.neurons, instance.memory_mb, instance.memory_per_neuron_mb
    return {
        (l, i): int(min(n_l[l], mem[i] // m_l[l] if m_l[l] > 0 else n_l[l]))
        for l in range(instance.n_layers)
        for i in range(instance.n_devices)
    }


def unplaceable(instance: PlacementInstance) -> str:
    """Why no placement exists when some layer fits on no device (one neuron too big for all), else ''."""
    cap = capacities(instance)
    layers = [
        l
        for l in range(instance.n_layers)
        if instance.neurons[l] > 0 and all(cap[l, i] == 0 for i in range(instance.n_devices))
    ]
    return f"no device can hold one neuron of layer(s) {layers}" if layers else ""


def least_makespans(instance: PlacementInstance, k: int) -> np.ndarray:
    """L_l: the least time of layer l in iteration k over every placement (memory per layer only), per layer.

    With τ the fastest level's per-neuron time and cap the per-layer memory cap, L_l = min t such that
    Σ_i min(cap_{l,i}, ⌊(t − τ̂_{l,i}) / τ_{l,i}⌋) ≥ N_l: bisection on this step function, all layers at
    once; the lower end, less a relative 10⁻⁹, so always a valid lower bound."""
    t = instance.terms(k)
    cap = capacities(instance)
    caps = np.array([[cap[l, i] for i in range(instance.n_devices)] for l in range(instance.n_layers)], dtype=float)
    tau = t.neuron_time_s.min(axis=0)  # [l, i], fastest level
    need = instance.neurons.astype(float)

    def placeable(time_s: np.ndarray) -> np.ndarray:
        return np.minimum(caps, np.floor(np.maximum(time_s[:, None] - t.input_time_s, 0.0) / tau)).sum(axis=1)

    low = np.zeros(instance.n_layers)
    high = (t.input_time_s + tau * need[:, None]).max(axis=1)  # every device could hold the layer alone
    for _ in range(64):
        mid = 0.5 * (low + high)
        fits = placeable(mid) >= need
        high, low = np.where(fits, mid, high), np.where(fits, low, mid)
    return low * (1 - 1e-9)


def add_iteration(block: pyo.Block, instance: PlacementInstance, k: int) -> None:
    """Variables and constraints of iteration ``k`` on ``block``; its objective is ``block.cost``.

    Devices that cannot hold one neuron of a layer get no variables for it (and no memory
    row when they hold none of any layer); call :func:`unplaceable` first.
    """
    t = instance.terms(k)
    n_l, mem, m_l = instance.neurons, instance.memory_mb, instance.memory_per_neuron_mb
    layers, devices, levels = range(instance.n_layers), range(instance.n_devices), range(instance.n_levels)
    cap = capacities(instance)
    index = [(l, i, v) for l in layers for i in devices for v in levels if cap[l, i] > 0]
    floor = least_makespans(instance, k)
    block.n = pyo.Var(index, domain=pyo.NonNegativeIntegers, bounds=lambda _, l, i, v: (0, cap[l, i]))
    block.y = pyo.Var(index, domain=pyo.Binary)
    block.t = pyo.Var(layers, domain=pyo.NonNegativeReals, bounds=lambda _, l: (float(floor[l]), None))
    by_layer = {l: [(i, v) for (l_, i, v) in index if l_ == l] for l in layers}
    block.place = pyo.Constraint(layers, rule=lambda b, l: sum(b.n[l, i, v] for i, v in by_layer[l]) == int(n_l[l]))
    block.used = pyo.Constraint(index, rule=lambda b, l, i, v: b.n[l, i, v] <= cap[l, i] * b.y[l, i, v])
    holding = sorted({i for _, i, _ in index})  # a device that holds no neuron of any layer has no variables
    block.memory = pyo.Constraint(
        holding, rule=lambda b, i: sum(float(m_l[l]) * b.n[l, i_, v] for l, i_, v in index if i_ == i) <= float(mem[i])
    )
    block.epigraph = pyo.Constraint(
        [(l, i) for l in layers for i in devices if cap[l, i] > 0],
        rule=lambda b, l, i: (
            b.t[l]
            >= sum(
                float(t.neuron_time_s[v, l, i]) * b.n[l, i, v]
                + (float(t.input_time_s[l, i]) - float(floor[l])) * b.y[l, i, v]
                for v in levels
            )
            + float(floor[l])
        ),
    )
    if instance.n_levels > 1:
        block.z = pyo.Var(devices, levels, domain=pyo.Binary)
        block.level = pyo.Constraint(index, rule=lambda b, l, i, v: b.y[l, i, v] <= b.z[i, v])
        block.one_level = pyo.Constraint(devices, rule=lambda b, i: sum(b.z[i, v] for v in levels) <= 1)
    w_energy, w_time = instance.objective_weights
    block.cost = pyo.Expression(
        expr=SCALE
        * (
            w_energy
            * sum(
                float(t.neuron_energy_j[v, l, i]) * block.n[l, i, v]
                + float(t.input_energy_j[v, l, i]) * block.y[l, i, v]
                for l, i, v in index
            )
            + w_time * sum(block.t[l] for l in layers)
        )
    )
    block.index_set = index


def read_iteration(instance: PlacementInstance, block: pyo.Block) -> tuple[np.ndarray, np.ndarray]:
    """The [l, i] neuron counts and the device levels of a solved iteration block."""
    counts = np.zeros((instance.n_layers, instance.n_devices), dtype=int)
    levels = np.full(instance.n_devices, instance.top_level)
    for l, i, v in block.index_set:
        n = int(round(pyo.value(block.n[l, i, v])))
        counts[l, i] += n
        if n > 0:
            levels[i] = v
    return counts, levels


def heuristic_starts(instance: PlacementInstance) -> list[np.ndarray | None]:
    """Per iteration, the [l, i] counts of the better of ``START_HEURISTICS`` by Eq. (10) (top DVFS level):
    the MIP start that makes ``milp``'s incumbent never worse than those baselines, at any time limit."""
    levels = np.full(instance.n_devices, instance.top_level)
    plans = [get_method("placement", name).run(instance, **options).decision for name, options in START_HEURISTICS]
    starts: list[np.ndarray | None] = []
    for k in range(instance.n_iterations):
        candidates = [np.array(plan.neurons[k], dtype=int) for plan in plans if plan is not None]
        costs = [iteration_cost(instance, k, counts, levels) for counts in candidates]
        values = [objective_of(instance, c.energy_j, c.time_s) for c in costs]
        starts.append(candidates[int(np.argmin(values))] if candidates else None)
    return starts


def set_start(
    block: pyo.Block, instance: PlacementInstance, k: int, counts: np.ndarray, levels: np.ndarray | None = None
) -> None:
    """Load the placement ``counts`` with device ``levels`` (default: every device at the top level)
    into an iteration block's variables."""
    at = np.full(instance.n_devices, instance.top_level) if levels is None else levels
    for l, i, v in block.index_set:
        block.n[l, i, v].set_value(int(counts[l, i]) if v == at[i] else 0)
        block.y[l, i, v].set_value(int(v == at[i] and counts[l, i] > 0))
    if instance.n_levels > 1:
        for i, v in block.z:
            block.z[i, v].set_value(int(v == at[i]))
    layer_time = iteration_cost(instance, k, counts, at).layer_time_s
    for l in block.t:
        block.t[l].set_value(max(float(layer_time[l]), block.t[l].lb))


@dataclass(frozen=True)
class IterationOptimum:
    result: HighsResult
    counts: np.ndarray | None
    levels: np.ndarray | None
    stats: dict[str, Any] | None = None  # a method's own figures of the solve (cg's search), in info["per_iteration"]


def solve_iteration(
    instance: PlacementInstance,
    k: int,
    options: ExactOptions,
    start: np.ndarray | None = None,
    start_levels: np.ndarray | None = None,
) -> IterationOptimum:
    """The clairvoyant optimum of iteration ``k`` (objective and bound in Eq. 10's units; ``options.time_limit``
    for its solve; the model written to ``options.write_model`` has the objective Eq. 10 × ``SCALE``),
    from the MIP start ``start`` ([l, i] counts, memory-feasible, at ``start_levels``, default the top
    level) when given."""
    reason = unplaceable(instance)
    if reason:
        return IterationOptimum(HighsResult(Status.INFEASIBLE, None, None, False, reason), None, None)
    model = pyo.ConcreteModel(name=f"{instance.name or 'placement'}-k{k}")
    model.it = pyo.Block()
    add_iteration(model.it, instance, k)
    model.obj = pyo.Objective(expr=model.it.cost, sense=pyo.minimize)
    if start is not None:
        set_start(model.it, instance, k, start, start_levels)
    result = unscaled(solve_pyomo(model, options, warm_start=start is not None), SCALE)
    if not result.has_solution:
        if start is None or result.status is not Status.TIME_LIMIT:
            return IterationOptimum(result, None, None)
        levels = np.full(instance.n_devices, instance.top_level) if start_levels is None else start_levels
        cost = iteration_cost(instance, k, start, levels)  # stopped before HiGHS took the start: keep it
        return IterationOptimum(
            replace(result, objective=objective_of(instance, cost.energy_j, cost.time_s)), start, levels
        )
    counts, levels = read_iteration(instance, model.it)
    return IterationOptimum(result, counts, levels)


def _sum(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(values)


def _combined_status(statuses: list[Status]) -> Status:
    for worst in (Status.ERROR, Status.INFEASIBLE, Status.TIME_LIMIT):
        if worst in statuses:
            return worst
    return Status.OPTIMAL


@register_exact(
    "placement",
    "milp",
    aliases=("gwp-opt",),
    description="per-iteration MILP with the observed state (integer neurons, used-binaries, epigraph, DVFS levels; HiGHS)",
)
def milp(instance: PlacementInstance, options: ExactOptions, heuristic_start: bool = True) -> MethodOutput:
    """One MILP per iteration; ``time_limit`` covers all of them, shared evenly among those left.

    ``write_model`` gets one file per iteration k (``name.iterationK.lp``) when there are several;
    ``heuristic_start`` gives each HiGHS run the MIP start of :func:`heuristic_starts`."""
    start = time.perf_counter()
    starts = (
        heuristic_starts(instance) if heuristic_start and not unplaceable(instance) else [None] * instance.n_iterations
    )
    return solve_per_iteration(instance, options, start, lambda k, own: solve_iteration(instance, k, own, starts[k]))


def solve_per_iteration(
    instance: PlacementInstance,
    options: ExactOptions,
    start: float,
    solve_one: Callable[[int, ExactOptions], IterationOptimum],
) -> MethodOutput:
    """The per-iteration exact methods' driver (``milp``, ``cg``): ``solve_one(k, options)`` for each
    iteration in turn, with the time left since ``start`` (a :func:`time.perf_counter` reading) shared
    evenly among the iterations left and ``write_model`` split per iteration; their sum as one output,
    whose anytime trace is the last solve's plus the earlier ones' sums."""
    optima: list[IterationOptimum] = []
    for k in range(instance.n_iterations):
        began = time.perf_counter() - start
        share = options.time_left(began, instance.n_iterations - k, floor_s=0.5)
        target = part_path(options.write_model, "iteration", k, instance.n_iterations)
        optima.append(solve_one(k, replace(options, time_limit=share, write_model=target)))
    earlier = [o.result for o in optima[:-1]]
    before = (_sum([r.objective for r in earlier]), _sum([r.bound for r in earlier]))
    status = _combined_status([o.result.status for o in optima])
    bounds = [o.result.bound for o in optima]
    have_all = all(o.counts is not None for o in optima)
    decision = (
        PlacementDecision.from_arrays([o.counts for o in optima], [o.levels for o in optima]) if have_all else None
    )
    info: dict[str, Any] = {
        "iterations": instance.n_iterations,
        "solve_s": time.perf_counter() - start,
        "iterations_optimal": sum(o.result.status is Status.OPTIMAL for o in optima),
        "trace": method_trace(optima[-1].result, began, before),
    }
    if any(o.stats is not None for o in optima):
        info["per_iteration"] = [o.stats for o in optima]
    return MethodOutput(
        decision=decision,
        status=status,
        bound=sum(bounds) if all(b is not None for b in bounds) else None,
        model_objective=sum(o.result.objective for o in optima) if have_all else None,
        info=info,
        message="; ".join(sorted({o.result.message for o in optima if o.result.message})),
    )


@register_exact(
    "placement",
    "offline",
    description="one MILP over the whole trace (the offline optimum; equals milp since iterations are independent)",
)
def offline(instance: PlacementInstance, options: ExactOptions) -> MethodOutput:
    start = time.perf_counter()
    reason = unplaceable(instance)
    if reason:
        return MethodOutput(decision=None, status=Status.INFEASIBLE, message=reason)
    model = pyo.ConcreteModel(name=instance.name or "placement")
    model.it = pyo.Block(range(instance.n_iterations))
    for k in range(instance.n_iterations):
        add_iteration(model.it[k], instance, k)
    model.obj = pyo.Objective(expr=sum(model.it[k].cost for k in range(instance.n_iterations)), sense=pyo.minimize)

    def read() -> PlacementDecision:
        solved = [read_iteration(instance, model.it[k]) for k in range(instance.n_iterations)]
        return PlacementDecision.from_arrays([c for c, _ in solved], [v for _, v in solved])

    info = {"variables": model.nvariables(), "constraints": model.nconstraints()}
    return solve_built(model, options, start, read, info, scale=SCALE)


@register_method(
    "placement",
    "static",
    kind=Kind.HEURISTIC,
    description="the MILP optimum of the initial state, kept for every iteration",
)
def static(
    instance: PlacementInstance, time_limit: float | None = 60.0, mip_rel_gap: float = 1e-6, threads: int | None = None
) -> MethodOutput:
    first = solve_iteration(instance, 0, ExactOptions(time_limit=time_limit, mip_rel_gap=mip_rel_gap, threads=threads))
    if first.counts is None:
        return MethodOutput(
            decision=None,
            status=Status.ERROR,
            message=f"iteration 0 MILP: {first.result.status.value} {first.result.message}",
        )
    decision = PlacementDecision.repeated(first.counts, instance.n_iterations, first.levels)
    return MethodOutput(decision=decision, status=Status.FEASIBLE, info={"initial_status": first.result.status.value})
