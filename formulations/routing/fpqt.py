"""STPer's fractional programming by the quadratic transform (fp-qt), in CVXPY with HiGHS.

With the destinations fixed, Eq. (15)'s fractional part Σ_u p η m_u / t_sum,u is replaced by
Eq. (22): Σ_u 2 y_u √(p η m_u) − y_u² t_sum,u. For fixed routes its maximum over y is at
y_u* = √(p η m_u) / t_sum,u, where it equals the fractional sum; for fixed y it is linear in
t_sum,u = slot·d + m_u/f_n, so the route/slot problem is the scheduling MILP of
``cpnopt.formulations.routing.milp`` (same rows: :func:`build_schedule`) with the objective
    Σ_{levels (u,n,d)} z_{u,n,d} (p m_u − E_{u,n} + 2 y_u √(p η m_u) − y_u² (slot·d + m_u/f_n)),
z being the delay-level indicators (the last link's start variables).
A task may still be rejected (all x_{u,p} = 0) when its fixed destination cannot serve it
in time or at a profit. The problem is built once in CVXPY with the objective coefficients
as ``cp.Parameter``s (DPP), so every outer step re-solves the same compiled problem with
HIGHS; only y changes.

Outer loop: y = y* of a starting schedule, then (solve for x; y ← y*) until the Eq. (15)
objective improves by less than ``tol`` (relative) or ``max_iter`` steps. With the
``nearest``/``cheapest``/``random`` rules the start is that baseline's first-fit schedule
(so fp-qt-R ≥ R, and the history starts with R's profit); with ``milp`` destinations y
starts from each task's no-wait fastest delay (starting from the MILP's own schedule would
return it unchanged). Each step cannot
lower the objective (block ascent on Eq. 22: the x-step maximises it for the current y,
the y-step makes it equal Eq. 15 again); ``info.history`` records it per iteration, and
a step that would lower it (an inexact MILP solve) stops the loop with the best kept.
The result is a fixed point for the given destinations, not the global optimum.

Methods: ``fp-qt`` takes its destinations from ``milp`` by default (option
``destinations=milp|nearest|cheapest|random``; when the MILP ends without an incumbent, e.g.
at its time limit, the ``cheapest`` rule's destinations and schedule are used instead and
``info.destinations`` says so); ``fp-qt-nearest``, ``fp-qt-cheapest`` and
``fp-qt-random`` are the same method with the destination rule fixed.
"""

from __future__ import annotations

import math
import time

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from cpnopt.errors import InputError
from cpnopt.formulations.routing.milp import LinearModel, Schedule, build_schedule, milp, read_routes
from cpnopt.problems.routing import REJECTED, RoutingDecision, RoutingInstance, TaskRoute
from cpnopt.problems.routing.destinations import RULES, choose_routes
from cpnopt.problems.routing.firstfit import first_fit
from cpnopt.registry import Kind, register_method
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import highs_session


class CompiledSchedule:
    """A :class:`LinearModel` as a CVXPY problem with a parameter per objective coefficient."""

    def __init__(self, model: LinearModel) -> None:
        binary = [j for j, b in enumerate(model.binary) if b]
        continuous = [j for j, b in enumerate(model.binary) if not b]
        self.columns = binary + continuous
        self.n_binary = len(binary)
        self.xb = cp.Variable(len(binary), boolean=True)
        self.xc = cp.Variable(len(continuous), nonneg=True)
        self.cb = cp.Parameter(len(binary))
        self.cc = cp.Parameter(len(continuous))
        position = {j: i for i, j in enumerate(self.columns)}
        groups: dict[str, tuple[list[int], list[int], list[float], list[float]]] = {
            "<=": ([], [], [], []),
            "==": ([], [], [], []),
        }
        for coefs, sense, rhs in model.rows:
            sign = -1.0 if sense == ">=" else 1.0
            rows, cols, vals, rhss = groups["==" if sense == "==" else "<="]
            r = len(rhss)
            for j, a in coefs.items():
                rows.append(r)
                cols.append(position[j])
                vals.append(sign * a)
            rhss.append(sign * rhs)
        constraints = [self.xc <= np.array([model.upper[j] for j in continuous])]
        for sense, (rows, cols, vals, rhss) in groups.items():
            if not rhss:
                continue
            a = sp.csr_matrix((vals, (rows, cols)), shape=(len(rhss), len(self.columns)))
            lhs = a[:, : self.n_binary] @ self.xb + a[:, self.n_binary :] @ self.xc
            constraints.append(lhs <= np.array(rhss) if sense == "<=" else lhs == np.array(rhss))
        self.problem = cp.Problem(cp.Maximize(self.cb @ self.xb + self.cc @ self.xc), constraints)

    def solve(self, objective: dict[int, float], **highs_options: float) -> list[float] | None:
        """Maximise Σ objective[j] v_j; the solution indexed like the LinearModel, or None."""
        c = np.array([objective.get(j, 0.0) for j in self.columns])
        self.cb.value, self.cc.value = c[: self.n_binary], c[self.n_binary :]
        with highs_session(highs_options.get("threads")):
            self.problem.solve(solver=cp.HIGHS, warm_start=False, **highs_options)
        if self.xb.value is None:
            return None
        flat = np.concatenate([self.xb.value, self.xc.value])
        values = [0.0] * len(self.columns)
        for i, j in enumerate(self.columns):
            values[j] = float(flat[i])
        return values


