"""Exact MILP encodings of FIFO deadlines on one queue, shared by the clustering and regional MILPs.

A queue (a clustering family's cluster, a regional family's server) may serve some of its
candidate tasks, y_j ∈ {0,1}; task j is released at r_j, takes p_j and is due at d_j. The
served tasks run first-in-first-out from an empty queue (cpnopt.fifo), so task n completes
at C_n = max_{m ≤ n, served} (r_m + Σ_{j served, m ≤ j ≤ n} p_j) with the candidates in
FIFO order (release time, ties by index). Two exact encodings of "every served task meets
its deadline" (DCAT paper Eq. 1–4, 10b), chosen by ``fifo``:

``"window"`` (no time variables; the default): C_n ≤ d_n holds iff
for every served pair m ≤ n:  Σ_{m ≤ j ≤ n} p_j y_j ≤ (d_n − r_m) + M_{mn}(2 − y_m − y_n)
with the tight M_{mn} = Σ_{m ≤ j ≤ n} p_j − (d_n − r_m) (pairs with M ≤ 0 are dropped as
redundant), plus the conflict cuts y_m + y_n ≤ 1 when r_m + p_m + p_n > d_n.

``"completion"`` (completion-time variables, the paper's form): C_n ∈ [r_n + p_n, d_n]
and C_n ≥ C_m + p_n − (d_m − r_n)(2 − y_m − y_n) for m before n. The box makes the
deadline hold for every value of C; the big-M d_m − r_n is the least that leaves the
precedence slack when either task is not served; a pair with d_m ≤ r_n gets no precedence
(the box implies it, and a negative big-M would bind even when neither task is served).
Exact: for a served set, the FIFO
completion times satisfy every constraint, and any C satisfying them is ≥ FIFO.

Interval capacity cuts (valid for both encodings): for a release time t1 and a due
time t2 of the queue's candidates, Σ_{j: r_j ≥ t1, d_j ≤ t2} p_j y_j ≤ (t2 − t1) z, where
z is the queue's "exists" variable (a formed cluster) or 1 (a server that always exists):
those tasks run entirely inside [t1, t2]. Only cuts whose left side can exceed the right
are added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

FIFO_ENCODINGS = ("window", "completion")


def linear(coefficients: list[float], variables: list[pyo.Var]) -> LinearExpression:
    """Σ coefficient · variable, built directly (much faster than Python's sum over terms)."""
    return LinearExpression(constant=0.0, linear_coefs=coefficients, linear_vars=variables)


def add_fifo_deadlines(
    constraints: pyo.ConstraintList,
    queue: Sequence[int],
    y: Mapping[int, pyo.Var],
    r: Sequence[float],
    p: Sequence[float],
    due: Sequence[float],
    completion: Mapping[int, pyo.Var] | None = None,
) -> None:
    """FIFO deadlines of one queue: the ``window`` encoding, or ``completion`` when C variables are given.

    ``queue`` lists the candidate tasks in FIFO order; ``y[j]`` serves task j on this queue;
    ``r``, ``p``, ``due`` are indexed by task (plain floats: numpy scalars times Pyomo
    variables go through a slow ufunc path).
    """
    for a, n in enumerate(queue):
        if completion is not None:
            completion[n].setlb(r[n] + p[n])
            completion[n].setub(due[n])
        window = 0.0
        for b in range(a, -1, -1):  # m = queue[b] runs back from n to the queue's head
            m = queue[b]
            window += p[m]
            if b == a:
                continue
            if r[m] + p[m] + p[n] > due[n] + 1e-9:
                constraints.add(y[m] + y[n] <= 1)
            if completion is not None:
                big_m = due[m] - r[n]
                if big_m > 1e-9:  # else C_m ≤ d_m ≤ r_n: the box already gives C_n ≥ C_m + p_n
                    constraints.add(completion[n] >= completion[m] + p[n] - big_m * (2 - y[m] - y[n]))
            else:
                big_m = window - (due[n] - r[m])
                if big_m > 1e-9:
                    lhs = linear([p[j] for j in queue[b : a + 1]], [y[j] for j in queue[b : a + 1]])
                    constraints.add(lhs <= due[n] - r[m] + big_m * (2 - y[m] - y[n]))


def add_interval_cuts(
    constraints: pyo.ConstraintList,
    queue: Sequence[int],
    y: Mapping[int, pyo.Var],
    r: Sequence[float],
    p: Sequence[float],
    due: Sequence[float],
    exists: pyo.Var | None = None,
) -> None:
    """Σ_{r_j ≥ t1, d_j ≤ t2} p_j y_j ≤ (t2 − t1) z for every non-redundant window (z = ``exists`` or 1)."""
    for t1 in sorted({r[j] for j in queue}):
        for t2 in sorted({due[j] for j in queue}):
            inside = [j for j in queue if r[j] >= t1 and due[j] <= t2]
            if len(inside) >= 2 and sum(p[j] for j in inside) > t2 - t1 + 1e-9:
                if exists is None:
                    constraints.add(linear([p[j] for j in inside], [y[j] for j in inside]) <= t2 - t1)
                else:
                    constraints.add(linear([p[j] for j in inside] + [t1 - t2], [y[j] for j in inside] + [exists]) <= 0)
