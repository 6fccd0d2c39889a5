"""Exact MILP for STPer (Eq. 15): the fractional revenue made linear by delay levels on the slot grid.

Why exact. On the slot grid (package docstring) a task served at node n arrives at an
integer slot d and its delay is t_sum = d·slot + m_u/f_n (Eq. 1–2). Its arrival slot is at
most H_{u,n} = ⌊(l_u − m_u/f_n)/slot⌋ (Eq. 14), so t_sum takes one of finitely many values
and the fractional revenue R = p(1 + η/t_sum)m (Eq. 3) is a known constant per level.
One binary z_{u,n,d} per (task, destination, level) with Σ_d z_{u,n,d} = y_{u,n} and
Σ_{n,d} d z_{u,n,d} = arrival_u turns Eq. (15) into
    max Σ_{u,n,d} z_{u,n,d} (p(1 + η/(d·slot + m_u/f_n)) m_u − E_{u,n}),
a linear objective whose value equals the INLP's on every grid schedule: the MILP is the
discretised INLP, not a relaxation or an approximation of it.

Scheduling part (time-indexed, path-based; built solver-neutrally by
:func:`build_schedule`, shared with ``fp-qt``). For every task u, candidate paths P_u are
the simple paths from u's access node to each allowed destination n whose no-wait arrival
Σ_e (t_sw + k_{u,e}) is ≤ H_{u,n} (every other simple path breaks Eq. 14 whatever the
schedule), optionally cut to the ``k_paths`` fastest per destination. The empty path is
computing at the access node.
    x_{u,p} ∈ {0,1}                path p chosen (Eq. 6–9: one destination, conserved, loop-free flow)
    w_{u,e,s} ∈ {0,1}              u starts on link e at slot s, s in the union over paths of
                                   [earliest, latest] start of e's position on the path
    A_u ∈ [0, max H]               arrival slot at the destination
    Σ_p x_{u,p} ≤ 1                                    at most one route (a task may be rejected)
    Σ_s w_{u,e,s} = Σ_{p ∋ e} x_{u,p}                  a link is used iff the route uses it
    S_{u,e'} − S_{u,e} ≥ k_{u,e} + t_sw − M(1 − x_{u,p}) consecutive e→e' on p, S = Σ_s s·w (Eq. 11)
    |A_u − S_{u,last(p)} − k_{u,last(p)}| ≤ M(1 − x_{u,p}), A_u ≤ M(1 − x_{u,∅}) for the empty path
    A_u ≤ Σ_p H_{u,dest(p)} x_{u,p}                    latency (Eq. 14)
    Σ_u Σ_{s ≤ τ < s + k_{u,e}} w_{u,e,s} ≤ 1            ∀ link e, slot τ: no overlap (Eq. 12–13)
The first-link start ≥ t_sw is in w's domain. Every M is the smallest slack value.

Path set. With ``k_paths=None`` (default) the candidate set is every simple path that can
meet the latency bound, so the optimum is the optimum of the discretised INLP; with
``k_paths`` set the model is exact over the cut set only, and when a path was cut the
method reports ``feasible`` with no bound (``info.path_restricted_bound`` keeps it).

Frames share no links (package docstring), so the MILP is solved frame by frame and the
optimum, bound and time are summed; ``time_limit`` is shared out over the frames left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from cpnopt.errors import InputError
from cpnopt.problems.routing import RoutingDecision, RoutingInstance, TaskRoute
from cpnopt.problems.routing.decision import REJECTED
from cpnopt.registry import register_method
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import solve_pyomo

Path_ = tuple[int, ...]


# ---------------------------------------------------------------------- candidate paths
def candidate_paths(instance: RoutingInstance, task: int, destinations: list[int],
                    k_paths: int | None = None) -> tuple[list[Path_], bool]:
    """Simple paths from the task's access node to ``destinations`` that can meet l_u.

    Returns the paths (fastest first per destination) and whether ``k_paths`` cut any.
    """
    if k_paths is not None and k_paths < 1:
        raise InputError("k_paths", k_paths, "must be ≥ 1 or None (all simple paths)")
    source = instance.access_node(task)
    horizon = instance.horizon_slots[task]
    hop = instance.switch_slots + 1  # every hop costs at least this many slots
    found: list[Path_] = []
    cut = False
    for n in destinations:
        if horizon[n] < 0:
            continue
        if n == source:
            found.append((n,))
            continue
        reach = [tuple(p) for p in nx.all_simple_paths(instance.graph, source, n, cutoff=max(int(horizon[n]) // hop, 0))]
        fast = sorted((instance.no_wait_arrival(task, p), p) for p in reach)
        fast = [p for arrival, p in fast if arrival <= horizon[n]]
        if k_paths is not None and len(fast) > k_paths:
            fast, cut = fast[:k_paths], True
        found += fast
    return found, cut


# ---------------------------------------------------------------------- solver-neutral model
@dataclass
class LinearModel:
    """Variables (binary or continuous, bounded) and linear rows Σ a_j v_j (≤ | = | ≥) b."""

    binary: list[bool] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    rows: list[tuple[dict[int, float], str, float]] = field(default_factory=list)
    objective: dict[int, float] = field(default_factory=dict)

    def var(self, binary: bool = True, upper: float = 1.0) -> int:
        self.binary.append(binary)
        self.upper.append(upper)
        return len(self.binary) - 1

    def add(self, coefs: dict[int, float], sense: str, rhs: float) -> None:
        """Add a row; a row without variables is dropped (every such row here holds: 0 ≤ b or 0 = 0)."""
        if coefs:
            self.rows.append((coefs, sense, float(rhs)))


@dataclass
class Schedule:
    """The scheduling part for a set of tasks and the index maps to read a decision back."""

    model: LinearModel
    paths: dict[int, list[Path_]]  # per task: candidate paths
    x: dict[tuple[int, int], int]  # (task, path index) -> variable
    w: dict[tuple[int, int], list[tuple[int, int]]]  # (task, link) -> [(slot s, variable w_{u,e,s})]
    arrival: dict[int, int]  # task -> A_u variable
    restricted: bool  # k_paths cut a path somewhere


def _start(starts: list[tuple[int, int]], offset: int = 0, sign: float = 1.0) -> dict[int, float]:
    """Coefficients of sign·(S_{u,e} + offset·[e used]) = sign·Σ_s (s + offset) w_{u,e,s}."""
    return {v: sign * (s + offset) for s, v in starts}


def build_schedule(instance: RoutingInstance, tasks: list[int], destinations: dict[int, list[int]],
                   k_paths: int | None = None, model: LinearModel | None = None) -> Schedule:
    """Variables x, w, A and every scheduling row of the module docstring for ``tasks``."""
    m = model or LinearModel()
    sw = instance.switch_slots
    paths: dict[int, list[Path_]] = {}
    x: dict[tuple[int, int], int] = {}
    w: dict[tuple[int, int], list[tuple[int, int]]] = {}
    arrival: dict[int, int] = {}
    restricted = False
    for u in tasks:
        found, cut = candidate_paths(instance, u, destinations[u], k_paths)
        restricted |= cut
        paths[u] = found
        k = instance.occupation_slots[u]
        horizon = instance.horizon_slots[u]
        domain: dict[int, set[int]] = {}
        for p in found:
            links = instance.path_links(p)
            for i, e in enumerate(links):
                earliest = sw + sum(int(k[f]) + sw for f in links[:i])
                latest = int(horizon[p[-1]]) - int(k[e]) - sum(sw + int(k[f]) for f in links[i + 1 :])
                domain.setdefault(e, set()).update(range(earliest, latest + 1))
        for e in sorted(domain):
            w[u, e] = [(s, m.var()) for s in sorted(domain[e])]
        top = max([int(horizon[p[-1]]) for p in found], default=0)
        arrival[u] = m.var(binary=False, upper=float(top))
        a = arrival[u]
        for i, p in enumerate(found):
            x[u, i] = m.var()
        m.add({x[u, i]: 1.0 for i in range(len(found))}, "<=", 1)
        m.add({a: 1.0, **{x[u, i]: -float(horizon[p[-1]]) for i, p in enumerate(found)}}, "<=", 0)  # Eq. (14)
        for e in domain:
            using = {x[u, i]: -1.0 for i, p in enumerate(found) if e in instance.path_links(p)}
            m.add({**{v: 1.0 for _, v in w[u, e]}, **using}, "==", 0)
        for i, p in enumerate(found):
            links = instance.path_links(p)
            if not links:
                m.add({a: 1.0, x[u, i]: float(top)}, "<=", float(top))
                continue
            for e, f in zip(links, links[1:]):  # Eq. (11): S_f − S_e ≥ k_e + t_sw − M(1 − x)
                big_m = int(k[e]) + sw + max(domain[e])
                m.add({**_start(w[u, f]), **_start(w[u, e], sign=-1.0), x[u, i]: -float(big_m)}, ">=",
                      int(k[e]) + sw - big_m)
            last = links[-1]
            reach = max(domain[last]) + int(k[last])
            m.add({a: 1.0, **_start(w[u, last], int(k[last]), -1.0), x[u, i]: float(top)}, "<=", float(top))
            m.add({a: -1.0, **_start(w[u, last], int(k[last])), x[u, i]: float(reach)}, "<=", float(reach))
    _add_capacity_rows(instance, m, w)
    return Schedule(m, paths, x, w, arrival, restricted)


def _add_capacity_rows(instance: RoutingInstance, m: LinearModel, w: dict[tuple[int, int], list[tuple[int, int]]]) -> None:
    """Σ_u Σ_{s ≤ τ < s + k_{u,e}} w_{u,e,s} ≤ 1 per frame, link and slot, where two tasks can meet (Eq. 12–13)."""
    held: dict[tuple[int, int, int], dict[int, float]] = {}
    owners: dict[tuple[int, int, int], set[int]] = {}
    for (u, e), starts in w.items():
        frame = instance.tasks[u].frame
        for s, v in starts:
            for tau in range(s, s + int(instance.occupation_slots[u, e])):
                held.setdefault((frame, e, tau), {})[v] = 1.0
                owners.setdefault((frame, e, tau), set()).add(u)
    for key, coefs in held.items():
        if len(owners[key]) > 1:
            m.add(coefs, "<=", 1)


def read_routes(instance: RoutingInstance, schedule: Schedule, values: list[float]) -> dict[int, TaskRoute]:
    """Each task's route from a solution vector (rounded binaries)."""
    routes = {}
    for u, found in schedule.paths.items():
        chosen = [i for i in range(len(found)) if values[schedule.x[u, i]] > 0.5]
        if not chosen:
            routes[u] = REJECTED
            continue
        p = found[chosen[0]]
        starts = []
        for e in instance.path_links(p):
            starts.append(next(s for s, v in schedule.w[u, e] if values[v] > 0.5))
        routes[u] = TaskRoute(destination=p[-1], path=p, start_slots=tuple(starts))
    return routes


