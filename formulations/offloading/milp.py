"""Exact methods for the offloading family: the per-decision ``oracle`` and the sequence bound ``milp``.

Split of one task on one node (RLMS-CPN system model): minimise T(s) = max_{k: s_k>0} (s_k D / bw_k + d_k)
over the simplex. Only used paths count, and the optimal used set is a prefix of the paths
sorted by delay d (an unused path with d_k < T* could take load and lower T*), so

- :func:`waterfill` (closed form): T* = min_m (D + Σ_{k≤m} bw_k d_k) / Σ_{k≤m} bw_k over the
  prefixes m, s_k = bw_k (T* − d_k)⁺ / D — every flowlet finishes at T*;
- :func:`split_lp`: per prefix m the LP  min T s.t. T ≥ s_k D / bw_k + d_k (k ≤ m), Σ s_k = 1,
  s ≥ 0, solved by HiGHS; prefixes are tried in order of d and the search stops when the next
  path's delay is ≥ the best T (no longer prefix can do better). The tests check both agree.

``oracle``: for each candidate node, the optimal split (LP or water-filling), then the node of
least L_c + T — the exact optimum of each decision on the evaluator's current state (myopic:
it does not look at later tasks).

``milp``: the exact optimum of a clairvoyant relaxation of the whole sequence, a proven lower
bound on the mean latency of EVERY method (online or not) on the same tasks. Variables
y_{j,c} (task j on candidate c), x_{j,c,k} ∈ [0,1] (share on path k), z_{j,c,k} (path used),
T_j (transmission latency):

    min  (1/J) Σ_j ( Σ_c L_c(j,c) y_{j,c} + T_j )
    s.t. Σ_c y_{j,c} = 1,  Σ_k x_{j,c,k} = y_{j,c},  x_{j,c,k} ≤ z_{j,c,k} ≤ y_{j,c}
         T_j ≥ x_{j,c,k} D_j / B_{j,c,k} + d_{c,k} z_{j,c,k}                     (R1)
         T_j ≥ Σ_c W_{j,c} y_{j,c}                                              (R2)
         for directed link e and tasks i < j both able to use e with a_j − a_i < (D_i + D_j)/C²_e:
         a_i + T_i ≥ a_i + (V_{i,e} + V_{j,e}) / C²_e − M o_{i,j,e}                 (R3)
         a_j + T_j ≥ a_i + (V_{i,e} + V_{j,e}) / C²_e − M (1 − o_{i,j,e}),  o ∈ {0,1}

with V_{j,e} = D_j Σ_{(c,k) ∋ e} x_{j,c,k}, B_{j,c,k} = α min_{e∈k} c_e(slot(a_j)),
W_{j,c} = water-filling optimum with the bandwidths B, C_e = max_t c_e(t),
C²_e = α(2 − α) C_e and M = (D_i + D_j) / C²_e. Why every evaluator run satisfies them:
a flowlet's rate is α × a residual ≤ α c_e(slot(a_j)) (R1, and R2 follows from R1); a flowlet
holds its link only inside [a_j, a_j + T_j]; two flowlets of i and j on e together never
hold more than α C_e + α (C_e − ρ_i) ≤ C²_e (the later one gets α of what the earlier left),
so the later of the two transmissions ends no earlier than a_i + (V_i + V_j)/C²_e (R3, the
binary o choosing which ends last). The relaxation lets a flowlet "wait" for bandwidth, which
no online rule can, so the bound is loosest where many tasks overlap on one bottleneck.

The decision ``milp`` returns is the MILP's node for every task with the split re-optimised
by water-filling on the evaluator's real state (its objective is the evaluator's value,
≥ the bound); its status is ``feasible`` with ``bound`` = the MILP's optimum, so tables
report every method's gap to that bound. Under a time limit (status ``time_limit``) the bound
is the larger of HiGHS's bound and the bound of R1–R2 alone, (1/J) Σ_j min_c (L_c + W_{j,c}),
which needs no solve; without an incumbent the nodes are those minimisers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from cpnopt.errors import InputError
from cpnopt.formulations.common.exact import method_trace, register_exact
from cpnopt.problems.offloading import OffloadingDecision, OffloadingInstance, TaskView, run_policy
from cpnopt.problems.offloading.evaluate import CandidateView
from cpnopt.registry import Kind, register_method
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import ExactOptions, solve_pyomo

SPLIT_METHODS = ("lp", "waterfill")


@dataclass(frozen=True)
class SplitResult:
    transmission_s: float
    split: tuple[float, ...]


def no_bandwidth(n_paths: int) -> SplitResult:
    """Every path's residual has rounded to zero (dozens of flowlets stacked on one link):
    equal shares, which the evaluator reports as using a path without bandwidth."""
    return SplitResult(math.inf, tuple(1.0 / n_paths for _ in range(n_paths)))


def _by_delay(bandwidth: np.ndarray, delay: np.ndarray) -> list[int]:
    usable = [k for k in range(len(delay)) if bandwidth[k] > 0]
    return sorted(usable, key=lambda k: (delay[k], k))


def _from_times(data_mb: float, bandwidth: np.ndarray, delay: np.ndarray, t: float, used: list[int]) -> SplitResult:
    raw = np.zeros(len(delay))
    for k in used:
        raw[k] = max(bandwidth[k] * (t - delay[k]), 0.0) / data_mb
    return SplitResult(t, tuple(float(s) for s in raw / raw.sum()))


def waterfill(data_mb: float, bandwidth: np.ndarray, delay: np.ndarray) -> SplitResult:
    """Closed-form optimal split (module docstring)."""
    order = _by_delay(bandwidth, delay)
    if not order:
        return no_bandwidth(len(delay))
    best_t, best_m = math.inf, 0
    total_bw = weighted = 0.0
    for m, k in enumerate(order, start=1):
        total_bw += bandwidth[k]
        weighted += bandwidth[k] * delay[k]
        t = (data_mb + weighted) / total_bw
        if t < best_t:
            best_t, best_m = t, m
    return _from_times(data_mb, bandwidth, delay, best_t, order[:best_m])


def _prefix_lp(data_mb: float, bandwidth: np.ndarray, delay: np.ndarray, used: list[int]) -> SplitResult:
    m = pyo.ConcreteModel()
    m.K = pyo.Set(initialize=used)
    m.s = pyo.Var(m.K, bounds=(0.0, 1.0))
    m.T = pyo.Var()
    m.finish = pyo.Constraint(m.K, rule=lambda m, k: m.T >= m.s[k] * (data_mb / bandwidth[k]) + delay[k])
    m.simplex = pyo.Constraint(expr=sum(m.s[k] for k in m.K) == 1)
    m.obj = pyo.Objective(expr=m.T, sense=pyo.minimize)
    result = solve_pyomo(m)
    if result.status is not Status.OPTIMAL:
        raise RuntimeError(f"HiGHS did not solve the split LP: {result.message}")
    split = np.zeros(len(delay))
    for k in used:
        split[k] = max(pyo.value(m.s[k]), 0.0)
    return SplitResult(float(pyo.value(m.T)), tuple(float(s) for s in split / split.sum()))


def split_lp(data_mb: float, bandwidth: np.ndarray, delay: np.ndarray) -> SplitResult:
    """Optimal split by HiGHS LPs over the delay-sorted prefixes (module docstring)."""
    order = _by_delay(bandwidth, delay)
    best = no_bandwidth(len(delay))
    for m in range(1, len(order) + 1):
        if delay[order[m - 1]] >= best.transmission_s:
            break
        candidate = _prefix_lp(data_mb, bandwidth, delay, order[:m])
        if candidate.transmission_s < best.transmission_s - 1e-12:
            best = candidate
    return best


def split_function(split: str) -> Callable[[float, np.ndarray, np.ndarray], SplitResult]:
    if split not in SPLIT_METHODS:
        raise InputError("split", split, f"must be one of {', '.join(SPLIT_METHODS)}")
    return split_lp if split == "lp" else waterfill


def best_split(
    view: TaskView, candidate: CandidateView, solve_split: Callable[..., SplitResult]
) -> tuple[float, tuple[float, ...]]:
    """Response latency L_c + T* of ``candidate`` and its optimal split."""
    result = solve_split(view.data_mb, candidate.bandwidth_mbps, candidate.delay_s)
    return candidate.computation_s + result.transmission_s, result.split


def oracle_policy(split: str = "lp") -> Callable[[TaskView], tuple[int, Sequence[float]]]:
    solve_split = split_function(split)

    def choose(view: TaskView) -> tuple[int, Sequence[float]]:
        scored = [(best_split(view, c, solve_split), c.compute) for c in view.candidates]
        (latency, split_ratios), compute = min(scored, key=lambda item: item[0][0])
        return compute, split_ratios

    return choose


@register_method(
    "offloading",
    "oracle",
    Kind.EXACT,
    "per task, the optimal split on every candidate node (HiGHS LP or water-filling) and the best node; "
    "exact per decision on the current state (myopic)",
)
def oracle(instance: OffloadingInstance, split: str = "lp") -> MethodOutput:
    decision = run_policy(instance, oracle_policy(split))
    return MethodOutput(decision=decision, status=Status.FEASIBLE, info={"split": split})


# ---------------------------------------------------------------------- sequence bound
@dataclass(frozen=True)
class FlowletTerm:
    task: int
    compute: int
    path: int
    links: tuple[int, ...]
    bandwidth_mbps: float  # B = α min_e c_e(slot(a_j))
    delay_s: float


def relaxation_terms(instance: OffloadingInstance) -> list[FlowletTerm]:
    """Every (task, candidate, path) with its relaxed bandwidth B (R1)."""
    terms = []
    for j, task in enumerate(instance.tasks):
        available = instance.available_mbps[instance.slot_of(task.arrival_s)]
        for c in instance.candidates[j]:
            for k, path in enumerate(instance.paths(task.access_point, c)):
                bw = instance.flow_share * float(available[list(path.links)].min())
                terms.append(FlowletTerm(j, c, k, path.links, bw, path.delay_s))
    return terms


def group_by_node(terms: list[FlowletTerm]) -> dict[tuple[int, int], list[FlowletTerm]]:
    by_node: dict[tuple[int, int], list[FlowletTerm]] = {}
    for t in terms:
        by_node.setdefault((t.task, t.compute), []).append(t)
    return by_node


def isolated_transmission(instance: OffloadingInstance, terms: list[FlowletTerm]) -> dict[tuple[int, int], float]:
    """W_{j,c}: water-filling optimum of task j on candidate c with the relaxed bandwidths B (R2)."""
    by_node = group_by_node(terms)
    return {
        key: waterfill(
            instance.tasks[key[0]].data_mb,
            np.array([t.bandwidth_mbps for t in group]),
            np.array([t.delay_s for t in group]),
        ).transmission_s
        for key, group in by_node.items()
    }


def isolated_bound(instance: OffloadingInstance) -> tuple[float, list[int]]:
    """(1/J) Σ_j min_c (L_c + W_{j,c}), the bound of R1–R2 alone, and each task's minimising node."""
    isolated = isolated_transmission(instance, relaxation_terms(instance))
    nodes = [
        min(cands, key=lambda c: instance.computation_s[j, c] + isolated[j, c])
        for j, cands in enumerate(instance.candidates)
    ]
    total = sum(instance.computation_s[j, c] + isolated[j, c] for j, c in enumerate(nodes))
    return float(total) / instance.n_tasks, nodes