def transformed_objective(instance: RoutingInstance, schedule: Schedule, y: dict[int, float]) -> dict[int, float]:
    """Eq. (22)'s coefficient of every delay level for fixed y: p m − E + 2y√(pηm) − y² t_sum."""
    e = instance.economics
    coef: dict[int, float] = {}
    for a in schedule.arrivals:
        m = instance.tasks[a.task].workload_tflop
        root = math.sqrt(e.base_price * e.urgency * m)
        t_sum = instance.delay_s(a.task, a.node, a.slot)
        coef[a.var] = (
            e.base_price * m
            - float(instance.energy_cost[a.task, a.node])
            + 2 * y[a.task] * root
            - y[a.task] ** 2 * t_sum
        )
    return coef


def profit_of(instance: RoutingInstance, routes: dict[int, TaskRoute]) -> tuple[float, dict[int, float]]:
    """Eq. (15) of the routes and each served task's t_sum."""
    total, delay = 0.0, {}
    for u, r in routes.items():
        if r.destination is None:
            continue
        links = instance.path_links(r.path)
        arrival = r.start_slots[-1] + int(instance.occupation_slots[u, links[-1]]) if links else 0
        delay[u] = instance.delay_s(u, r.destination, arrival)
        total += instance.profit(u, r.destination, arrival)
    return total, delay


def fp_qt(
    instance: RoutingInstance,
    destinations: list[int | None],
    start: RoutingDecision | None = None,
    max_iter: int = 20,
    tol: float = 1e-6,
    mip_rel_gap: float = 1e-9,
    time_limit: float | None = None,
) -> tuple[RoutingDecision, list[float]]:
    """The quadratic-transform fixed point for fixed ``destinations``; the decision and Eq. (15) per iteration.

    ``start`` (a feasible decision with these destinations) seeds y with its delays and is
    the history's first entry; tasks it does not serve start from the no-wait delay.
    """
    if max_iter < 1:
        raise InputError("max_iter", max_iter, "must be ≥ 1")
    tasks = [u for u, n in enumerate(destinations) if n is not None]
    schedule = build_schedule(instance, tasks, {u: [destinations[u]] for u in tasks})
    if not any(schedule.paths.values()):  # no fixed destination can serve its task in time
        return RoutingDecision((REJECTED,) * instance.n_tasks), [0.0]
    compiled = CompiledSchedule(schedule.model)
    e = instance.economics
    root = {u: math.sqrt(e.base_price * e.urgency * instance.tasks[u].workload_tflop) for u in tasks}
    y = {}
    for u in tasks:
        fastest = min(
            (instance.delay_s(u, p[-1], instance.no_wait_arrival(u, p)) for p in schedule.paths[u]), default=1.0
        )
        y[u] = root[u] / fastest
    options = {"mip_rel_gap": mip_rel_gap}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    history: list[float] = []
    best: dict[int, TaskRoute] = {}
    if start is not None:
        best = dict(enumerate(start.routes))
        value, delay = profit_of(instance, best)
        history.append(value)
        y.update({u: root[u] / t for u, t in delay.items()})
    for _ in range(max_iter):
        values = compiled.solve(transformed_objective(instance, schedule, y), **options)
        if values is None:
            break
        routes = read_routes(instance, schedule, values)
        value, delay = profit_of(instance, routes)
        if history and value < history[-1] - tol * max(1.0, abs(history[-1])):
            break  # an inexact solve; keep the best
        history.append(value)
        best = routes
        y.update({u: root[u] / t for u, t in delay.items()})
        if len(history) > 1 and value - history[-2] <= tol * max(1.0, abs(history[-2])):
            break
    return RoutingDecision(tuple(best.get(u, REJECTED) for u in range(instance.n_tasks))), history