# ---------------------------------------------------------------------- the exact MILP
def add_delay_levels(instance: RoutingInstance, schedule: Schedule) -> None:
    """z_{u,n,d} with Σ_d z = y_{u,n}, Σ d z = A_u and Eq. (15)'s per-level profit as objective."""
    m = schedule.model
    for u, found in schedule.paths.items():
        level_sum = {schedule.arrival[u]: -1.0}
        for n in sorted({p[-1] for p in found}):
            to_n = [i for i, p in enumerate(found) if p[-1] == n]
            first = min(instance.no_wait_arrival(u, found[i]) for i in to_n)
            z = {d: m.var() for d in range(first, int(instance.horizon_slots[u, n]) + 1)}
            m.add({**{v: 1.0 for v in z.values()}, **{schedule.x[u, i]: -1.0 for i in to_n}}, "==", 0)
            for d, v in z.items():
                level_sum[v] = float(d)
                m.objective[v] = instance.profit(u, n, d)
        m.add(level_sum, "==", 0)


def to_pyomo(model: LinearModel, name: str) -> tuple[pyo.ConcreteModel, pyo.Var]:
    """The solver-neutral model as a Pyomo model (maximisation)."""
    pm = pyo.ConcreteModel(name=name)
    index = range(len(model.binary))
    pm.v = pyo.Var(index, domain=lambda _, j: pyo.Binary if model.binary[j] else pyo.NonNegativeReals,
                   bounds=lambda _, j: (0.0, model.upper[j]))
    pm.rows = pyo.ConstraintList()
    for coefs, sense, rhs in model.rows:
        expr = LinearExpression(constant=0.0, linear_coefs=list(coefs.values()), linear_vars=[pm.v[j] for j in coefs])
        pm.rows.add(expr <= rhs if sense == "<=" else expr >= rhs if sense == ">=" else expr == rhs)
    obj = model.objective
    pm.profit = pyo.Objective(expr=LinearExpression(constant=0.0, linear_coefs=list(obj.values()),
                                                    linear_vars=[pm.v[j] for j in obj]), sense=pyo.maximize)
    return pm, pm.v


