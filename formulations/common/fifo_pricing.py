"""Exact FIFO pricing, compiled: the best FIFO-feasible task set of many queues at once.

A queue (a clustering family's cluster, a regional family's server) has candidate tasks in
FIFO order (release time, ties by index), each with release r_j, processing p_j, due d_j
and a weight w_j (its margin minus the master's task dual). The pricing problem of the
branch-and-price master is max Σ_{j∈S} w_j over the sets S whose FIFO schedule meets every
deadline (DCAT paper Eq. 1–4, 10b), optionally with some tasks forbidden and some forced
(branching). The dynamic program walks the candidates in FIFO order keeping Pareto labels
(finish time of the last task taken, value): taking task j from finish t finishes at
max(r_j, t) + p_j, kept if ≤ d_j. Two exact reductions keep the label sets small:

- labels finishing by the next candidate's release behave alike from then on (every later
  task is released no earlier), so only the most valuable of them is kept;
- a label whose value plus every positive weight still ahead cannot beat a label that is
  already a complete set is dropped (only once no forced task is left ahead).

Tasks of weight ≤ 0 are skipped unless forced: taking them only delays the others.
The label arena and the loop over queues are compiled with numba; ``best_task_set`` of
``cpnopt.formulations.clustering.cg`` is the pure-Python reference it is tested against.
The compilation (or the load of numba's on-disk cache) is paid once per process, by
:func:`compile_pricing`, which the branch-and-price engine calls before its clock starts: a
time limit then bounds the search, not the compiler (a first run in a fresh checkout compiles
for 10–30 s on a loaded 2-core machine).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numba
import numpy as np

FREE, FORBIDDEN, FORCED = 0, 1, 2
FEASIBILITY_TOL = 1e-9  # as the MILPs: done ≤ due + 1e-9
VALUE_TOL = 1e-9


@dataclass(frozen=True)
class QueueTable:
    """The candidate tasks of every queue, flattened: queue q owns entries start[q]:start[q + 1]."""

    start: np.ndarray  # int64, n_queues + 1
    task: np.ndarray  # int64, task index of each entry (FIFO order within a queue)
    release: np.ndarray  # float64 per entry
    processing: np.ndarray
    due: np.ndarray
    margin: np.ndarray  # profit of serving the entry's task on its queue

    @classmethod
    def build(
        cls,
        tasks: list[np.ndarray],
        release: list[np.ndarray],
        processing: list[np.ndarray],
        due: list[np.ndarray],
        margin: list[np.ndarray],
    ) -> QueueTable:
        start = np.zeros(len(tasks) + 1, dtype=np.int64)
        start[1:] = np.cumsum([len(t) for t in tasks])
        join = lambda parts, kind: np.concatenate(parts).astype(kind) if parts else np.zeros(0, kind)
        return cls(
            start,
            join(tasks, np.int64),
            join(release, np.float64),
            join(processing, np.float64),
            join(due, np.float64),
            join(margin, np.float64),
        )

    @property
    def n_queues(self) -> int:
        return len(self.start) - 1


@numba.njit(cache=True)
def _grown(values, size, room):
    out = np.empty(room, dtype=values.dtype)
    out[:size] = values[:size]
    return out


@numba.njit(cache=True)
def _best_set(release, processing, due, weight, state, out):
    """Best FIFO-feasible set of one queue; writes the chosen positions to ``out``, returns (value, count).

    Returns count −1 when the forced tasks cannot all be served on time together."""
    m = len(release)
    ahead = np.zeros(m + 1)  # Σ of the weights a label can still gain from position j on
    forced_ahead = np.zeros(m + 1, dtype=np.int64)
    for j in range(m - 1, -1, -1):
        gain = 0.0
        if state[j] == 2:
            gain = weight[j]
        elif state[j] == 0 and weight[j] > 0.0:
            gain = weight[j]
        ahead[j] = ahead[j + 1] + gain
        forced_ahead[j] = forced_ahead[j + 1] + (1 if state[j] == 2 else 0)
    cap = 256
    arena_task = np.empty(cap, dtype=np.int64)
    arena_parent = np.empty(cap, dtype=np.int64)
    used = 0
    room = 64  # label buffers: the front, the grown labels and the merged front
    f_fin, f_val, f_id = np.empty(room), np.empty(room), np.empty(room, dtype=np.int64)
    n_fin, n_val, n_id = np.empty(room), np.empty(room), np.empty(room, dtype=np.int64)
    g_fin, g_val, g_id = np.empty(room), np.empty(room), np.empty(room, dtype=np.int64)
    f_fin[0], f_val[0], f_id[0] = -np.inf, 0.0, -1
    size = 1
    for j in range(m):
        forced = state[j] == 2
        if state[j] == 1 or (not forced and weight[j] <= VALUE_TOL):
            continue
        if 2 * size > room:  # a merge holds at most twice the front
            room = 4 * size
            f_fin, f_val, f_id = _grown(f_fin, size, room), _grown(f_val, size, room), _grown(f_id, size, room)
            n_fin, n_val, n_id = np.empty(room), np.empty(room), np.empty(room, dtype=np.int64)
            g_fin, g_val, g_id = np.empty(room), np.empty(room), np.empty(room, dtype=np.int64)
        # grow every label by task j (finish times stay sorted, values stay increasing)
        grown = 0
        for a in range(size):
            done = max(release[j], f_fin[a]) + processing[j]
            if done <= due[j] + FEASIBILITY_TOL:
                if used == cap:
                    cap *= 2
                    arena_task = np.concatenate((arena_task, np.empty(cap - used, dtype=np.int64)))
                    arena_parent = np.concatenate((arena_parent, np.empty(cap - used, dtype=np.int64)))
                arena_task[used] = j
                arena_parent[used] = f_id[a]
                g_fin[grown], g_val[grown], g_id[grown] = done, f_val[a] + weight[j], used
                used += 1
                grown += 1
        if forced:
            if grown == 0:
                return 0.0, -1
            size = 0
            best = -np.inf
            for b in range(grown):  # the grown labels alone, kept Pareto (values increase with finish)
                if g_val[b] > best + VALUE_TOL:
                    n_fin[size], n_val[size], n_id[size] = g_fin[b], g_val[b], g_id[b]
                    best = g_val[b]
                    size += 1
        else:
            # merge the old labels and the grown ones by finish time, keeping the Pareto front
            a = b = 0
            size_new = 0
            best = -np.inf
            while a < size or b < grown:
                take_old = b >= grown or (
                    a < size and (f_fin[a] < g_fin[b] or (f_fin[a] == g_fin[b] and f_val[a] >= g_val[b]))
                )
                if take_old:
                    fin, val, ident = f_fin[a], f_val[a], f_id[a]
                    a += 1
                else:
                    fin, val, ident = g_fin[b], g_val[b], g_id[b]
                    b += 1
                if val > best + VALUE_TOL:
                    n_fin[size_new], n_val[size_new], n_id[size_new] = fin, val, ident
                    best = val
                    size_new += 1
            size = size_new
        # labels done by the next release are alike: keep the last (most valuable) of them
        first = 0
        if j + 1 < m:
            while first + 1 < size and n_fin[first + 1] <= release[j + 1]:
                first += 1
        # bound: with no forced task ahead, every label is complete; drop those that cannot win
        floor = -np.inf
        if forced_ahead[j + 1] == 0:
            floor = n_val[size - 1]
        kept = 0
        for a in range(first, size):
            if n_val[a] + ahead[j + 1] > floor + VALUE_TOL or a == size - 1:
                f_fin[kept], f_val[kept], f_id[kept] = n_fin[a], n_val[a], n_id[a]
                kept += 1
        size = kept
    ident = f_id[size - 1]  # the most valuable label (values increase along the front)
    count = 0
    while ident != -1:
        out[count] = arena_task[ident]
        count += 1
        ident = arena_parent[ident]
    out[:count] = out[:count][::-1].copy()
    return f_val[size - 1], count


@numba.njit(cache=True)
def _price(start, release, processing, due, margin, task, queues, task_dual, state, values, counts, chosen):
    for q in range(len(queues)):
        k = queues[q]
        lo, hi = start[k], start[k + 1]
        weight = margin[lo:hi] - task_dual[task[lo:hi]]
        value, count = _best_set(release[lo:hi], processing[lo:hi], due[lo:hi], weight, state[lo:hi], chosen[lo:hi])
        values[q] = value
        counts[q] = count
        for c in range(max(count, 0)):
            chosen[lo + c] = task[lo + chosen[lo + c]]


@dataclass
class Priced:
    """Per priced queue: the best value Σ w_j (−inf when its forced tasks cannot be served) and its task set."""

    queues: np.ndarray
    values: np.ndarray
    counts: np.ndarray
    chosen: np.ndarray  # the task set of queue queues[q] is chosen[start[queues[q]] :][: counts[q]]
    start: np.ndarray

    def tasks(self, q: int) -> tuple[int, ...]:
        lo = self.start[self.queues[q]]
        return tuple(sorted(self.chosen[lo : lo + max(self.counts[q], 0)].tolist()))


def price(table: QueueTable, queues: np.ndarray, task_dual: np.ndarray, state: np.ndarray) -> Priced:
    """Solve the pricing DP of every queue in ``queues`` under task duals σ (weights margin − σ)
    and per-entry ``state`` (FREE, FORBIDDEN, FORCED)."""
    queues = np.asarray(queues, dtype=np.int64)
    values = np.empty(len(queues))
    counts = np.empty(len(queues), dtype=np.int64)
    chosen = np.empty(len(table.task), dtype=np.int64)
    _price(
        table.start,
        table.release,
        table.processing,
        table.due,
        table.margin,
        table.task,
        queues,
        np.ascontiguousarray(task_dual, dtype=np.float64),
        state,
        values,
        counts,
        chosen,
    )
    values[counts < 0] = -np.inf
    return Priced(queues=queues, values=values, counts=counts, chosen=chosen, start=table.start)


@cache
def compile_pricing() -> None:
    """Compile (or load from numba's cache) the pricing DP for the dtypes :func:`price` uses; once per process."""
    table = QueueTable.build(
        [np.array([0])], [np.array([0.0])], [np.array([1.0])], [np.array([2.0])], [np.array([1.0])]
    )
    price(table, np.array([0]), np.zeros(1), np.zeros(1, dtype=np.int8))
