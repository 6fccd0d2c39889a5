"""The regional family's online two-stage mechanism: a schedule's state, stage 2 and the driver.

Shared by the heuristics (``cpnopt.solvers.regional.heuristics``: ``two-stage`` and its
baselines differ in stage 1 only) and the ``regional-drl`` environment
(``cpnopt.problems.regional.env``), whose learned stage 1 feeds the same stage 2:

- :class:`Plan`: each server's accepted tasks (its FIFO queue, checked by the shared FIFO
  simulation) and when it frees up;
- :func:`balance_within_region`, stage 2: the server of the region with the highest profit
  p_n − c_{n,i} > 0 whose FIFO queue stays on time with the task added; ties (equal profit)
  to the least loaded server (earliest free), then the lowest index; none → rejected;
- :func:`schedule`: tasks in arrival order (ties by index), a :data:`RegionAllocator`
  (stage 1) picks the region, stage 2 the server; decisions are never revisited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cpnopt.economics import execution_cost
from cpnopt.fifo import fifo_schedule
from cpnopt.problems.regional.decision import RegionalDecision
from cpnopt.problems.regional.evaluate import queue_on_time
from cpnopt.problems.regional.instance import RegionalInstance


@dataclass
class Plan:
    """The online scheduler's state: each server's accepted tasks (its FIFO queue) and when it frees up."""

    instance: RegionalInstance
    queues: list[list[int]] = field(init=False)
    free_at_s: np.ndarray = field(init=False)  # completion of each server's last queued task (0: idle)

    def __post_init__(self) -> None:
        self.queues = [[] for _ in range(self.instance.n_servers)]
        self.free_at_s = np.zeros(self.instance.n_servers)

    def fits(self, n: int, server: int) -> bool:
        return queue_on_time(self.instance, server, self.queues[server] + [n])

    def accept(self, n: int, server: int) -> None:
        queue = self.queues[server]
        queue.append(n)
        inst = self.instance
        done = fifo_schedule(inst.release_s[queue, server], inst.processing_s[queue, server]).completion_s
        self.free_at_s[server] = float(done.max())

    def region_backlog_gcycles(self, region: int, at_s: float) -> float:
        """Work W_r still queued in ``region`` at time ``at_s``."""
        servers = self.instance.servers_in(region)
        remaining_s = np.maximum(self.free_at_s[servers] - at_s, 0.0)
        return float((remaining_s * self.instance.power_ghz[servers]).sum())

    def decision(self) -> RegionalDecision:
        assignment: list[int | None] = [None] * self.instance.n_tasks
        for server, queue in enumerate(self.queues):
            for n in queue:
                assignment[n] = server
        return RegionalDecision(assignment=tuple(assignment))


RegionAllocator = Callable[[Plan, int], "int | None"]  # (plan so far, task) -> region or None (reject)


def pooled_unit_cost(instance: RegionalInstance, region: int) -> float:
    """ĉ per Gcycle of ``region`` as one pooled machine: Eq. (8) over its servers, load split by power."""
    servers = instance.servers_in(region)
    return float(
        execution_cost(instance.economics, 1.0, instance.power_ghz[servers], instance.regions[region].energy_price)
    )


def balance_within_region(plan: Plan, n: int, region: int) -> int | None:
    """Stage 2: the most profitable on-time server of ``region``, ties to the least loaded; None → reject."""
    inst = plan.instance
    candidates = [int(i) for i in inst.servers_in(region) if inst.margin[n, i] > 1e-9 and plan.fits(n, int(i))]
    if not candidates:
        return None
    top = max(inst.margin[n, i] for i in candidates)
    tied = [i for i in candidates if inst.margin[n, i] >= top - 1e-9 * max(1.0, abs(top))]
    return min(tied, key=lambda i: (plan.free_at_s[i], i))


def schedule(instance: RegionalInstance, allocator: RegionAllocator) -> RegionalDecision:
    """Run stage 1 (``allocator``) and stage 2 on every task in arrival order."""
    plan = Plan(instance)
    for n in sorted(range(instance.n_tasks), key=lambda k: (instance.tasks[k].arrival_s, k)):
        region = allocator(plan, n)
        server = None if region is None else balance_within_region(plan, n, region)
        if server is not None:
            plan.accept(n, server)
    return plan.decision()
