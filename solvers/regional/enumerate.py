"""Brute force for tiny regional instances: every assignment of every task to a server or to rejection.

Independent of the MILP on purpose (no eligibility filter, no model): a depth-first walk over
all (|servers| + 1)^|tasks| assignments, each server's queue checked by the shared FIFO
simulation. A branch is cut as soon as the server it just grew misses a deadline — exact,
because adding a task to a FIFO queue never makes another task finish earlier. Refused when
(|servers| + 1)^|tasks| exceeds ``MAX_ASSIGNMENTS``.
"""

from __future__ import annotations

from cpnopt.errors import InputError
from cpnopt.problems.regional import RegionalDecision, RegionalInstance
from cpnopt.problems.regional.evaluate import queue_on_time
from cpnopt.registry import Kind, register_method
from cpnopt.solution import MethodOutput, Status

MAX_ASSIGNMENTS = 2_000_000


@register_method(
    "regional",
    "enumerate",
    kind=Kind.EXACT,
    description=f"brute force over every task→server/reject assignment (≤ {MAX_ASSIGNMENTS:,} assignments)",
)
def enumerate_all(instance: RegionalInstance) -> MethodOutput:
    n_tasks, n_servers = instance.n_tasks, instance.n_servers
    if (n_servers + 1) ** n_tasks > MAX_ASSIGNMENTS:
        raise InputError(
            "instance",
            f"{n_servers} servers × {n_tasks} tasks",
            f"too large for enumerate ((servers + 1)^tasks ≤ {MAX_ASSIGNMENTS:,})",
        )
    margin = instance.margin.tolist()
    queues: list[list[int]] = [[] for _ in range(n_servers)]
    current: list[int | None] = [None] * n_tasks
    best: dict[str, object] = {"value": 0.0, "assignment": tuple(current)}

    def walk(n: int, value: float) -> None:
        if n == n_tasks:
            if value > best["value"] + 1e-9:
                best["value"], best["assignment"] = value, tuple(current)
            return
        walk(n + 1, value)  # reject task n
        for i in range(n_servers):
            queues[i].append(n)
            if queue_on_time(instance, i, queues[i]):
                current[n] = i
                walk(n + 1, value + margin[n][i])
                current[n] = None
            queues[i].pop()

    walk(0, 0.0)
    value = float(best["value"])
    return MethodOutput(
        decision=RegionalDecision(assignment=best["assignment"]),
        status=Status.OPTIMAL,
        bound=value,
        model_objective=value,
    )
