"""Brute force for tiny P1 instances: every partition of the servers, every assignment.

Independent of the MILP on purpose (no clique enumeration, no model): it walks all set
partitions of the servers, keeps those the evaluator's cluster rules accept, and for each
one finds the best assignment of tasks by dynamic programming over task subsets, each
subset's feasibility decided by the shared FIFO simulation. Payment = cost, as in the
MILP, so the two optima must agree. Exponential: refused above ``MAX_SERVERS`` servers or
``MAX_TASKS`` tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import numpy as np

from cpnopt.errors import InputError
from cpnopt.fifo import fifo_schedule
from cpnopt.problems.clustering import ClusteringDecision, ClusteringInstance
from cpnopt.problems.clustering.evaluate import cluster_violations
from cpnopt.registry import Kind, register_method
from cpnopt.solution import MethodOutput, Status

MAX_SERVERS = 7
MAX_TASKS = 8


def set_partitions(items: list[int]) -> Iterator[list[list[int]]]:
    """All partitions of ``items`` (Bell-number many)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in set_partitions(rest):
        yield [[first]] + partition
        for j in range(len(partition)):
            yield partition[:j] + [[first] + partition[j]] + partition[j + 1 :]


@register_method(
    "clustering",
    "enumerate",
    kind=Kind.EXACT,
    description=f"brute force over all partitions and assignments (≤ {MAX_SERVERS} servers, ≤ {MAX_TASKS} tasks)",
)
def enumerate_all(instance: ClusteringInstance) -> MethodOutput:
    if instance.n_servers > MAX_SERVERS or instance.n_tasks > MAX_TASKS:
        raise InputError(
            "instance",
            f"{instance.n_servers} servers × {instance.n_tasks} tasks",
            f"too large for enumerate (≤ {MAX_SERVERS} servers, ≤ {MAX_TASKS} tasks)",
        )
    n_tasks = instance.n_tasks
    full = (1 << n_tasks) - 1
    masks = list(range(full + 1))

    @cache
    def subset_profits(members: tuple[int, ...]) -> tuple[float, ...]:
        """Profit of cluster ``members`` serving exactly each task subset (−inf if infeasible)."""
        terms = instance.cluster_terms(members)
        margin = instance.price - terms.cost
        values = []
        for mask in masks:
            tasks = [n for n in range(n_tasks) if mask >> n & 1]
            if any(margin[n] < 0 for n in tasks):
                values.append(-np.inf)
                continue
            done = fifo_schedule(terms.release_s[tasks], terms.processing_s[tasks]).completion_s
            on_time = np.all(done <= instance.latest_finish_s[tasks])
            values.append(float(margin[tasks].sum()) if on_time else -np.inf)
        return tuple(values)

    best_value, best = -np.inf, None
    for partition in set_partitions(list(range(instance.n_servers))):
        clusters = tuple(tuple(sorted(c)) for c in partition)
        if cluster_violations(instance, clusters):
            continue
        # table[mask] = best profit serving exactly ``mask`` with the clusters so far, and how
        table: dict[int, tuple[float, tuple[int, ...]]] = {0: (0.0, ())}
        for members in clusters:
            profits = subset_profits(members)
            grown: dict[int, tuple[float, tuple[int, ...]]] = {}
            for used, (value, picks) in table.items():
                free = full & ~used
                sub = free
                while True:
                    if profits[sub] > -np.inf:
                        total = value + profits[sub]
                        if total > grown.get(used | sub, (-np.inf,))[0]:
                            grown[used | sub] = (total, picks + (sub,))
                    if sub == 0:
                        break
                    sub = (sub - 1) & free
            table = grown
        value, picks = max(table.values(), key=lambda entry: entry[0])
        if value > best_value + 1e-9:
            best_value, best = value, (clusters, picks)

    clusters, picks = best
    assignment: list[int | None] = [None] * n_tasks
    payments: list[float | None] = [None] * n_tasks
    for k, (members, mask) in enumerate(zip(clusters, picks)):
        cost = instance.cluster_terms(members).cost
        for n in range(n_tasks):
            if mask >> n & 1:
                assignment[n], payments[n] = k, float(cost[n])
    decision = ClusteringDecision(clusters=clusters, assignment=tuple(assignment), payments=tuple(payments))
    return MethodOutput(decision=decision, status=Status.OPTIMAL, bound=best_value, model_objective=best_value)