FALLBACK_RULE = "cheapest"  # destinations when the MILP gives none in its time limit


def starting_point(
    instance: RoutingInstance, rule: str, seed: int, time_limit: float | None
) -> tuple[list[int | None], RoutingDecision | None, str]:
    """Destinations by ``rule`` and, for the heuristic rules, their first-fit schedule as the
    start; and the rule used (``FALLBACK_RULE`` when ``milp`` ended without an incumbent).

    The MILP's own schedule is not used as a start: fp-qt would return it unchanged.
    """
    if rule == "milp":
        out = milp(instance, time_limit=time_limit)
        served = out.decision is not None and any(r.destination is not None for r in out.decision.routes)
        if out.decision is not None and (served or out.status is Status.OPTIMAL):  # an optimum may reject all
            return [r.destination for r in out.decision.routes], None, rule
        rule = FALLBACK_RULE
    paths = choose_routes(instance, rule, seed)
    return [None if p is None else p[-1] for p in paths], first_fit(instance, paths), rule


def _run(
    instance: RoutingInstance, rule: str, seed: int, max_iter: int, tol: float, time_limit: float | None
) -> MethodOutput:
    if rule not in RULES + ("milp",):
        raise InputError("destinations", rule, f"must be one of milp, {', '.join(RULES)}")
    began = time.perf_counter()
    destinations, start, used = starting_point(instance, rule, seed, time_limit)
    middle = time.perf_counter()
    decision, history = fp_qt(instance, destinations, start, max_iter, tol)
    info = {
        "destinations": used if used == rule else f"{used} (milp found no incumbent)",
        "iterations": len(history),
        "history": history,
        "destinations_s": middle - began,
        "fpqt_s": time.perf_counter() - middle,
    }
    return MethodOutput(decision, Status.FEASIBLE, model_objective=history[-1] if history else None, info=info)


@register_method(
    "routing",
    "fp-qt",
    Kind.HEURISTIC,
    description="quadratic transform (Eq. 22) alternated with the slot MILP in CVXPY/HiGHS; destinations=milp|nearest|cheapest|random",
)
def fp_qt_method(
    instance: RoutingInstance,
    destinations: str = "milp",
    seed: int = 0,
    max_iter: int = 20,
    tol: float = 1e-6,
    time_limit: float | None = None,
) -> MethodOutput:
    return _run(instance, destinations, seed, max_iter, tol, time_limit)


@register_method(
    "routing",
    "fp-qt-random",
    Kind.HEURISTIC,
    description="fp-qt from the random baseline's destinations and schedule (≥ random with the same seed)",
)
def fp_qt_random(instance: RoutingInstance, seed: int = 0, max_iter: int = 20, tol: float = 1e-6) -> MethodOutput:
    return _run(instance, "random", seed, max_iter, tol, None)


@register_method(
    "routing",
    "fp-qt-nearest",
    Kind.HEURISTIC,
    description="fp-qt from the nearest baseline's destinations and schedule (≥ nearest)",
)
def fp_qt_nearest(instance: RoutingInstance, max_iter: int = 20, tol: float = 1e-6) -> MethodOutput:
    return _run(instance, "nearest", 0, max_iter, tol, None)


@register_method(
    "routing",
    "fp-qt-cheapest",
    Kind.HEURISTIC,
    description="fp-qt from the cheapest baseline's destinations and schedule (≥ cheapest)",
)
def fp_qt_cheapest(instance: RoutingInstance, max_iter: int = 20, tol: float = 1e-6) -> MethodOutput:
    return _run(instance, "cheapest", 0, max_iter, tol, None)