def build_relaxation(instance: OffloadingInstance) -> pyo.ConcreteModel:
    """The MILP of the module docstring (R1–R3)."""
    tasks = instance.tasks
    alpha = instance.flow_share
    terms = relaxation_terms(instance)
    pairs_jc = [(j, c) for j in range(instance.n_tasks) for c in instance.candidates[j]]
    m = pyo.ConcreteModel(name=instance.name or "offloading")
    m.Y = pyo.Set(initialize=pairs_jc, dimen=2)
    m.F = pyo.Set(initialize=[(t.task, t.compute, t.path) for t in terms], dimen=3)
    m.y = pyo.Var(m.Y, domain=pyo.Binary)
    m.x = pyo.Var(m.F, bounds=(0.0, 1.0))
    m.z = pyo.Var(m.F, domain=pyo.Binary)
    m.T = pyo.Var(range(instance.n_tasks), domain=pyo.NonNegativeReals)
    comp = instance.computation_s
    m.obj = pyo.Objective(
        expr=(sum(comp[j, c] * m.y[j, c] for j, c in pairs_jc) + sum(m.T[j] for j in range(instance.n_tasks)))
        / instance.n_tasks,
        sense=pyo.minimize,
    )
    m.one_node = pyo.Constraint(
        range(instance.n_tasks), rule=lambda m, j: sum(m.y[j, c] for c in instance.candidates[j]) == 1
    )
    by_node = group_by_node(terms)
    m.split = pyo.Constraint(m.Y, rule=lambda m, j, c: sum(m.x[j, c, t.path] for t in by_node[j, c]) == m.y[j, c])
    m.used = pyo.Constraint(m.F, rule=lambda m, j, c, k: m.x[j, c, k] <= m.z[j, c, k])
    m.open = pyo.Constraint(m.F, rule=lambda m, j, c, k: m.z[j, c, k] <= m.y[j, c])
    m.r1 = pyo.ConstraintList()
    for t in terms:
        m.r1.add(
            m.T[t.task]
            >= m.x[t.task, t.compute, t.path] * (tasks[t.task].data_mb / t.bandwidth_mbps)
            + t.delay_s * m.z[t.task, t.compute, t.path]
        )
    isolated = isolated_transmission(instance, terms)
    m.r2 = pyo.Constraint(
        range(instance.n_tasks),
        rule=lambda m, j: m.T[j] >= sum(isolated[j, c] * m.y[j, c] for c in instance.candidates[j]),
    )

    pair_cap = alpha * (2.0 - alpha) * instance.available_mbps.max(axis=0)
    on_link: dict[int, dict[int, list[FlowletTerm]]] = {}
    for t in terms:
        for e in t.links:
            on_link.setdefault(e, {}).setdefault(t.task, []).append(t)
    m.o = pyo.Var(pyo.Any, domain=pyo.Binary, dense=False)
    m.r3 = pyo.ConstraintList()
    largest = max(t.data_mb for t in tasks)
    for e, users in on_link.items():
        cap = pair_cap[e]
        ordered = sorted(users)
        for a, i in enumerate(ordered):
            for j in ordered[a + 1 :]:
                gap = tasks[j].arrival_s - tasks[i].arrival_s
                if gap >= (tasks[i].data_mb + largest) / cap:
                    break  # tasks are in arrival order: every later j is redundant too
                big_m = (tasks[i].data_mb + tasks[j].data_mb) / cap
                if gap >= big_m:
                    continue  # redundant (module docstring)
                volume = sum(tasks[t.task].data_mb * m.x[t.task, t.compute, t.path] for t in users[i] + users[j]) / cap
                o = m.o[i, j, e]
                m.r3.add(m.T[i] >= volume - big_m * o)
                m.r3.add(gap + m.T[j] >= volume - big_m * (1 - o))
    return m


