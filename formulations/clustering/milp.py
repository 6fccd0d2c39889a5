"""Exact MILP for P1 (DCAT paper): set partitioning over feasible clusters + FIFO-exact assignment.

Sets: K = feasible clusters (cliques of the within-R_max graph up to ``max_cluster_size``,
Eq. 10c); eligible pairs (n, k) where serving n on k alone meets the deadline (Eq. 10b)
and is rational with payment = cost (p_n > c_{n,k}, Eq. 10f). Payment = cost gives the
full-information optimum, an upper bound on what any pricing mechanism earns.

Variables: z_k ∈ {0,1} (cluster k is formed), y_{n,k} ∈ {0,1} (task n served by k).

    max  Σ_{n,k} (p_n − c_{n,k}) y_{n,k}                         Eq. (6) with q_n = c_{n,k}
    s.t. Σ_{k ∋ i} z_k = 1                        ∀ servers i     partition (Eq. 10a)
         Σ_k y_{n,k} ≤ 1                          ∀ tasks n       at most one cluster
         y_{n,k} ≤ z_k                                            serve on formed clusters
         FIFO deadlines (Eq. 1–4, 10b) on each cluster's queue of eligible tasks, y_{n,k}
         in the role of y_n and z_k as the queue's "exists" variable: the two exact
         encodings (option ``fifo``: ``window``, the default, or ``completion``) and the
         interval capacity cuts (``interval_cuts=True``, default) of
         ``cpnopt.formulations.common.fifo``, shared with the regional family.

The capacity cuts, linked to the cluster variable, cut off the fractional LP solutions
that spread tasks over many overlapping clusters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from cpnopt.errors import InputError
from cpnopt.fifo import fifo_schedule
from cpnopt.formulations.common.exact import register_exact, solve_built_from
from cpnopt.formulations.common.fifo import FIFO_ENCODINGS, add_fifo_deadlines, add_interval_cuts, linear
from cpnopt.problems.clustering import ClusteringDecision, ClusteringInstance, ClusterTerms, feasible_clusters
from cpnopt.solution import MethodOutput
from cpnopt.solvers.highs import ExactOptions


@dataclass
class P1Model:
    """A built model: the Pyomo object and the index data needed to read a decision back."""

    model: pyo.ConcreteModel
    clusters: list[tuple[int, ...]]
    terms: list[ClusterTerms]
    pairs: list[tuple[int, int]]  # eligible (task, cluster index)


def eligible_tasks(instance: ClusteringInstance, terms: ClusterTerms) -> list[int]:
    """Tasks that cluster ``terms`` can serve alone on time and at a profit, in FIFO order."""
    on_time = terms.release_s + terms.processing_s <= instance.latest_finish_s
    profitable = instance.price - terms.cost > 1e-9
    tasks = np.flatnonzero(on_time & profitable)
    order = np.lexsort((tasks, terms.release_s[tasks]))
    return [int(n) for n in tasks[order]]


def build_model(instance: ClusteringInstance, fifo: str = "window", interval_cuts: bool = True) -> P1Model:
    """Build the P1 MILP (see the module docstring)."""
    if fifo not in FIFO_ENCODINGS:
        raise InputError("fifo", fifo, f"must be one of {', '.join(FIFO_ENCODINGS)}")
    clusters = feasible_clusters(instance)
    terms = [instance.cluster_terms(c) for c in clusters]
    queues = [eligible_tasks(instance, t) for t in terms]
    pairs = [(n, k) for k, queue in enumerate(queues) for n in queue]
    # plain Python floats: numpy scalars times Pyomo variables go through a slow ufunc path
    due, price = instance.latest_finish_s.tolist(), instance.price.tolist()  # the family's deadline tolerance

    m = pyo.ConcreteModel(name=instance.name or "clustering")
    m.K = pyo.RangeSet(0, len(clusters) - 1)
    m.P = pyo.Set(initialize=pairs, dimen=2)
    m.z = pyo.Var(m.K, domain=pyo.Binary)
    m.y = pyo.Var(m.P, domain=pyo.Binary)
    m.profit = pyo.Objective(
        expr=linear([price[n] - float(terms[k].cost[n]) for n, k in pairs], [m.y[n, k] for n, k in pairs]) + 0 * m.z[0],
        sense=pyo.maximize,
    )
    m.partition = pyo.Constraint(
        range(instance.n_servers),
        rule=lambda _, i: sum(m.z[k] for k, c in enumerate(clusters) if i in c) == 1,
    )
    serving: dict[int, list[int]] = {}
    for n, k in pairs:
        serving.setdefault(n, []).append(k)
    m.once = pyo.Constraint(list(serving), rule=lambda _, n: sum(m.y[n, k] for k in serving[n]) <= 1)
    m.formed = pyo.Constraint(m.P, rule=lambda _, n, k: m.y[n, k] <= m.z[k])

    m.fifo = pyo.ConstraintList()
    if fifo == "completion":
        m.C = pyo.Var(m.P, domain=pyo.NonNegativeReals)
    for k, queue in enumerate(queues):
        r, p = terms[k].release_s.tolist(), terms[k].processing_s.tolist()
        y = {n: m.y[n, k] for n in queue}
        completion = {n: m.C[n, k] for n in queue} if fifo == "completion" else None
        add_fifo_deadlines(m.fifo, queue, y, r, p, due, completion)
        if interval_cuts:
            add_interval_cuts(m.fifo, queue, y, r, p, due, exists=m.z[k])
    return P1Model(model=m, clusters=clusters, terms=terms, pairs=pairs)


def set_start(instance: ClusteringInstance, built: P1Model, start: ClusteringDecision) -> None:
    """Load ``start`` into the model's variables (a MIP start): z from its clusters, y from the tasks it serves
    that are eligible there (dropping a task from a FIFO queue delays no other), C from the FIFO replay."""
    m = built.model
    index = {c: k for k, c in enumerate(built.clusters)}
    formed = {index[tuple(sorted(members))]: position for position, members in enumerate(start.clusters)}
    for k in range(len(built.clusters)):
        m.z[k].set_value(int(k in formed))
    for n, k in built.pairs:
        m.y[n, k].set_value(int(k in formed and start.assignment[n] == formed[k]))
        if hasattr(m, "C"):
            m.C[n, k].set_value(float(built.terms[k].release_s[n] + built.terms[k].processing_s[n]))
    if hasattr(m, "C"):
        for k in formed:
            queue = [n for n, kk in built.pairs if kk == k and pyo.value(m.y[n, k]) > 0.5]
            terms = built.terms[k]
            done = fifo_schedule(terms.release_s[queue], terms.processing_s[queue]).completion_s
            for n, c in zip(queue, done):
                m.C[n, k].set_value(float(c))


def read_decision(instance: ClusteringInstance, built: P1Model) -> ClusteringDecision:
    """The clustering, assignment and payments (= cost) of the model's loaded solution."""
    m = built.model
    chosen = [k for k in range(len(built.clusters)) if pyo.value(m.z[k]) > 0.5]
    position = {k: pos for pos, k in enumerate(chosen)}
    assignment: list[int | None] = [None] * instance.n_tasks
    payments: list[float | None] = [None] * instance.n_tasks
    for n, k in built.pairs:
        if pyo.value(m.y[n, k]) > 0.5 and k in position:
            assignment[n] = position[k]
            payments[n] = float(built.terms[k].cost[n])
    return ClusteringDecision(
        clusters=tuple(built.clusters[k] for k in chosen),
        assignment=tuple(assignment),
        payments=tuple(payments),
    )


@register_exact(
    "clustering",
    "milp",
    description="set-partitioning MILP over feasible clusters, FIFO-exact deadlines, payment = cost (HiGHS)",
)
def milp(
    instance: ClusteringInstance,
    options: ExactOptions,
    fifo: str = "window",
    interval_cuts: bool = True,
    warm_start: str | None = None,
) -> MethodOutput:
    """Solve P1 to proven optimality (or to the time limit, keeping incumbent and bound).

    ``time_limit`` covers model building and solving (see benchmarks/RESULTS.md for the build time);
    ``warm_start=METHOD``: that method's decision is HiGHS's MIP start (:func:`~cpnopt.formulations.common.exact.warm_start`).
    """
    start = time.perf_counter()
    built = build_model(instance, fifo=fifo, interval_cuts=interval_cuts)
    info = {
        "feasible_clusters": len(built.clusters),
        "eligible_pairs": len(built.pairs),
        "constraints": built.model.nconstraints(),
        "fifo": fifo,
    }
    return solve_built_from(
        instance,
        warm_start,
        lambda decision: set_start(instance, built, decision),
        built.model,
        options,
        start,
        lambda: read_decision(instance, built),
        info,
    )
