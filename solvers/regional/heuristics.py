"""Online two-stage scheduling for the regional family and its baselines.

Tasks are scheduled one at a time in arrival order (ties by index), never revisited:

- **Stage 1, region allocation** — a :data:`RegionAllocator` picks the task's region (or
  rejects it) from region-level information. ``greedy_region`` is the paper's greedy rule:
  the region of highest *expected* marginal profit p_n − ĉ_{n,r} among the regions where
  the task is *expected* to meet its deadline, none → reject. The expectation treats the
  region as one pooled machine: ĉ_{n,r} is Eq. (8) on all the region's servers with the
  load split by power (cpnopt.economics.execution_cost), the expected completion is
  a_n + T_{n,r} + W_r / F_r + l_n / f̄_r, with W_r the work the region still has queued
  when the task arrives there, F_r its total and f̄_r its mean server power (option
  ``estimate="pooled"``, the default); ``estimate="best"`` is optimistic instead: the
  region's most profitable server for the task, processing on its fastest server. A learned
  stage 1 (`regional-drl`) plugs in as another allocator: ``schedule(instance, allocator)``.
- **Stage 2, intra-region balancing** (``balance_within_region`` in
  ``cpnopt.problems.regional.balancing``, shared by every method here and the
  ``regional-drl`` environment): the server of the region with the highest profit
  p_n − c_{n,i} > 0 whose FIFO queue stays on time with the task added (every task accepted so far checked by the
  shared FIFO simulation); ties (equal profit) go to the least loaded server (earliest
  free), then the lowest index; none → the task is rejected (profit 0).

Baselines differ in stage 1 only, so they isolate the value of the region choice:
``nearest-region`` (least transmission delay, i.e. the origin region), ``cheapest-region``
(lowest pooled unit cost ĉ per Gcycle, the same region for every task) and ``random``
(a uniformly random region, option ``seed``).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from cpnopt.errors import InputError
from cpnopt.problems.regional import RegionalInstance
from cpnopt.problems.regional.balancing import Plan, RegionAllocator, pooled_unit_cost, schedule
from cpnopt.registry import Kind, register_method
from cpnopt.solution import MethodOutput, Status

ESTIMATES = ("pooled", "best")


def greedy_region(plan: Plan, n: int, estimate: str = "pooled") -> int | None:
    """Stage 1 of ``two-stage``: highest expected marginal profit among regions expected on time.

    ``estimate="pooled"``: the region as one pooled machine (pooled Eq. (8) cost, mean server
    power); ``"best"``: optimistic, the region's most profitable server for the task and its
    fastest server. Both add the pooled wait W_r / F_r.
    """
    inst = plan.instance
    best, best_profit = None, 0.0
    for r in range(inst.n_regions):
        servers = inst.servers_in(r)
        power = inst.power_ghz[servers]
        release = float(inst.release_s[n, servers[0]])  # every server of a region is equally far
        wait = plan.region_backlog_gcycles(r, release) / power.sum()
        if estimate == "best":
            profit = float(inst.margin[n, servers].max())
            processing = inst.workload_gcycles[n] / power.max()
        else:
            profit = float(inst.price[n]) - inst.workload_gcycles[n] * pooled_unit_cost(inst, r)
            processing = inst.workload_gcycles[n] / power.mean()
        if release + wait + processing <= inst.latest_finish_s[n] and profit > best_profit + 1e-9:
            best, best_profit = r, profit
    return best


def nearest_region(plan: Plan, n: int) -> int:
    inst = plan.instance
    return min(range(inst.n_regions), key=lambda r: (float(inst.transmission_s[n, inst.servers_in(r)[0]]), r))


def cheapest_region(plan: Plan, n: int) -> int:
    inst = plan.instance
    return min(range(inst.n_regions), key=lambda r: (pooled_unit_cost(inst, r), r))


def random_region(rng: np.random.Generator) -> RegionAllocator:
    return lambda plan, n: int(rng.integers(plan.instance.n_regions))


@register_method(
    "regional",
    "two-stage",
    kind=Kind.HEURISTIC,
    description="stage 1 greedy region by expected marginal profit, stage 2 profit-aware server balancing",
)
def two_stage(instance: RegionalInstance, estimate: str = "pooled") -> MethodOutput:
    if estimate not in ESTIMATES:
        raise InputError("estimate", estimate, f"must be one of {', '.join(ESTIMATES)}")
    allocator = partial(greedy_region, estimate=estimate)
    return MethodOutput(decision=schedule(instance, allocator), status=Status.FEASIBLE)


@register_method(
    "regional",
    "nearest-region",
    kind=Kind.HEURISTIC,
    description="stage 1: least-latency region (the origin); stage 2 as two-stage",
)
def nearest(instance: RegionalInstance) -> MethodOutput:
    return MethodOutput(decision=schedule(instance, nearest_region), status=Status.FEASIBLE)


@register_method(
    "regional",
    "cheapest-region",
    kind=Kind.HEURISTIC,
    description="stage 1: region of lowest unit cost; stage 2 as two-stage",
)
def cheapest(instance: RegionalInstance) -> MethodOutput:
    return MethodOutput(decision=schedule(instance, cheapest_region), status=Status.FEASIBLE)


@register_method(
    "regional",
    "random",
    kind=Kind.HEURISTIC,
    description="stage 1: uniformly random region (option seed); stage 2 as two-stage",
)
def random(instance: RegionalInstance, seed: int = 0) -> MethodOutput:
    return MethodOutput(decision=schedule(instance, random_region(np.random.default_rng(seed))), status=Status.FEASIBLE)
