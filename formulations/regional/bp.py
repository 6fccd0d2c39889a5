"""Branch-and-price for the regional family (method ``bp``): the FIFO engine of
``cpnopt.formulations.common.branch_and_price`` with every server a queue of its own.

Resources and queues are the servers (a server is a one-member "cluster", so the
partition constraint of P1 becomes one column per server); a server's candidates are its
eligible tasks (alone on time and at a profit, ``RegionalInstance.eligible``) in FIFO
order at release a_n + T_{n,i}, processing l_n / f_i, due a_n + τ_n. A column is
(server i, FIFO-feasible S) worth Σ_{n∈S} (p_n − c_{n,i}), the objective of the evaluator,
of ``milp`` and of ``enumerate``. Branching is on y_{i,n} only (every server is used).
Warm start: the ``two-stage`` heuristic's plan.
"""

from __future__ import annotations

import numpy as np

from cpnopt.formulations.common import branch_and_price as engine
from cpnopt.formulations.common.exact import warm_start as start_from
from cpnopt.formulations.common.fifo_pricing import QueueTable
from cpnopt.formulations.regional.milp import server_queue
from cpnopt.problems.regional import RegionalDecision, RegionalInstance
from cpnopt.registry import get_method, register_method
from cpnopt.solution import MethodOutput


def packing_problem(instance: RegionalInstance) -> engine.PackingProblem:
    queues = [np.array(server_queue(instance, i), dtype=np.int64) for i in range(instance.n_servers)]
    table = QueueTable.build(
        queues,
        [instance.release_s[q, i] for i, q in enumerate(queues)],
        [instance.processing_s[q, i] for i, q in enumerate(queues)],
        [instance.due_s[q] for q in queues],
        [instance.margin[q, i] for i, q in enumerate(queues)],
    )
    return engine.PackingProblem(
        n_resources=instance.n_servers,
        n_tasks=instance.n_tasks,
        members=[(i,) for i in range(instance.n_servers)],
        table=table,
    )


def start_columns(solver: engine.BranchAndPrice, decision: RegionalDecision) -> list[engine.Column]:
    """A heuristic's plan as one column per server (tasks not eligible there dropped)."""
    return [
        solver.column(i, tuple(n for n, a in enumerate(decision.assignment) if a == i and n in solver.margin_of[i]))
        for i in range(solver.problem.n_resources)
    ]


@register_method(
    "regional",
    "bp",
    kind="exact",
    description="branch-and-price (FIFO task-set columns per server, engine shared with clustering)",
)
def branch_and_price(
    instance: RegionalInstance,
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
    """Solve by branch-and-price; ``trace`` writes the (time, incumbent, bound) CSV there,
    ``write_model`` the integer master over the final column pool (``.lp``/``.mps``);
    ``warm_start=METHOD``: that method's plan is an initial plan too (:func:`~.common.exact.warm_start`)."""
    begin = start_from(instance, warm_start)

    def heuristic_plans(solver: engine.BranchAndPrice) -> list[list[engine.Column]]:
        heuristic = [get_method("regional", "two-stage").run(instance).decision] if warm_start_heuristics else []
        return [start_columns(solver, d) for d in [*heuristic, begin.decision] if d is not None]

    result = engine.solve_packing(
        packing_problem(instance),
        heuristic_plans,
        write_model,
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
        threads=threads,
        smoothing=smoothing,
        max_nodes=max_nodes,
    )
    assignment: list[int | None] = [None] * instance.n_tasks
    for column in result.columns:
        for n in column.tasks:
            assignment[n] = column.queue
    out = engine.output(result, RegionalDecision(assignment=tuple(assignment)), trace)
    out.info.update(begin.info)
    return out