def frame_model(instance: RoutingInstance, frame: int, k_paths: int | None = None) -> Schedule:
    tasks = instance.tasks_of_frame(frame)
    schedule = build_schedule(instance, tasks, {u: list(range(instance.n_nodes)) for u in tasks}, k_paths)
    add_delay_levels(instance, schedule)
    return schedule


@register_method(
    "routing", "milp", kind="exact",
    description="time-indexed path-based MILP with delay levels: exact for the slot-grid INLP (Eq. 15), per frame",
)
def milp(instance: RoutingInstance, time_limit: float | None = None, k_paths: int | None = None,
         mip_rel_gap: float = 1e-6, threads: int | None = None, write_model: str | None = None) -> MethodOutput:
    start = time.perf_counter()
    routes: dict[int, TaskRoute] = {}
    statuses, incumbent, bound, sizes = [], 0.0, 0.0, []
    restricted = False
    frames = [t for t in range(len(instance.frames)) if instance.tasks_of_frame(t)]
    for done, t in enumerate(frames):
        schedule = frame_model(instance, t, k_paths)
        restricted |= schedule.restricted
        pm, v = to_pyomo(schedule.model, f"{instance.name or 'routing'}-frame{t}")
        sizes.append((len(schedule.model.binary), len(schedule.model.rows)))
        left = None
        if time_limit is not None:
            left = max((time_limit - (time.perf_counter() - start)) / (len(frames) - done), 1e-3)
        target = None if write_model is None else _frame_path(write_model, t, len(frames))
        result = solve_pyomo(pm, time_limit=left, mip_rel_gap=mip_rel_gap, threads=threads, write_model_to=target)
        statuses.append(result.status)
        if not result.has_solution:
            return MethodOutput(None, result.status, message=f"frame {t}: {result.message}")
        values = [pyo.value(v[j]) for j in range(len(schedule.model.binary))]
        routes.update(read_routes(instance, schedule, values))
        incumbent += result.objective
        bound = bound + result.bound if bound is not None and result.bound is not None else None
    decision = RoutingDecision(tuple(routes.get(u, REJECTED) for u in range(instance.n_tasks)))
    status = Status.OPTIMAL if all(s is Status.OPTIMAL for s in statuses) else Status.TIME_LIMIT
    info = {"frames": len(frames), "variables": sum(a for a, _ in sizes), "rows": sum(b for _, b in sizes),
            "path_set": f"{k_paths} fastest per destination" if k_paths else "all latency-feasible simple paths"}
    if restricted:
        info["path_restricted_bound"] = bound
        return MethodOutput(decision, Status.FEASIBLE, None, incumbent, info,
                            "k_paths cut candidate paths: optimal over the cut path set only")
    return MethodOutput(decision, status, bound, incumbent, info)


def _frame_path(path: str, frame: int, n_frames: int) -> str:
    if n_frames == 1:
        return path
    p = Path(path)
    return str(p.with_name(f"{p.stem}.frame{frame}{p.suffix}"))
