"""Exact MILP for STPer (Eq. 15): the fractional revenue made linear by delay levels on the slot grid.

Why exact. On the slot grid (docs/families/routing.md) a task served at node n arrives at an
integer slot d and its delay is t_sum = d·slot + m_u/f_n (Eq. 1–2). The arrival slot is at
most H_{u,n} = ⌊(l_u − m_u/f_n)/slot⌋ (Eq. 14), so t_sum takes one of finitely many values
(the delay levels d = 0..H_{u,n}) and the fractional revenue R = p(1 + η/t_sum)m (Eq. 3) is
a known constant per level. With a binary z_{u,n,d} per level (Σ_d z_{u,n,d} = y_{u,n}),
Eq. (15) becomes the linear
    max Σ_{u,n,d} z_{u,n,d} (p(1 + η/(d·slot + m_u/f_n)) m_u − E_{u,n}),
whose value equals the INLP's on every grid schedule: the MILP is the discretised INLP
itself, not a relaxation or an approximation of it. The model needs no separate z: the
level indicator is the start variable of the route's last link (arrival d ⇔ last link
starts at d − k), or x of the empty route (d = 0).

Scheduling part (time-indexed per candidate path; built solver-neutrally by
:func:`build_schedule`, shared with ``fp-qt``). For every task u the candidate paths P_u
are the simple paths from u's access node to each allowed compute node n whose no-wait
arrival Σ_e (t_sw + k_{u,e}) is ≤ H_{u,n} (every other simple path breaks Eq. 14 whatever
the schedule), optionally cut to the ``k_paths`` fastest per destination. The path (n,) is
computing at the access node.
    x_{u,p} ∈ {0,1}        route p chosen (Eq. 6–9: one destination, conserved loop-free flow)
    w_{u,p,j,s} ∈ {0,1}    on route p, u starts its j-th link at slot s, s ∈ [earliest, latest]:
                           earliest = t_sw + Σ_{i<j}(k_i + t_sw), latest = H_{u,n} − k_j − Σ_{i>j}(t_sw + k_i)
    Σ_p x_{u,p} ≤ 1                                  at most one route (a task may be rejected)
    Σ_s w_{u,p,j,s} = x_{u,p}                        every link of the chosen route gets one start
    Σ_{s ≤ τ} w_{u,p,j+1,s} ≤ Σ_{s ≤ τ−k_j−t_sw} w_{u,p,j,s}   ∀ τ: store-and-forward (Eq. 11),
                                                     the tight cumulative form of s_{j+1} ≥ s_j + k_j + t_sw
    Σ_{(u,p,j): link e} Σ_{s ≤ τ < s + k_{u,e}} w_{u,p,j,s} ≤ 1   ∀ frame, link e, slot τ (Eq. 12–13)
The first-link start ≥ t_sw and the latency bound (Eq. 14) are in the domains of w; no
big-M anywhere. Capacity rows are added only where two tasks can meet.

Path set. With ``k_paths=None`` (default) the candidate set is every simple path that can
meet the latency bound, so the optimum is the optimum of the discretised INLP (the brute
force, which enumerates all simple paths, checks this); with ``k_paths`` set the model is
exact over the cut set only, and when a path was cut the method reports ``feasible`` with
no bound (``info.path_restricted_bound`` keeps it).

Frames share no links (docs/families/routing.md), so the MILP is solved frame by frame and the
optimum, bound and time are summed; ``time_limit`` is shared out over the frames left and
counts the building too (the clock is read while building; past the limit the method stops
with ``time_limit`` and the frames solved so far).

Candidate paths are listed by one depth-first search per task over simple paths from the access
node, cut where the no-wait arrival passes the task's largest horizon (arrivals only grow along
a path), instead of all simple paths up to a hop count per destination: the same set, 3–4× faster.

Solving (measured in benchmarks/RESULTS.md, "routing (STPer): exact at scale"). Each frame goes to HiGHS
as a compressed-column matrix (:func:`to_matrix`, :func:`cpnopt.solvers.highs.solve_matrix`),
not through Pyomo, whose translation took as long as HiGHS itself at 10 tasks per frame. The
LP relaxation of this model (cumulative Eq. (11) rows, one clique row per link and slot) is
tight: HiGHS closed all 60 frames measured (the paper's size, 10 users per frame, the sweeps'
largest points) at the root node, and 70–95 % of its time went to presolve (probing) and the
feasibility-jump heuristic, neither of which that root LP needs. So ``milp`` runs HiGHS with
:data:`TUNED` (presolve and feasibility jump off); ``tuned=False`` gives HiGHS's defaults (both
are exact: the tests prove the brute-force optimum with either). Where the LP is fractional,
HiGHS branches as usual; its other heuristics stay on.

Size. A route of L links with W feasible start slots per link has L·W start variables and
the cumulative Eq. (11) rows hold about (L−1)·W² coefficients: the model grows with the
square of the latency horizon in slots (l_u/slot). Before building, :func:`schedule_size`
counts the coefficients; above :data:`MAX_COEFFICIENTS` (about 0.6 GB of model) the method
refuses with one line (shorten ``max_latency_s``, coarsen ``slot_s`` or set ``k_paths``);
the benchmark suites' largest frame needs about 50,000.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from itertools import chain

import numpy as np
import scipy.sparse as sp

from cpnopt.errors import InputError
from cpnopt.formulations.common.exact import method_trace, register_exact
from cpnopt.formulations.common.model_files import part_path
from cpnopt.problems.routing import RoutingDecision, RoutingInstance, TaskRoute
from cpnopt.problems.routing.decision import REJECTED
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import ExactOptions, MatrixProgram, solve_matrix

Path_ = tuple[int, ...]

MAX_COEFFICIENTS = 1_000_000
"""One frame's model, counted by :func:`schedule_size`. Measured through :func:`to_matrix`: 939,305
coefficients (40 tasks on seed 3's graph) peak at 548 MB and are proven in 47 s; a 1 Mb task on 4 nodes
with l_u = 100 s is 1,002,969 (refused; through Pyomo it took 1.1 GB and 71 s)."""


TUNED = {"presolve": "off", "mip_heuristic_run_feasibility_jump": False}
"""HiGHS options of ``milp`` (module docstring, "Solving"): the root LP closes the gap on every frame measured."""


class BuildTimeLimit(Exception):
    """The time limit ran out while a model was being built."""


def _check_clock(deadline: float | None) -> None:
    if deadline is not None and time.perf_counter() > deadline:
        raise BuildTimeLimit


# ---------------------------------------------------------------------- candidate paths
def candidate_paths(
    instance: RoutingInstance, task: int, destinations: list[int], k_paths: int | None = None
) -> tuple[list[Path_], bool]:
    """Simple paths from the task's access node to ``destinations`` that can meet l_u.

    Returns the paths (fastest first per destination) and whether ``k_paths`` cut any.
    """
    if k_paths is not None and k_paths < 1:
        raise InputError("k_paths", k_paths, "must be ≥ 1 or None (all simple paths)")
    horizon = instance.horizon_slots[task]
    reach = _paths_within(instance, task, {n for n in destinations if horizon[n] >= 0})
    found: list[Path_] = []
    cut = False
    for n in destinations:
        fast = [p for _, p in sorted(reach.get(n, []))]
        if k_paths is not None and len(fast) > k_paths:
            fast, cut = fast[:k_paths], True
        found += fast
    return found, cut


def _paths_within(instance: RoutingInstance, task: int, targets: set[int]) -> dict[int, list[tuple[int, Path_]]]:
    """Per target node n: (no-wait arrival, path) for every simple path from the task's access node to n
    whose no-wait arrival Σ_e (t_sw + k_{u,e}) is ≤ H_{u,n}. One depth-first search over simple paths,
    cut where the arrival passes the largest horizon (arrivals only grow along a path)."""
    horizon = instance.horizon_slots[task]
    k, sw, graph = instance.occupation_slots[task], instance.switch_slots, instance.graph
    limit = max((int(horizon[n]) for n in targets), default=-1)
    reach: dict[int, list[tuple[int, Path_]]] = {n: [] for n in targets}
    stack: list[tuple[Path_, int]] = [((instance.access_node(task),), 0)]
    while stack:
        path, arrival = stack.pop()
        node = path[-1]
        if node in targets and arrival <= horizon[node]:
            reach[node].append((arrival, path))
        for nb, data in graph[node].items():
            later = arrival + sw + int(k[data["index"]])
            if later <= limit and nb not in path:
                stack.append(((*path, nb), later))
    return reach


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


@dataclass(frozen=True)
class Arrival:
    """A variable that is 1 exactly when ``task`` reaches ``node`` at ``slot`` (a delay level of Eq. 15)."""

    var: int
    task: int
    node: int
    slot: int


@dataclass
class Schedule:
    """The scheduling part for a set of tasks and the index maps to read a decision back."""

    model: LinearModel
    paths: dict[int, list[Path_]]  # per task: candidate paths
    x: dict[tuple[int, int], int]  # (task, path index) -> x_{u,p}
    w: dict[tuple[int, int, int], list[tuple[int, int]]]  # (task, path index, position) -> [(slot, w var)]
    arrivals: list[Arrival]  # every delay level's indicator
    restricted: bool  # k_paths cut a path somewhere


def schedule_size(instance: RoutingInstance, paths: dict[int, list[Path_]]) -> int:
    """About how many coefficients :func:`build_schedule` writes for these candidate paths
    (link-choice rows, Eq. 11's cumulative rows, the (link, slot) occupation entries)."""
    sw, total = instance.switch_slots, 0
    for u, found in paths.items():
        k = instance.occupation_slots[u]
        for p in found:
            links = instance.path_links(p)
            if not links:
                continue
            busy = sum(int(k[e]) for e in links) + sw * len(links)
            width = max(0, int(instance.horizon_slots[u, p[-1]]) - busy + 1)  # start slots per link
            total += len(links) * width * (2 + max(int(k[e]) for e in links)) + (len(links) - 1) * width * (width + 1)
    return total


def build_schedule(
    instance: RoutingInstance,
    tasks: list[int],
    destinations: dict[int, list[int]],
    k_paths: int | None = None,
    deadline: float | None = None,
) -> Schedule:
    """Variables x, w and every scheduling row of the module docstring for ``tasks``.

    Raises :class:`InputError` when the model would exceed :data:`MAX_COEFFICIENTS`, and
    :class:`BuildTimeLimit` when ``time.perf_counter()`` passes ``deadline`` while building.
    """
    m = LinearModel()
    sw = instance.switch_slots
    paths: dict[int, list[Path_]] = {}
    x: dict[tuple[int, int], int] = {}
    w: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    arrivals: list[Arrival] = []
    held: dict[tuple[int, int, int], dict[int, int]] = {}  # (frame, link, slot) -> {w var: task}
    restricted = False
    for u in tasks:
        paths[u], cut = candidate_paths(instance, u, destinations[u], k_paths)
        restricted |= cut
        _check_clock(deadline)
    size = schedule_size(instance, paths)
    if size > MAX_COEFFICIENTS:
        horizon = int(max(instance.horizon_slots[u].max() for u in tasks))
        raise InputError(
            "instance",
            f"{size:,} coefficients, latency horizon {horizon} slots",
            f"the routing model is too large (limit {MAX_COEFFICIENTS:,}; it grows with the square of "
            "max_latency_s / slot_s): shorten max_latency_s, coarsen slot_s or set k_paths",
        )
    for u in tasks:
        found = paths[u]
        k = instance.occupation_slots[u]
        frame = instance.tasks[u].frame
        for i, p in enumerate(found):
            _check_clock(deadline)
            x[u, i] = m.var()
            links = instance.path_links(p)
            horizon = int(instance.horizon_slots[u, p[-1]])
            if not links:
                arrivals.append(Arrival(x[u, i], u, p[-1], 0))
                continue
            for j, e in enumerate(links):
                earliest = sw + sum(int(k[f]) + sw for f in links[:j])
                latest = horizon - int(k[e]) - sum(sw + int(k[f]) for f in links[j + 1 :])
                w[u, i, j] = [(s, m.var()) for s in range(earliest, latest + 1)]
                m.add({**{v: 1.0 for _, v in w[u, i, j]}, x[u, i]: -1.0}, "==", 0)  # link j used iff p chosen
                for s, v in w[u, i, j]:
                    for tau in range(s, s + int(k[e])):
                        held.setdefault((frame, e, tau), {})[v] = u
            for j in range(len(links) - 1):  # Eq. (11), cumulative: started j+1 by τ ⇒ started j by τ − k_j − t_sw
                gap = int(k[links[j]]) + sw
                for tau, _ in w[u, i, j + 1]:
                    _check_clock(deadline)
                    later = {v: 1.0 for s, v in w[u, i, j + 1] if s <= tau}
                    earlier = {v: -1.0 for s, v in w[u, i, j] if s <= tau - gap}
                    m.add({**later, **earlier}, "<=", 0)
            last = int(k[links[-1]])
            arrivals += [Arrival(v, u, p[-1], s + last) for s, v in w[u, i, len(links) - 1]]
        m.add({x[u, i]: 1.0 for i in range(len(found))}, "<=", 1)  # at most one route (Eq. 6)
    for users in held.values():  # Eq. (12–13): one task per link and slot, where two tasks can meet
        if len(set(users.values())) > 1:
            m.add({v: 1.0 for v in users}, "<=", 1)
    return Schedule(m, paths, x, w, arrivals, restricted)


def read_routes(instance: RoutingInstance, schedule: Schedule, values: list[float]) -> dict[int, TaskRoute]:
    """Each task's route from a solution vector (rounded binaries)."""
    routes = {}
    for u, found in schedule.paths.items():
        chosen = [i for i in range(len(found)) if values[schedule.x[u, i]] > 0.5]
        if not chosen:
            routes[u] = REJECTED
            continue
        i = chosen[0]
        p = found[i]
        starts = tuple(next(s for s, v in schedule.w[u, i, j] if values[v] > 0.5) for j in range(len(p) - 1))
        routes[u] = TaskRoute(destination=p[-1], path=p, start_slots=starts)
    return routes


# ---------------------------------------------------------------------- the exact MILP
def add_profit(instance: RoutingInstance, schedule: Schedule) -> None:
    """Eq. (15) on the delay levels: each arrival indicator earns p(1 + η/(d·slot + m/f_n))m − E_{u,n}."""
    for a in schedule.arrivals:
        schedule.model.objective[a.var] = instance.profit(a.task, a.node, a.slot)


def to_matrix(model: LinearModel) -> MatrixProgram:
    """The solver-neutral model as HiGHS's compressed-column program (maximisation)."""
    n, rows = len(model.binary), model.rows
    sizes = np.fromiter((len(coefs) for coefs, _, _ in rows), dtype=np.int64, count=len(rows))
    columns = np.fromiter(chain.from_iterable(coefs for coefs, _, _ in rows), dtype=np.int64, count=int(sizes.sum()))
    values = np.fromiter(chain.from_iterable(coefs.values() for coefs, _, _ in rows), dtype=float, count=len(columns))
    matrix = sp.csc_matrix((values, (np.repeat(np.arange(len(rows)), sizes), columns)), shape=(len(rows), n))
    rhs = np.array([b for _, _, b in rows], dtype=float)
    senses = np.array([sense for _, sense, _ in rows], dtype=object)
    costs = np.zeros(n)
    costs[list(model.objective)] = list(model.objective.values())
    return MatrixProgram(
        row_lower=np.where(senses == "<=", -np.inf, rhs),
        row_upper=np.where(senses == ">=", np.inf, rhs),
        costs=costs,
        upper=np.asarray(model.upper, dtype=float),
        integer=np.asarray(model.binary, dtype=bool),
        starts=matrix.indptr[:-1],
        rows=matrix.indices,
        values=matrix.data,
    )


def frame_model(
    instance: RoutingInstance, frame: int, k_paths: int | None = None, deadline: float | None = None
) -> Schedule:
    tasks = instance.tasks_of_frame(frame)
    schedule = build_schedule(instance, tasks, {u: list(range(instance.n_nodes)) for u in tasks}, k_paths, deadline)
    add_profit(instance, schedule)
    return schedule


@register_exact(
    "routing",
    "milp",
    description="time-indexed path-based MILP with delay levels: exact for the slot-grid INLP (Eq. 15), per frame",
)
def milp(
    instance: RoutingInstance, options: ExactOptions, k_paths: int | None = None, tuned: bool = True
) -> MethodOutput:
    """Solve each frame's MILP with HiGHS (handed over as a matrix, no Pyomo; with :data:`TUNED` unless
    ``tuned`` is false: see the module docstring); ``write_model`` gets one file per frame
    (``name.frameT.mps``) when there are several frames."""
    start = time.perf_counter()
    routes: dict[int, TaskRoute] = {}
    statuses, incumbent, bound, sizes = [], 0.0, 0.0, []
    trace: list[list[float | None]] = []
    restricted = False
    frames = [t for t in range(len(instance.frames)) if instance.tasks_of_frame(t)]
    deadline = None if options.time_limit is None else start + options.time_limit
    for done, t in enumerate(frames):
        try:
            schedule = frame_model(instance, t, k_paths, deadline)
            restricted |= schedule.restricted
            if not schedule.arrivals:  # no task of the frame can meet its l_u anywhere: all rejected, optimally
                statuses.append(Status.OPTIMAL)
                continue
            program = to_matrix(schedule.model)
        except BuildTimeLimit:  # the frames solved so far stand; the others' tasks are rejected
            decision = RoutingDecision(tuple(routes.get(u, REJECTED) for u in range(instance.n_tasks)))
            return MethodOutput(
                decision,
                Status.TIME_LIMIT,
                None,
                incumbent,
                {"frames": len(frames), "frames_solved": done},
                f"time limit reached while building frame {t}'s model",
            )
        sizes.append((len(schedule.model.binary), len(schedule.model.rows)))
        began = time.perf_counter() - start
        left = options.time_left(began, len(frames) - done, floor_s=1e-3)
        target = part_path(options.write_model, "frame", t, len(frames))
        result, values = solve_matrix(
            program, replace(options, time_limit=left, write_model=target), TUNED if tuned else None
        )
        if result.status is Status.ERROR:
            return MethodOutput(None, result.status, message=f"frame {t}: {result.message}")
        trace = method_trace(result, began, (incumbent, bound))  # the last frame's is the method's
        statuses.append(result.status)
        if values is not None:
            routes.update(read_routes(instance, schedule, list(values)))
            incumbent += result.objective
        # else: no incumbent in time; rejecting the frame's tasks is feasible and earns 0
        bound = bound + result.bound if bound is not None and result.bound is not None else None
    decision = RoutingDecision(tuple(routes.get(u, REJECTED) for u in range(instance.n_tasks)))
    status = Status.OPTIMAL if all(s is Status.OPTIMAL for s in statuses) else Status.TIME_LIMIT
    info = {
        "frames": len(frames),
        "variables": sum(a for a, _ in sizes),
        "rows": sum(b for _, b in sizes),
        "path_set": f"{k_paths} fastest per destination" if k_paths else "all latency-feasible simple paths",
        "trace": trace,
    }
    if restricted:
        info["path_restricted_bound"] = bound
        info["trace"] = [[t, value, None] for t, value, _ in trace]  # bounds over the cut path set only
        return MethodOutput(
            decision,
            Status.FEASIBLE,
            None,
            incumbent,
            info,
            "k_paths cut candidate paths: optimal over the cut path set only",
        )
    return MethodOutput(decision, status, bound, incumbent, info)
