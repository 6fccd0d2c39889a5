"""Exact MILP for the regional family: task → server assignment with FIFO-exact deadlines.

Eligible pairs (n, i): task n alone on server i meets its deadline and earns a positive
margin p_n − c_{n,i} (``RegionalInstance.eligible``). Other pairs are never in an optimal
plan: removing a task from a FIFO queue delays no other task, so serving a task at a loss
can only be dropped with profit. Variables y_{n,i} ∈ {0,1} (task n on server i); the region
of a task is the region of its server.

    max  Σ_{n,i} (p_n − c_{n,i}) y_{n,i}          price Eq. (5) − cost Eq. (8), cpnopt.economics
    s.t. Σ_i y_{n,i} ≤ 1                ∀ n       one server at most (0: rejected, profit 0)
         FIFO deadlines on each server's queue of eligible tasks (release a_n + T_{n,i},
         processing l_n / f_i, due a_n + τ_n): the exact ``window`` (default) or
         ``completion`` encoding and the interval capacity cuts (``interval_cuts``, a server
         always exists so the cut's right side is t2 − t1) of
         ``cpnopt.formulations.common.fifo``, shared with the clustering family's MILP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from cpnopt.errors import InputError
from cpnopt.fifo import fifo_order, fifo_schedule
from cpnopt.formulations.common.exact import register_exact, solve_built_from
from cpnopt.formulations.common.fifo import FIFO_ENCODINGS, add_fifo_deadlines, add_interval_cuts, linear
from cpnopt.problems.regional import RegionalDecision, RegionalInstance
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import ExactOptions


@dataclass
class RegionalModel:
    model: pyo.ConcreteModel
    pairs: list[tuple[int, int]]  # eligible (task, server)


def server_queue(instance: RegionalInstance, server: int) -> list[int]:
    """Eligible tasks of ``server`` in FIFO order (release time there, ties by index)."""
    tasks = np.flatnonzero(instance.eligible[:, server])
    return [int(n) for n in tasks[fifo_order(instance.release_s[tasks, server])]]


def build_model(instance: RegionalInstance, fifo: str = "window", interval_cuts: bool = True) -> RegionalModel:
    """Build the MILP of the module docstring."""
    if fifo not in FIFO_ENCODINGS:
        raise InputError("fifo", fifo, f"must be one of {', '.join(FIFO_ENCODINGS)}")
    queues = [server_queue(instance, i) for i in range(instance.n_servers)]
    pairs = [(n, i) for i, queue in enumerate(queues) for n in queue]
    due = instance.latest_finish_s.tolist()  # the family's deadline tolerance, as in the evaluator
    margin = instance.margin

    m = pyo.ConcreteModel(name=instance.name or "regional")
    m.P = pyo.Set(initialize=pairs, dimen=2)
    m.y = pyo.Var(m.P, domain=pyo.Binary)
    m.profit = pyo.Objective(
        expr=linear([float(margin[n, i]) for n, i in pairs], [m.y[n, i] for n, i in pairs]), sense=pyo.maximize
    )
    serving: dict[int, list[int]] = {}
    for n, i in pairs:
        serving.setdefault(n, []).append(i)
    m.once = pyo.Constraint(list(serving), rule=lambda _, n: sum(m.y[n, i] for i in serving[n]) <= 1)
    m.fifo = pyo.ConstraintList()
    if fifo == "completion":
        m.C = pyo.Var(m.P, domain=pyo.NonNegativeReals)
    for i, queue in enumerate(queues):
        r, p = instance.release_s[:, i].tolist(), instance.processing_s[:, i].tolist()
        y = {n: m.y[n, i] for n in queue}
        completion = {n: m.C[n, i] for n in queue} if fifo == "completion" else None
        add_fifo_deadlines(m.fifo, queue, y, r, p, due, completion)
        if interval_cuts:
            add_interval_cuts(m.fifo, queue, y, r, p, due)
    return RegionalModel(model=m, pairs=pairs)


def set_start(instance: RegionalInstance, built: RegionalModel, start: RegionalDecision) -> None:
    """Load ``start`` into the model's variables (a MIP start): y from the assignment, C from the FIFO replay."""
    m = built.model
    for n, i in built.pairs:
        m.y[n, i].set_value(int(start.assignment[n] == i))
    if hasattr(m, "C"):
        for n, i in built.pairs:
            m.C[n, i].set_value(float(instance.release_s[n, i] + instance.processing_s[n, i]))
        for i in range(instance.n_servers):
            queue = [n for n in server_queue(instance, i) if start.assignment[n] == i]
            done = fifo_schedule(instance.release_s[queue, i], instance.processing_s[queue, i]).completion_s
            for n, c in zip(queue, done):
                m.C[n, i].set_value(float(c))


def read_decision(instance: RegionalInstance, built: RegionalModel) -> RegionalDecision:
    assignment: list[int | None] = [None] * instance.n_tasks
    for n, i in built.pairs:
        if pyo.value(built.model.y[n, i]) > 0.5:
            assignment[n] = i
    return RegionalDecision(assignment=tuple(assignment))


@register_exact(
    "regional",
    "milp",
    description="task→server MILP, FIFO-exact deadlines shared with clustering (HiGHS)",
)
def milp(
    instance: RegionalInstance,
    options: ExactOptions,
    fifo: str = "window",
    interval_cuts: bool = True,
    warm_start: str | None = None,
) -> MethodOutput:
    """Solve to proven optimality, or to ``time_limit`` (model build included) with incumbent and bound.

    ``warm_start=METHOD`` gives HiGHS that method's plan as a MIP start (e.g. ``two-stage``, so that a
    time-limited solve never returns less than the heuristic; :func:`~cpnopt.formulations.common.exact.warm_start`
    runs it through the registry: formulations import no heuristic).
    """
    start = time.perf_counter()
    built = build_model(instance, fifo=fifo, interval_cuts=interval_cuts)
    info = {"eligible_pairs": len(built.pairs), "constraints": built.model.nconstraints(), "fifo": fifo}
    if not built.pairs:  # nothing can be served on time at a profit: rejecting all is optimal
        return MethodOutput(
            decision=RegionalDecision.rejected(instance.n_tasks),
            status=Status.OPTIMAL,
            bound=0.0,
            model_objective=0.0,
            info={"build_s": time.perf_counter() - start, **info},
        )
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
