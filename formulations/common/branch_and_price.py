"""FIFO branch-and-price: the engine shared by every family whose plans pack FIFO queues.

A family describes its problem as *resources* (servers) and *queues*: a queue covers a set
of resources (a clustering family's cluster covers its servers, a regional server covers
itself) and has candidate tasks in FIFO order (:class:`~cpnopt.formulations.common.fifo_pricing.QueueTable`).
A plan picks, for every resource, exactly one queue covering it, and for each picked queue
a FIFO-feasible task set; each task is served at most once. A column is a pair (queue q,
FIFO-feasible task set S) worth Σ_{n∈S} margin_{q,n}.

Master LP (Dantzig–Wolfe, λ ≥ 0 per column):   max Σ profit_col λ_col
    Σ_{col ∋ resource i} λ_col + a_i = 1     ∀ i   (dual π_i)   partition (DCAT Eq. 10a)
    Σ_{col ∋ task n} λ_col ≤ 1               ∀ n   (dual σ_n ≥ 0)
with artificial columns a_i (and a_n in the task rows) of cost −M (M = Σ_n max_q margin + 1,
more than any plan earns), so that every node's master is feasible; it stays a relaxation
of the node, and any plan that needs an artificial is worth < 0, so its bound prunes it. Pricing per queue q: max Σ_{n∈S} (margin_{q,n} − σ_n) − Σ_{i∈q} π_i, the exact
DP of :mod:`cpnopt.formulations.common.fifo_pricing`.

**Bound (Lagrangian).** For any duals (π, σ ≥ 0) with reduced costs rc_q of each queue's
best column, every plan, and every point of the node's master LP, earns at most
Σπ + Σσ + Σ_i max(0, max_{q∋i} rc_q / |q|): a plan picks disjoint queues, so each resource
carries at most one queue's share rc_q/|q| (for a regional server, max(0, rc_i)). It needs
a full pricing round; at the master's own duals it equals z_RMP once no column prices out.

**Stabilisation.** Pricing uses Wentges-smoothed duals α·centre + (1 − α)·RMP duals, the
centre being the duals of the best Lagrangian bound at the node so far (α = ``smoothing``).
A mis-price (no column at the smoothed duals) moves the centre and shrinks the gap
between the bound and z_RMP by at least the factor α; after a few in a row α drops to 0.

**Partial pricing.** Queues are priced in chunks, most recently profitable first; a round
stops once enough columns are found, and only a full round (every allowed queue) updates
the bound, so the bound is never claimed from partial pricing.

**Branching** keeps the pricing exact and the master's rows unchanged (only column
bounds, and a task row's lower bound): first on a queue being used, z_q = Σ_{col of q} λ
(z_q = 1 forbids every queue sharing a resource with q; z_q = 0 forbids q), then on a task
being served at all, x_n = Σ_{col ∋ n} λ (x_n = 1 makes its row an equality, whose dual σ_n
may then be negative — the DP takes any weight; x_n = 0 forbids n everywhere), then on a
task being served by a queue, y_{q,n} = Σ_{col of q ∋ n} λ (y = 0 forbids n in q's pricing;
y = 1 forces n into q's pricing and forbids n in every other queue, and forces q as
z_q = 1). With z and y integral every used queue's columns in the support serve the same
tasks, so the plan is integral.
Nodes are explored best bound first.

**Incumbents** come from the warm start (the families' heuristics, as columns), from every
node LP (an integral one, or a greedy packing of its columns by λ then profit; resources
left over take their singleton queue serving nothing), and from the restricted master
solved as a MIP by HiGHS over the column pool, and from a dive with column fixing (both
after the root, then every ``mip_every_s`` from the node at hand). The root's column
generation may use only 1 − ``ROOT_RESERVE`` of the time limit: when it is cut there (a large
instance on a slow or loaded machine), the rest goes to a greedy packing of the last LP
solution and to the restricted master MIP over the columns generated so far, so the plan is
never just the warm start when the pool holds a better one.

The master LP is one :class:`cpnopt.solvers.highs.IncrementalLP` (the HiGHS runner's): columns
are added incrementally, node switches only change column bounds, and every solve is
warm-started from the last basis; the restricted master MIP is the runner's
:func:`~cpnopt.solvers.highs.solve_binary_program`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from cpnopt.errors import InputError
from cpnopt.formulations.common.exact import write_trace
from cpnopt.formulations.common.fifo_pricing import FORBIDDEN, FORCED, QueueTable, compile_pricing, price
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import IncrementalLP, solve_binary_program, write_binary_program

SMOOTHING = 0.5
MISPRICES_BEFORE_PLAIN = 5
ROOT_RESERVE = 0.15  # share of the time limit kept for the incumbent when the root's column generation is cut


@dataclass(frozen=True)
class Column:
    queue: int
    tasks: tuple[int, ...]  # sorted task indices
    profit: float


@dataclass(frozen=True)
class PackingProblem:
    """Resources, queues (their members and FIFO candidates) and tasks: a family's master."""

    n_resources: int
    n_tasks: int
    members: list[tuple[int, ...]]  # resources each queue covers
    table: QueueTable

    def __post_init__(self) -> None:
        singles = {m[0] for m in self.members if len(m) == 1}
        missing = sorted(set(range(self.n_resources)) - singles)
        if missing:
            raise ValueError(f"resources {missing[:5]} have no singleton queue (needed for an always-feasible plan)")

    @property
    def n_queues(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Decision:
    """One branching decision, fixed to ``value``: on z_q (``task`` None), on x_task (``queue`` None)
    or on y_{q,task}."""

    queue: int | None
    task: int | None
    value: int


@dataclass
class Node:
    bound: float
    decisions: tuple[Decision, ...]
    depth: int


@dataclass
class Result:
    columns: list[Column]  # the incumbent: one column per resource's queue, disjoint tasks
    objective: float
    bound: float
    proven: bool
    info: dict = field(default_factory=dict)


class _Restrictions:
    """What a node's decisions allow: queues, per-entry pricing states, columns."""

    def __init__(
        self,
        problem: PackingProblem,
        decisions: tuple[Decision, ...],
        owner: list[list[int]],
        task_entries: list[np.ndarray],
    ) -> None:
        table = problem.table
        self.queue_on = np.zeros(problem.n_queues, dtype=bool)
        self.queue_off = np.zeros(problem.n_queues, dtype=bool)
        self.task_off: list[tuple[int, int]] = []
        self.task_on: dict[int, int] = {}  # task → the queue it is forced into
        self.served = np.zeros(problem.n_tasks, dtype=bool)  # x_n = 1: the task row is an equality
        rejected: list[int] = []
        self.state = np.zeros(len(table.task), dtype=np.int8)
        for d in decisions:
            if d.queue is None:
                if d.value:
                    self.served[d.task] = True
                else:
                    rejected.append(d.task)
            elif d.task is None:
                (self.queue_on if d.value else self.queue_off)[d.queue] = True
            elif d.value:
                self.task_on[d.task] = d.queue
                self.queue_on[d.queue] = True
            else:
                self.task_off.append((d.queue, d.task))
        self.infeasible = False
        used = np.zeros(problem.n_resources, dtype=bool)
        for q in np.flatnonzero(self.queue_on):
            if used[list(problem.members[q])].any() or self.queue_off[q]:
                self.infeasible = True
            used[list(problem.members[q])] = True
            for i in problem.members[q]:
                for other in owner[i]:
                    if other != q:
                        self.queue_off[other] = True
        entry_queue = np.repeat(np.arange(problem.n_queues), np.diff(table.start))
        for q, n in self.task_off:
            entries = task_entries[n]
            self.state[entries[entry_queue[entries] == q]] = FORBIDDEN
        self.rejected = rejected
        for n in rejected:
            self.state[task_entries[n]] = FORBIDDEN
        for n, q in self.task_on.items():
            entries = task_entries[n]
            mine = entry_queue[entries] == q
            self.state[entries[~mine]] = FORBIDDEN
            if not mine.any() or self.state[entries[mine]].max(initial=0) == FORBIDDEN:
                self.infeasible = True
            self.state[entries[mine]] = FORCED

    def allowed_columns(self, col_queue: np.ndarray, task_cols: list[list[int]]) -> np.ndarray:
        allowed = ~self.queue_off[col_queue]
        for n in self.rejected:
            allowed[np.asarray(task_cols[n], dtype=np.int64)] = False
        for q, n in self.task_off:
            ids = np.asarray(task_cols[n], dtype=np.int64)
            allowed[ids[col_queue[ids] == q]] = False
        for n, q in self.task_on.items():
            ids = np.asarray(task_cols[n], dtype=np.int64)
            allowed[ids[col_queue[ids] != q]] = False
            serving = np.zeros(len(col_queue), dtype=bool)
            serving[ids] = True
            allowed[(col_queue == q) & ~serving] = False
        return allowed


def _column_matrix(problem: PackingProblem, columns: list[Column]) -> tuple[np.ndarray, np.ndarray]:
    """The columns' rows in compressed-column form (starts, rows): their resources, then their tasks."""
    starts, index, n_res = [], [], problem.n_resources
    for c in columns:
        starts.append(len(index))
        index.extend(problem.members[c.queue])
        index.extend(n_res + n for n in c.tasks)
    return np.array(starts, dtype=np.int64), np.array(index, dtype=np.int64)


def _master_rows(problem: PackingProblem) -> tuple[np.ndarray, np.ndarray]:
    """Row bounds: every resource in exactly one column (= 1), every task at most once (≤ 1)."""
    n_res, n_tasks = problem.n_resources, problem.n_tasks
    return np.concatenate([np.ones(n_res), np.full(n_tasks, -np.inf)]), np.ones(n_res + n_tasks)


class _MasterLP:
    """The master LP on the HiGHS runner's :class:`IncrementalLP`: rows fixed, columns added,
    bounds changed per node; one artificial column per row keeps every node's LP feasible."""

    def __init__(self, problem: PackingProblem, penalty: float, threads: int | None) -> None:
        self.problem = problem
        self.lp = IncrementalLP(*_master_rows(problem), maximize=True, threads=threads)
        n_rows = problem.n_resources + problem.n_tasks
        rows = np.arange(n_rows)
        self.lp.add_columns(
            np.full(n_rows, -penalty), np.zeros(n_rows), np.full(n_rows, np.inf), rows, rows, np.ones(n_rows)
        )
        self.n_artificial = n_rows

    @property
    def restarts(self) -> int:
        return self.lp.restarts

    def add(self, columns: list[Column]) -> None:
        if not columns:
            return
        starts, index = _column_matrix(self.problem, columns)
        n = len(columns)
        self.lp.add_columns(
            np.array([c.profit for c in columns]), np.zeros(n), np.full(n, np.inf), starts, index, np.ones(len(index))
        )

    def set_allowed(self, allowed: np.ndarray) -> None:
        n = len(allowed)
        self.lp.set_column_bounds(
            np.arange(self.n_artificial, self.n_artificial + n), np.zeros(n), np.where(allowed, np.inf, 0.0)
        )

    def set_served(self, served: np.ndarray) -> None:
        """Task rows: Σ λ ≤ 1, or = 1 where ``served``."""
        n_res, n = self.problem.n_resources, self.problem.n_tasks
        self.lp.set_row_bounds(np.arange(n_res, n_res + n), np.where(served, 1.0, -np.inf), np.ones(n))

    def solve(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Objective, artificial values, column values λ, resource duals π and task duals σ."""
        objective, values, duals = self.lp.solve_primal_dual()
        n_res = self.problem.n_resources
        return (objective, values[: self.n_artificial], values[self.n_artificial :], duals[:n_res], duals[n_res:])


def write_master(path: str, problem: PackingProblem, columns: list[Column]) -> None:
    """Save the master over ``columns`` as a binary program (``.lp``/``.mps``): the integer
    model whose optimum over the final column pool is the method's incumbent or better."""
    starts, index = _column_matrix(problem, columns)
    write_binary_program(
        path, *_master_rows(problem), np.array([c.profit for c in columns]), starts, index, np.ones(len(index))
    )


def _restricted_mip(
    problem: PackingProblem, columns: list[Column], start: list[Column] | None, time_limit: float, threads: int | None
) -> list[Column] | None:
    """The master over the column pool as a binary program (HiGHS), from ``start``; its best plan or None."""
    starts, index = _column_matrix(problem, columns)
    values = None
    if start is not None:
        position = {(c.queue, c.tasks): j for j, c in enumerate(columns)}
        values = np.zeros(len(columns))
        for c in start:
            values[position[(c.queue, c.tasks)]] = 1.0
    found = solve_binary_program(
        *_master_rows(problem),
        np.array([c.profit for c in columns]),
        starts,
        index,
        np.ones(len(index)),
        start=values,
        time_limit=time_limit,
        threads=threads,
    )
    return None if found is None else [columns[j] for j in np.flatnonzero(found > 0.5)]


class BranchAndPrice:
    """The engine: see the module docstring. ``solve`` runs it once."""

    def __init__(
        self,
        problem: PackingProblem,
        time_limit: float | None = 60.0,
        mip_rel_gap: float = 1e-6,
        threads: int | None = None,
        smoothing: float = SMOOTHING,
        chunk: int | None = None,
        mip_every_s: float = 15.0,
        max_nodes: int | None = None,
        dive_share: float = 0.3,
    ) -> None:
        if time_limit is not None and not time_limit > 0:
            raise InputError("time_limit", time_limit, "must be a positive number of seconds")
        if not 0 <= mip_rel_gap < 1:
            raise InputError("mip_rel_gap", mip_rel_gap, "must be in [0, 1)")
        if threads is not None and threads < 1:
            raise InputError("threads", threads, "must be ≥ 1")
        if not 0 <= smoothing < 1:
            raise InputError("smoothing", smoothing, "must be in [0, 1)")
        if max_nodes is not None and max_nodes < 1:
            raise InputError("max_nodes", max_nodes, "must be ≥ 1")
        self.problem = problem
        self.limit = math.inf if time_limit is None else float(time_limit)
        self.gap = mip_rel_gap
        self.threads = threads
        self.smoothing = smoothing
        self.chunk = chunk or max(64, problem.n_queues // 8)
        self.mip_every_s = mip_every_s
        self.dive_share = dive_share
        self.max_nodes = max_nodes
        table = problem.table
        self.penalty = (
            float(np.bincount(table.task, weights=np.maximum(table.margin, 0), minlength=problem.n_tasks).sum()) + 1.0
        )
        self.owner: list[list[int]] = [[] for _ in range(problem.n_resources)]
        for q, members in enumerate(problem.members):
            for i in members:
                self.owner[i].append(q)
        order = np.argsort(table.task, kind="stable")
        splits = np.searchsorted(table.task[order], np.arange(problem.n_tasks + 1))
        self.task_entries = [order[splits[n] : splits[n + 1]] for n in range(problem.n_tasks)]
        self.margin_of = [
            dict(
                zip(
                    table.task[table.start[q] : table.start[q + 1]].tolist(),
                    table.margin[table.start[q] : table.start[q + 1]].tolist(),
                )
            )
            for q in range(problem.n_queues)
        ]
        self.singleton = {m[0]: q for q, m in enumerate(problem.members) if len(m) == 1}
        self.size = np.array([len(m) for m in problem.members], dtype=float)
        self.incidence = csr_matrix(
            (
                np.ones(int(self.size.sum())),
                np.concatenate([list(m) for m in problem.members]),
                np.concatenate([[0], np.cumsum(self.size)]).astype(np.int64),
            ),
            shape=(problem.n_queues, problem.n_resources),
        )
        self.columns: list[Column] = []
        self.col_queue = np.zeros(0, dtype=np.int64)
        self.task_cols: list[list[int]] = [[] for _ in range(problem.n_tasks)]
        self.known: set[tuple[int, tuple[int, ...]]] = set()
        self.priority = np.zeros(problem.n_queues)  # last reduced cost: profitable queues are priced first
        self.incumbent: list[Column] = []
        self.incumbent_value = -math.inf
        self.trace: list[tuple[float, float, float]] = []
        self.stats = {
            "nodes": 0,
            "pricing_rounds": 0,
            "full_rounds": 0,
            "lp_solves": 0,
            "mispricings": 0,
            "pricing_s": 0.0,
            "lp_s": 0.0,
            "mip_s": 0.0,
            "mip_runs": 0,
            "max_depth": 0,
            "dive_nodes": 0,
            "dive_s": 0.0,
            "root_cut": False,  # the root's column generation stopped at 1 − ROOT_RESERVE of the limit
        }

    # ------------------------------------------------------------------ columns and incumbents
    def column(self, queue: int, tasks: tuple[int, ...]) -> Column:
        margin = self.margin_of[queue]
        return Column(queue, tuple(sorted(tasks)), float(sum(margin[n] for n in tasks)))

    def _add_columns(self, columns: list[Column]) -> list[Column]:
        fresh = []
        for c in columns:
            if (c.queue, c.tasks) not in self.known:
                self.known.add((c.queue, c.tasks))
                for n in c.tasks:
                    self.task_cols[n].append(len(self.columns) + len(fresh))
                fresh.append(c)
        self.columns.extend(fresh)
        self.col_queue = np.concatenate([self.col_queue, np.array([c.queue for c in fresh], dtype=np.int64)])
        self.master.add(fresh)
        return fresh

    def _complete(self, chosen: list[Column]) -> list[Column]:
        """Add the singleton queue (serving nothing) of every resource ``chosen`` leaves uncovered."""
        covered = {i for c in chosen for i in self.problem.members[c.queue]}
        return chosen + [
            Column(self.singleton[i], (), 0.0) for i in range(self.problem.n_resources) if i not in covered
        ]

    def offer(self, chosen: list[Column]) -> None:
        """A feasible plan (columns on disjoint resources and tasks): keep it if it beats the incumbent."""
        plan = self._complete(chosen)
        value = float(sum(c.profit for c in plan))
        if value > self.incumbent_value + 1e-9:
            self._add_columns(plan)
            self.incumbent, self.incumbent_value = plan, value
            self._record()

    def _greedy(self, weights: np.ndarray) -> list[Column]:
        """Columns by decreasing ``weights`` (then profit), each kept if its resources and tasks are free."""
        used_res: set[int] = set()
        used_tasks: set[int] = set()
        chosen = []
        for j in np.lexsort((-np.array([c.profit for c in self.columns]), -weights)):
            c = self.columns[j]
            members = self.problem.members[c.queue]
            if used_res.intersection(members) or used_tasks.intersection(c.tasks):
                continue
            chosen.append(c)
            used_res.update(members)
            used_tasks.update(c.tasks)
        return chosen

    def _run_mip(self, budget: float | None = None) -> None:
        """The restricted master MIP over the column pool, for ``budget`` seconds (default: a tenth of
        the time left, at most 30 s); skipped under half a second."""
        if budget is None:
            budget = min(max(0.0, self.limit - self.elapsed()) * 0.1, 30.0)
        if budget < 0.5:
            return
        tic = time.perf_counter()
        found = _restricted_mip(self.problem, self.columns, self.incumbent, budget, self.threads)
        self.stats["mip_s"] += time.perf_counter() - tic
        self.stats["mip_runs"] += 1
        self.last_mip = self.elapsed()
        if found is not None:
            self.offer(found)

    def _rescue_root(self) -> None:
        """The root's column generation was cut (``ROOT_RESERVE``): the incumbent from what it
        generated — a greedy packing of the last LP solution, then the restricted master MIP in the
        time that is left."""
        if self.last_lam is not None:
            weights = np.zeros(len(self.columns))
            weights[: len(self.last_lam)] = self.last_lam
            self.offer(self._greedy(weights))
        self.stats["root_cut"] = True
        self._run_mip(budget=max(self.limit - self.elapsed(), 0.5))  # at most half a second past the limit

    # ------------------------------------------------------------------ bookkeeping
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def _tolerance(self) -> float:
        return max(self.gap * abs(self.incumbent_value), 1e-6)

    def _global_bound(self) -> float:
        open_bound = max((n.bound for n in self.queue), default=-math.inf)
        return max(self.incumbent_value, self.pruned_bound, open_bound, self.current_bound)

    def _record(self) -> None:
        if not hasattr(self, "queue"):
            return
        entry = (self.elapsed(), self.incumbent_value, self._global_bound())
        if not self.trace or self.trace[-1][1:] != entry[1:]:
            self.trace.append(entry)

    # ------------------------------------------------------------------ pricing
    def _price_round(
        self,
        node_state: _Restrictions,
        pi: np.ndarray,
        sigma: np.ndarray,
        allowed_queues: np.ndarray,
        full: bool = False,
    ) -> tuple[list[Column], np.ndarray | None]:
        """One pricing round: columns of positive reduced cost, and every queue's best reduced cost
        when the round went through all queues (else None)."""
        order = allowed_queues[np.argsort(-self.priority[allowed_queues], kind="stable")]
        queue_dual = self.incidence @ pi
        found: list[Column] = []
        reduced = np.full(self.problem.n_queues, -math.inf)
        tic = time.perf_counter()
        target = len(order) if full else max(10, self.problem.n_resources // 2)
        full = True
        for lo in range(0, len(order), self.chunk):
            part = order[lo : lo + self.chunk]
            priced = price(self.problem.table, part, sigma, node_state.state)
            rc = priced.values - queue_dual[part]
            reduced[part] = rc
            self.priority[part] = np.where(np.isfinite(rc), rc, -math.inf)
            for j in np.flatnonzero(rc > 1e-7 * max(1.0, abs(self.incumbent_value))):
                found.append(self.column(int(part[j]), priced.tasks(j)))
            if len(found) >= target and lo + self.chunk < len(order):
                full = False
                break
        self.stats["pricing_s"] += time.perf_counter() - tic
        self.stats["pricing_rounds"] += 1
        self.stats["full_rounds"] += int(full)
        return found, (reduced if full else None)

    def _lagrangian(self, pi: np.ndarray, sigma: np.ndarray, reduced: np.ndarray) -> float:
        share = np.maximum(reduced, 0.0) / self.size
        best = np.maximum(-self.penalty - pi, 0.0)  # the artificial column of each resource
        extra = float(np.maximum(-self.penalty - sigma, 0.0).sum())  # task artificials (≤ 1 each)
        for q in np.flatnonzero(share > 0):
            for i in self.problem.members[q]:
                best[i] = max(best[i], share[q])
        return float(pi.sum() + sigma.sum() + best.sum()) + extra

    # ------------------------------------------------------------------ one node
    def _solve_node(self, node: Node) -> tuple[str, float, np.ndarray | None, _Restrictions | None]:
        """Column generation at ``node``: ('pruned' | 'solved' | 'timeout', its bound, λ, restrictions)."""
        state = _Restrictions(self.problem, node.decisions, self.owner, self.task_entries)
        if state.infeasible:
            return "pruned", -math.inf, None, None
        # a queue whose forced tasks cannot run together is unusable at this node
        forced_queues = np.array(sorted(set(state.task_on.values())), dtype=np.int64)
        if len(forced_queues):
            check = price(self.problem.table, forced_queues, np.full(self.problem.n_tasks, 1e9), state.state)
            if not np.isfinite(check.values).all():
                return "pruned", -math.inf, None, None
            self._add_columns([self.column(int(q), check.tasks(j)) for j, q in enumerate(check.queues)])
        self.master.set_allowed(state.allowed_columns(self.col_queue, self.task_cols))
        self.master.set_served(state.served)
        allowed_queues = np.flatnonzero(~state.queue_off)
        bound = node.bound
        self.current_bound = bound
        centre: tuple[np.ndarray, np.ndarray] | None = None
        centre_value = math.inf
        mispriced = 0
        fresh = [None]
        deadline = self.limit if self.root_done else (1.0 - ROOT_RESERVE) * self.limit
        while True:
            if self.elapsed() > deadline:
                return "timeout", bound, None, state
            if fresh:  # the master changed (new columns, or a new node): solve it again
                tic = time.perf_counter()
                value, artificial, lam, pi, sigma = self.master.solve()
                self.last_lam = lam
                sigma = np.where(state.served, sigma, np.maximum(sigma, 0.0))  # σ ≥ 0 on ≤ rows
                self.stats["lp_s"] += time.perf_counter() - tic
                self.stats["lp_solves"] += 1
            alpha = self.smoothing if centre is not None and mispriced < MISPRICES_BEFORE_PLAIN else 0.0
            if alpha > 0:
                pi_s, sigma_s = alpha * centre[0] + (1 - alpha) * pi, alpha * centre[1] + (1 - alpha) * sigma
            else:
                pi_s, sigma_s = pi, sigma
            found, reduced = self._price_round(state, pi_s, sigma_s, allowed_queues)
            fresh = self._add_columns(found)
            if reduced is None and not fresh:  # partial pricing found only known columns: price them all
                found, reduced = self._price_round(state, pi_s, sigma_s, allowed_queues, full=True)
                fresh = self._add_columns(found)
            if reduced is not None:
                lagrangian = self._lagrangian(pi_s, sigma_s, reduced)
                if lagrangian < centre_value:
                    centre, centre_value = (pi_s, sigma_s), lagrangian
                bound = min(bound, lagrangian)
                self.current_bound = bound
            if bound <= self.incumbent_value + self._tolerance():
                return "pruned", bound, None, state
            if bound - value <= self._tolerance() or (not fresh and alpha == 0.0):
                solution = np.zeros(len(self.columns))
                solution[: len(lam)] = lam
                self.artificial_used = artificial.max(initial=0.0) > 1e-6
                return "solved", bound, solution, state
            mispriced = 0 if fresh else mispriced + 1
            self.stats["mispricings"] += int(not fresh)

    def _branch(self, node: Node, lam: np.ndarray, state: _Restrictions) -> list[Node] | None:
        """Children of a node with LP solution λ, or None when λ is integral in z and y (the plan is found)."""
        support = np.flatnonzero(lam > 1e-9)
        z = np.bincount(self.col_queue[support], weights=lam[support], minlength=self.problem.n_queues)
        frac = np.minimum(z, 1 - z)
        frac[state.queue_on] = 0.0
        decision_pair: tuple[Decision, Decision] | None = None
        x = np.zeros(self.problem.n_tasks)
        for j in support:
            x[list(self.columns[j].tasks)] += lam[j]
        x_frac = np.minimum(x, 1 - x)
        if frac.max() > 1e-6:
            q = int(np.argmax(frac - 1e-9 * self.size))  # most fractional, smallest queue on ties
            decision_pair = (Decision(q, None, 1), Decision(q, None, 0))
        elif x_frac.max() > 1e-6:
            n = int(np.argmax(x_frac))
            decision_pair = (Decision(None, n, 1), Decision(None, n, 0))
        else:
            y: dict[tuple[int, int], float] = {}
            for j in support:
                c = self.columns[j]
                for n in c.tasks:
                    y[(c.queue, n)] = y.get((c.queue, n), 0.0) + lam[j]
            best, pick = 1e-6, None
            for key, value in y.items():
                if min(value, 1 - value) > best:
                    best, pick = min(value, 1 - value), key
            if pick is not None:
                decision_pair = (Decision(pick[0], pick[1], 1), Decision(pick[0], pick[1], 0))
        if decision_pair is None:
            return None
        return [Node(node.bound, node.decisions + (d,), node.depth + 1) for d in decision_pair]

    def _dive(self, node: Node, lam: np.ndarray, state: _Restrictions) -> None:
        """Diving with column fixing from a solved node: fix the column of largest λ not yet fixed (its
        queue used, its tasks forced into it), redo column generation, round every LP on the way,
        until the LP is integral, the dive cannot beat the incumbent, or ``dive_share`` of the time
        left is spent. Incumbents only: the dive's nodes are no part of the tree."""
        tic = time.perf_counter()
        stop = self.elapsed() + self.dive_share * max(0.0, self.limit - self.elapsed())
        decisions = node.decisions
        while self.elapsed() < stop:
            support = [j for j in np.flatnonzero(lam > 1e-9) if not state.queue_on[self.col_queue[j]]]
            if not support:
                break
            c = self.columns[max(support, key=lambda j: (lam[j], self.columns[j].profit))]
            decisions = decisions + (Decision(c.queue, None, 1),) + tuple(Decision(c.queue, n, 1) for n in c.tasks)
            outcome, _, lam, state = self._solve_node(Node(node.bound, decisions, node.depth))
            self.stats["dive_nodes"] += 1
            if outcome != "solved":
                break
            self.offer(self._greedy(lam))
            if self._branch(node, lam, state) is None:
                if not self.artificial_used:
                    self.offer(self._integral_plan(lam))
                break
        self.stats["dive_s"] += time.perf_counter() - tic

    def _integral_plan(self, lam: np.ndarray) -> list[Column]:
        """With z and y integral: one column per used queue (all its support columns serve the same tasks)."""
        chosen: dict[int, Column] = {}
        for j in np.flatnonzero(lam > 1e-9):
            chosen.setdefault(int(self.col_queue[j]), self.columns[j])
        return list(chosen.values())

    # ------------------------------------------------------------------ the search
    def solve(self, warm_starts: list[list[Column]] = ()) -> Result:
        compile_pricing()  # the JIT's one-off cost is not the search's: the clock starts after it
        self.start = time.perf_counter()
        self.master = _MasterLP(self.problem, self.penalty, self.threads)
        self.queue: list[Node] = []
        self.pruned_bound = -math.inf
        self.current_bound = math.inf
        self.last_mip = 0.0
        self._add_columns([Column(q, (), 0.0) for q in range(self.problem.n_queues)])
        self.offer([])
        for plan in warm_starts:
            self.offer(plan)
        self.queue.append(Node(math.inf, (), 0))
        self.root_done = False
        self.last_lam: np.ndarray | None = None
        proven = False
        while self.queue:
            if self.elapsed() > self.limit or (self.max_nodes is not None and self.stats["nodes"] >= self.max_nodes):
                break
            self.queue.sort(key=lambda n: (n.bound, n.depth))
            node = self.queue.pop()
            if node.bound <= self.incumbent_value + self._tolerance():
                self.pruned_bound = max(self.pruned_bound, node.bound)
                continue
            self.stats["nodes"] += 1
            self.stats["max_depth"] = max(self.stats["max_depth"], node.depth)
            outcome, bound, lam, state = self._solve_node(node)
            node.bound = bound
            self.current_bound = bound  # until its children are queued
            if outcome == "timeout":
                self.queue.append(node)
                break
            if outcome == "pruned":
                self.pruned_bound = max(self.pruned_bound, min(bound, self.incumbent_value + self._tolerance()))
                self.current_bound = -math.inf
                self._record()
                continue
            self.offer(self._greedy(lam))
            children = self._branch(node, lam, state)
            if children is None and not self.artificial_used:  # else the plan needs an artificial: worth < 0
                self.offer(self._integral_plan(lam))
            if children is None:
                self.pruned_bound = max(self.pruned_bound, min(bound, self.incumbent_value + self._tolerance()))
            else:
                self.queue.extend(children)
            self.current_bound = -math.inf
            if not self.root_done:
                self.stats["root_bound"] = bound
                self.stats["root_s"] = self.elapsed()
                self.root_done = True
                if children is not None:
                    self._dive(node, lam, state)
                    self._run_mip()
            elif children is not None and self.elapsed() - self.last_mip > self.mip_every_s:
                self._dive(node, lam, state)  # from a best-bound node: another region of the plan space
                self._run_mip()
            self._record()
        else:
            proven = True
        if not proven and not self.root_done:
            self._rescue_root()
        elif not proven and self.elapsed() <= self.limit and self.queue:
            self._run_mip()  # stopped by max_nodes: one last try at the incumbent
        self.current_bound = -math.inf
        bound = self.incumbent_value if proven else self._global_bound()
        if proven:
            bound = max(bound, self.pruned_bound)
        self._record()
        info = dict(self.stats)
        info.update(
            columns=len(self.columns),
            lp_restarts=self.master.restarts,
            queues=self.problem.n_queues,
            open_nodes=len(self.queue),
            trace=[list(t) for t in self.trace],
        )
        return Result(columns=self.incumbent, objective=self.incumbent_value, bound=bound, proven=proven, info=info)


def solve_packing(
    problem: PackingProblem,
    warm_starts: Callable[[BranchAndPrice], list[list[Column]]],
    write_model: str | None = None,
    **options: float | int | None,
) -> Result:
    """Run the engine (``options``: :class:`BranchAndPrice`'s) from the plans ``warm_starts``
    gives for it; ``write_model`` saves the master over the final column pool."""
    solver = BranchAndPrice(problem, **options)
    result = solver.solve(warm_starts(solver))
    if write_model is not None:
        write_master(write_model, problem, solver.columns)
    return result


def output(result: Result, decision: object, trace: str | Path | None) -> MethodOutput:
    """The engine's result as a method's output: ``optimal`` only when proven, else ``time_limit``
    with the global bound; ``info`` carries the search figures and the (time, incumbent, bound) trace."""
    if trace is not None:
        write_trace(trace, result.info["trace"])
    status = Status.OPTIMAL if result.proven else Status.TIME_LIMIT
    message = "" if result.proven else f"stopped with {result.info['open_nodes']} open nodes"
    bound = result.bound if math.isfinite(result.bound) else None  # stopped before a full pricing round
    return MethodOutput(
        decision=decision,
        status=status,
        bound=bound,
        model_objective=result.objective,
        info=result.info,
        message=message,
    )
