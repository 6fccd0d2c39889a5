"""Dantzig–Wolfe decomposition of P1: a column-generation upper bound and a price-and-branch incumbent.

The compact MILP's LP relaxation spreads fractional tasks over many overlapping clusters
(measured: a 260 % gap at 20 servers × 40 tasks after 60 s). Here a column is a pair
(cluster k, task set S) whose FIFO schedule on k meets every deadline (Eq. 1–4, 10b) and
whose tasks are profitable on k (Eq. 10f with payment = cost), worth Σ_{n∈S} (p_n − c_{n,k}).

Master LP (λ ≥ 0 per column):   max Σ profit_col λ_col
    Σ_{col ∋ server i} λ_col = 1   ∀ i     (dual π_i)   every server in one cluster (Eq. 10a)
    Σ_{col ∋ task n}  λ_col ≤ 1    ∀ n     (dual σ_n ≥ 0) every task served at most once

Pricing, per feasible cluster k: max Σ_{n∈S} (p_n − c_{n,k} − σ_n) − Σ_{i∈k} π_i over
FIFO-feasible S. With the FIFO order fixed (release time, then index), an exact dynamic
program walks the tasks in that order keeping the Pareto labels (finish time of the last
accepted task, value): taking task n from finish t gives max(r_n, t) + p_n, kept if ≤ d_n.

Bound: at any iteration z_RMP + min(|S| · max_k rc_k, Σ_k rc_k) over the clusters' best
positive reduced costs rc_k is a valid upper bound: a solution uses at most |S| columns,
and at most one per cluster (the Lagrangian bound with the master's duals, whose dual
objective Σπ + Σσ equals z_RMP). At convergence it is the LP optimum of the master, far
tighter than the compact LP. Incumbent: the master restricted
to the generated columns, solved as a MIP by the HiGHS runner (price-and-branch) — every
column is FIFO-feasible, so any integer solution is a feasible P1 solution — or, when the
MIP finds nothing better in the time left, a greedy packing of the columns by profit
(servers left over become singleton clusters serving nothing), which always exists. The status is
``optimal`` when the incumbent meets the bound (within the MIP gap), else ``feasible``
with the bound and gap, or ``time_limit`` when column generation did not converge.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pyomo.environ as pyo

from cpnopt.formulations.clustering.milp import eligible_tasks
from cpnopt.formulations.common.exact import method_trace, register_exact
from cpnopt.formulations.common.exact import warm_start as start_from
from cpnopt.problems.clustering import ClusteringDecision, ClusteringInstance, ClusterTerms, feasible_clusters
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import ExactOptions, IncrementalLP, solve_pyomo


@dataclass(frozen=True)
class Column:
    cluster: int  # index into the feasible clusters
    tasks: tuple[int, ...]
    profit: float


def best_task_set(
    release: np.ndarray, processing: np.ndarray, due: np.ndarray, weight: np.ndarray, queue: list[int]
) -> tuple[float, tuple[int, ...]]:
    """Max Σ weight over FIFO-feasible subsets of ``queue`` (given in FIFO order): the pricing DP."""
    labels: list[tuple[float, float, tuple[int, ...]]] = [(0.0, 0.0, ())]  # (finish, value, tasks)
    for n in queue:
        if weight[n] <= 1e-12:
            continue  # a task of no value only delays the others
        grown = []
        for finish, value, tasks in labels:
            done = max(release[n], finish) + processing[n]
            if done <= due[n]:  # ``due``: the latest on-time finish
                grown.append((done, value + weight[n], tasks + (n,)))
        if grown:
            labels = _pareto(labels + grown)
    finish, value, tasks = max(labels, key=lambda label: label[1])
    return value, tasks


def _pareto(labels: list[tuple[float, float, tuple[int, ...]]]) -> list[tuple[float, float, tuple[int, ...]]]:
    """Keep the labels no other label beats in both finish time (earlier) and value (higher)."""
    kept = []
    best = -np.inf
    for label in sorted(labels, key=lambda l: (l[0], -l[1])):
        if label[1] > best + 1e-9:
            kept.append(label)
            best = label[1]
    return kept


class MasterLP:
    """The restricted master LP (an :class:`~cpnopt.solvers.highs.IncrementalLP`): server rows = 1, task rows ≤ 1."""

    def __init__(self, n_servers: int, n_tasks: int, threads: int | None = None, verbose: bool = False) -> None:
        self.n_servers = n_servers
        lower = np.concatenate([np.ones(n_servers), np.full(n_tasks, -np.inf)])
        self.lp = IncrementalLP(lower, np.ones(n_servers + n_tasks), maximize=True, threads=threads, verbose=verbose)

    def add(self, column: Column, members: tuple[int, ...]) -> None:
        rows = np.array(list(members) + [self.n_servers + n for n in column.tasks], dtype=np.int32)
        self.lp.add_column(column.profit, rows, np.ones(len(rows)))

    def solve(self) -> tuple[float, np.ndarray, np.ndarray]:
        """Objective, server duals π and task duals σ (reduced cost = profit − Σ duals)."""
        value, duals = self.lp.solve()
        return value, duals[: self.n_servers], duals[self.n_servers :]


@register_exact(
    "clustering",
    "cg",
    description="column generation (FIFO-feasible task sets per cluster): LP bound + price-and-branch incumbent",
)
def column_generation(
    instance: ClusteringInstance, options: ExactOptions, warm_start: str | None = None
) -> MethodOutput:
    """Bound P1 by column generation, then solve the master over the generated columns as a MIP.

    ``write_model`` saves that integer master (the generated columns; x_j = 1 picks column j);
    ``verbose`` shows HiGHS's log of every master solve; ``warm_start=METHOD``: that method's
    clusters, with the tasks it serves there that are eligible, are initial columns
    (:func:`~cpnopt.formulations.common.exact.warm_start`), so the integer master holds its plan."""
    start = time.perf_counter()
    mip_rel_gap = options.mip_rel_gap
    limit = np.inf if options.time_limit is None else float(options.time_limit)
    clusters = feasible_clusters(instance)
    terms = [instance.cluster_terms(c) for c in clusters]
    queues = [eligible_tasks(instance, t) for t in terms]
    margin = [instance.price - t.cost for t in terms]
    master = MasterLP(instance.n_servers, instance.n_tasks, options.threads, options.verbose)
    columns: list[Column] = []
    for k, members in enumerate(clusters):  # empty task sets: the singletons make the master feasible
        columns.append(Column(k, (), 0.0))
        master.add(columns[-1], members)
    begin = start_from(instance, warm_start)
    for column in start_columns(clusters, queues, margin, begin.decision) if begin.decision is not None else ():
        columns.append(column)
        master.add(column, clusters[column.cluster])

    bound, iterations, converged = np.inf, 0, False
    while time.perf_counter() - start < 0.8 * limit:
        iterations += 1
        value, pi, sigma = master.solve()
        best_reduced = total_reduced = 0.0
        for k, members in enumerate(clusters):
            weight = margin[k] - sigma
            priced, tasks = best_task_set(
                terms[k].release_s, terms[k].processing_s, instance.latest_finish_s, weight, queues[k]
            )
            reduced = priced - float(pi[list(members)].sum())
            if reduced > 1e-6 * max(1.0, abs(value)) and tasks:
                columns.append(Column(k, tasks, float(margin[k][list(tasks)].sum())))
                master.add(columns[-1], members)
                best_reduced = max(best_reduced, reduced)
                total_reduced += reduced
        bound = min(bound, value + min(instance.n_servers * best_reduced, total_reduced))
        if best_reduced == 0.0:
            converged = True
            break
    lp_s = time.perf_counter() - start

    model = _integer_master(instance, clusters, columns)
    began = time.perf_counter() - start
    result = solve_pyomo(model, replace(options, time_limit=options.time_left(began)))
    greedy = _greedy_packing(instance, clusters, columns)
    lp_bound = float(bound) if np.isfinite(bound) else None
    info = {
        "iterations": iterations,
        "columns": len(columns),
        "converged": converged,
        "lp_bound": float(bound),
        "lp_s": lp_s,
        "feasible_clusters": len(clusters),
        "master_status": result.status.value,
        # the bound is the LP's throughout: the integer master's own bound holds for its columns only
        "trace": [[lp_s, None, lp_bound]] + [[t, value, lp_bound] for t, value, _ in method_trace(result, began)],
        **begin.info,
    }
    if result.has_solution and result.objective >= sum(c.profit for c in greedy) - 1e-9:
        chosen = [columns[j] for j in range(len(columns)) if pyo.value(model.x[j]) > 0.5]
        objective = float(result.objective)
    else:
        chosen, objective = greedy, float(sum(c.profit for c in greedy))
        info["incumbent"] = "greedy packing"
    decision = decision_from_columns(instance, clusters, terms, chosen)
    if not converged:
        status = Status.TIME_LIMIT
    elif objective >= bound - max(mip_rel_gap * abs(bound), 1e-6):
        status = Status.OPTIMAL
    else:
        status = Status.FEASIBLE
    return MethodOutput(decision, status, bound=lp_bound, model_objective=objective, info=info)


def start_columns(
    clusters: list[tuple[int, ...]], queues: list[list[int]], margin: list[np.ndarray], decision: ClusteringDecision
) -> list[Column]:
    """A decision as columns: each of its clusters with the tasks it serves there that are eligible (in FIFO order;
    dropping a task from a FIFO queue delays no other), worth their margins p_n − c_{n,k}."""
    index = {c: k for k, c in enumerate(clusters)}
    columns = []
    for position, members in enumerate(decision.clusters):
        k = index[tuple(sorted(members))]
        tasks = tuple(n for n in queues[k] if decision.assignment[n] == position)
        columns.append(Column(k, tasks, float(margin[k][list(tasks)].sum())))
    return columns


def _integer_master(
    instance: ClusteringInstance, clusters: list[tuple[int, ...]], columns: list[Column]
) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name="clustering-master")
    m.C = pyo.RangeSet(0, len(columns) - 1)
    m.x = pyo.Var(m.C, domain=pyo.Binary)
    m.profit = pyo.Objective(expr=sum(c.profit * m.x[j] for j, c in enumerate(columns)), sense=pyo.maximize)
    covering: dict[int, list[int]] = {i: [] for i in range(instance.n_servers)}
    serving: dict[int, list[int]] = {}
    for j, column in enumerate(columns):
        for i in clusters[column.cluster]:
            covering[i].append(j)
        for n in column.tasks:
            serving.setdefault(n, []).append(j)
    m.partition = pyo.Constraint(list(covering), rule=lambda _, i: sum(m.x[j] for j in covering[i]) == 1)
    m.once = pyo.Constraint(list(serving), rule=lambda _, n: sum(m.x[j] for j in serving[n]) <= 1)
    return m


def _greedy_packing(
    instance: ClusteringInstance, clusters: list[tuple[int, ...]], columns: list[Column]
) -> list[Column]:
    """Columns by decreasing profit, each kept if its servers and tasks are still free; the
    servers left over become singleton clusters serving nothing (always feasible)."""
    used_servers: set[int] = set()
    used_tasks: set[int] = set()
    chosen = []
    for column in sorted(columns, key=lambda c: -c.profit):
        members = set(clusters[column.cluster])
        if members & used_servers or used_tasks.intersection(column.tasks):
            continue
        chosen.append(column)
        used_servers |= members
        used_tasks.update(column.tasks)
    singleton = {c: k for k, c in enumerate(clusters) if len(c) == 1}
    chosen += [Column(singleton[(i,)], (), 0.0) for i in range(instance.n_servers) if i not in used_servers]
    return chosen


def decision_from_columns(
    instance: ClusteringInstance, clusters: list[tuple[int, ...]], terms: list[ClusterTerms], chosen: list[Column]
) -> ClusteringDecision:
    assignment: list[int | None] = [None] * instance.n_tasks
    payments: list[float | None] = [None] * instance.n_tasks
    for position, column in enumerate(chosen):
        for n in column.tasks:
            assignment[n] = position
            payments[n] = float(terms[column.cluster].cost[n])
    return ClusteringDecision(
        clusters=tuple(clusters[c.cluster] for c in chosen), assignment=tuple(assignment), payments=tuple(payments)
    )