def milp_policy(nodes: list[int]) -> Callable[[TaskView], tuple[int, Sequence[float]]]:
    def choose(view: TaskView) -> tuple[int, Sequence[float]]:
        chosen = next(c for c in view.candidates if c.compute == nodes[view.index])
        return chosen.compute, waterfill(view.data_mb, chosen.bandwidth_mbps, chosen.delay_s).split

    return choose


@register_exact(
    "offloading",
    "milp",
    "clairvoyant MILP relaxation of the whole sequence (HiGHS): a proven lower bound on every method's "
    "mean latency; its nodes with water-filling splits as the decision",
)
def milp(instance: OffloadingInstance, options: ExactOptions) -> MethodOutput:
    start = time.perf_counter()
    floor, floor_nodes = isolated_bound(instance)
    model = build_relaxation(instance)
    began = time.perf_counter() - start
    result = solve_pyomo(model, options)
    info = {
        "relaxation_status": result.status.value,
        "pair_binaries": len(model.o),
        "isolated_bound": floor,
        # the relaxation's incumbent and the bound as reported: the relaxation's, never below R1–R2's
        "trace": [[t, value, floor if b is None else max(b, floor)] for t, value, b in method_trace(result, began)],
    }
    if result.status not in (Status.OPTIMAL, Status.TIME_LIMIT):
        return MethodOutput(None, Status.ERROR, info=info, message=result.message)
    if result.has_solution:
        nodes = [max(instance.candidates[j], key=lambda c: pyo.value(model.y[j, c])) for j in range(instance.n_tasks)]
    else:  # stopped before an incumbent: the R1–R2 minimisers
        nodes = floor_nodes
    decision: OffloadingDecision = run_policy(instance, milp_policy(nodes))
    bound = max(result.bound if result.bound is not None else -math.inf, floor)
    status = Status.FEASIBLE if result.status is Status.OPTIMAL else result.status
    return MethodOutput(
        decision, status, bound=bound, model_objective=result.objective, info=info, message=result.message
    )
