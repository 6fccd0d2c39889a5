"""Branch-and-price for P1 (method ``bp``): the FIFO engine of ``cpnopt.formulations.common.branch_and_price``
with the feasible clusters as queues.

Resources are the servers, queues the feasible clusters (cliques of the within-R_max graph
up to ``max_cluster_size``, Eq. 10c; every singleton is one), each with its eligible tasks
in FIFO order (alone on time and p_n > c_{n,k}, as the compact MILP and ``cg``) at
release, processing and cost of Eq. (1)–(4), (8). A column is (cluster k, FIFO-feasible S)
worth Σ_{n∈S} (p_n − c_{n,k}): payment = cost, the full-information optimum that ``milp``,
``cg`` and ``enumerate`` compute too, so the four agree on the optimum.

Warm start: the plans of the k-means heuristics (``km-rea``, ``km-ob-rea``), each task they
serve kept when it is eligible on its cluster (dropping a task from a FIFO queue delays
no other), paid at cost.
"""

from __future__ import annotations

import numpy as np

from cpnopt.formulations.clustering.cg import Column as ClusterColumn
from cpnopt.formulations.clustering.cg import decision_from_columns
from cpnopt.formulations.clustering.milp import eligible_tasks
from cpnopt.formulations.common import branch_and_price as engine
from cpnopt.formulations.common.exact import warm_start as start_from
from cpnopt.formulations.common.fifo_pricing import QueueTable
from cpnopt.problems.clustering import ClusteringDecision, ClusteringInstance, feasible_clusters
from cpnopt.registry import get_method, register_method
from cpnopt.solution import MethodOutput

WARM_START_HEURISTICS = ("km-rea", "km-ob-rea")


def packing_problem(instance: ClusteringInstance) -> tuple[engine.PackingProblem, list, list]:
    """The engine's problem for ``instance``, with the clusters and their terms (read a plan back with them)."""
    clusters = feasible_clusters(instance)
    terms = [instance.cluster_terms(c) for c in clusters]
    queues = [np.array(eligible_tasks(instance, t), dtype=np.int64) for t in terms]
    table = QueueTable.build(
        queues,
        [t.release_s[q] for t, q in zip(terms, queues)],
        [t.processing_s[q] for t, q in zip(terms, queues)],
        [instance.due_s[q] for q in queues],
        [(instance.price - t.cost)[q] for t, q in zip(terms, queues)],
    )
    problem = engine.PackingProblem(
        n_resources=instance.n_servers, n_tasks=instance.n_tasks, members=clusters, table=table
    )
    return problem, clusters, terms


def start_columns(
    solver: engine.BranchAndPrice, clusters: list[tuple[int, ...]], decision: ClusteringDecision
) -> list[engine.Column]:
    """A heuristic's decision as the engine's columns (its ineligible tasks dropped)."""
    index = {c: k for k, c in enumerate(clusters)}
    columns = []
    for position, members in enumerate(decision.clusters):
        k = index[tuple(sorted(members))]
        candidates = solver.margin_of[k]
        tasks = tuple(n for n, a in enumerate(decision.assignment) if a == position and n in candidates)
        columns.append(solver.column(k, tasks))
    return columns


@register_method(
    "clustering",
    "bp",
    kind="exact",
    description="branch-and-price (FIFO task-set columns per cluster, compiled pricing): proven optima at Table I sizes",
)
def branch_and_price(
    instance: ClusteringInstance,
    time_limit: float | None = 60.0,
    mip_rel_gap: float = 1e-6,
    threads: int | None = None,
    smoothing: float = engine.SMOOTHING,
    warm_start_heuristics: bool = True,
    warm_start: str | None = None,
    max_nodes: int | None = None,
    trace: str | None = None,
    write_model: str | None = None,
) -> MethodOutput:
    """Solve P1 by branch-and-price; ``trace`` writes the (time, incumbent, bound) CSV there,
    ``write_model`` the integer master over the final column pool (``.lp``/``.mps``);
    ``warm_start=METHOD``: that method's plan is an initial plan too (:func:`~.common.exact.warm_start`)."""
    problem, clusters, terms = packing_problem(instance)
    begin = start_from(instance, warm_start)

    def heuristic_plans(solver: engine.BranchAndPrice) -> list[list[engine.Column]]:
        names = WARM_START_HEURISTICS if warm_start_heuristics else ()
        decisions = [get_method("clustering", n).run(instance).decision for n in names]
        return [start_columns(solver, clusters, d) for d in [*decisions, begin.decision] if d is not None]

    result = engine.solve_packing(
        problem,
        heuristic_plans,
        write_model,
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
        threads=threads,
        smoothing=smoothing,
        max_nodes=max_nodes,
    )
    chosen = [ClusterColumn(c.queue, c.tasks, c.profit) for c in result.columns]
    out = engine.output(result, decision_from_columns(instance, clusters, terms, chosen), trace)
    out.info.update(begin.info)
    return out
