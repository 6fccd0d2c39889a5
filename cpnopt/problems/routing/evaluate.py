"""The STPer evaluator: the single source of truth for every routing method.

It checks a :class:`RoutingDecision` against the constraints of Eq. (6)–(14) on the slot
grid and returns Eq. (15)'s profit Σ (R − E) over served tasks as the objective, with
revenue, energy cost, the delay metrics and every violation it finds.
:func:`evaluate_detailed` also returns each task's delay parts (transmission, offset,
computation).
"""

from __future__ import annotations

from dataclasses import dataclass

from cpnopt.problems.routing.decision import RoutingDecision, TaskRoute
from cpnopt.problems.routing.instance import LATENCY_TOLERANCE_S, RoutingInstance
from cpnopt.solution import Evaluation


@dataclass(frozen=True)
class TaskDelay:
    """Delay parts of one served task (Eq. 1–2 on the slot grid), seconds."""

    transmission_s: float  # Σ_e (t_sw + k_e · slot): every hop's switching plus link occupation
    offset_s: float  # waiting before links to avoid overlaps (the dispatching offset)
    computation_s: float  # m_u / f_n
    total_s: float  # t_sum


@dataclass(frozen=True)
class DetailedEvaluation:
    evaluation: Evaluation
    delays: tuple[TaskDelay | None, ...]  # None for a rejected (or malformed) task


def route_violations(instance: RoutingInstance, task: int, route: TaskRoute) -> list[str]:
    """Flow conservation, loop-freedom and store-and-forward order of one task (Eq. 7–11, 14)."""
    if route.destination is None:
        if route.path or route.start_slots:
            return [f"task {task} is rejected but has a path or start slots"]
        return []
    n, path, starts = route.destination, route.path, route.start_slots
    if not 0 <= n < instance.n_nodes:
        return [f"task {task}: destination {n} does not exist"]
    if instance.power_tflops[n] <= 0:
        return [f"task {task}: destination {n} is a router and computes nothing (Eq. 6)"]
    source = instance.access_node(task)
    if not path or path[0] != source or path[-1] != n:
        return [
            f"task {task}: broken path {list(path)}: must run from access node {source} to destination {n} (Eq. 7–8)"
        ]
    found = []
    if len(set(path)) != len(path):
        found.append(f"task {task}: path {list(path)} visits a node twice (loop, Eq. 9)")
    links = instance.path_links(path)
    if None in links:
        hop = links.index(None)
        found.append(f"task {task}: broken path: nodes {path[hop]} and {path[hop + 1]} share no link (Eq. 7)")
    if len(starts) != len(links):
        found.append(f"task {task}: {len(starts)} start slots for {len(links)} links")
    if found:
        return found
    k = instance.occupation_slots[task]
    ready = instance.switch_slots
    for i, (e, s) in enumerate(zip(links, starts)):
        if s < ready:
            found.append(
                f"task {task}: starts link {e} at slot {s} before slot {ready}, when it has left node "
                f"{path[i]} (store-and-forward with switching delay, Eq. 11)"
            )
        ready = s + int(k[e]) + instance.switch_slots
    arrival = starts[-1] + int(k[links[-1]]) if links else 0
    delay = instance.delay_s(task, n, arrival)
    limit = instance.tasks[task].max_latency_s
    if delay > limit + LATENCY_TOLERANCE_S:
        found.append(f"task {task}: delay {delay:.4f} s > l_u = {limit} s (latency bound, Eq. 14)")
    return found


def overlap_violations(instance: RoutingInstance, routes: tuple[TaskRoute, ...]) -> list[str]:
    """No two tasks of a frame on one link in a common slot (Eq. 12–13)."""
    held: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for task, route in enumerate(routes):
        frame = instance.tasks[task].frame
        for e, s in zip(instance.path_links(route.path), route.start_slots):
            held.setdefault((frame, e), []).append((s, s + int(instance.occupation_slots[task, e]), task))
    found = []
    for (frame, e), intervals in sorted(held.items()):
        intervals.sort()
        for (s1, end1, a), (s2, _, b) in zip(intervals, intervals[1:]):
            if s2 < end1:
                found.append(
                    f"frame {frame}, link {e}: tasks {a} (slots {s1}..{end1 - 1}) and {b} (from slot {s2}) overlap (Eq. 12–13)"
                )
    return found


def _computable(instance: RoutingInstance, route: TaskRoute) -> bool:
    """The route's delay and profit can be computed (it may still break other constraints)."""
    n = route.destination
    return (
        n is not None
        and 0 <= n < instance.n_nodes
        and instance.power_tflops[n] > 0
        and len(route.path) >= 1
        and None not in instance.path_links(route.path)
        and len(route.start_slots) == len(route.path) - 1
    )


def task_delay(instance: RoutingInstance, task: int, route: TaskRoute) -> TaskDelay:
    """Delay parts of a well-formed served route."""
    links = instance.path_links(route.path)
    k = instance.occupation_slots[task]
    transmission = sum(instance.switch_slots + int(k[e]) for e in links)
    arrival = route.start_slots[-1] + int(k[links[-1]]) if links else 0
    computation = float(instance.computation_s[task, route.destination])
    slot = instance.slot_s
    return TaskDelay(transmission * slot, (arrival - transmission) * slot, computation, arrival * slot + computation)


def evaluate_detailed(instance: RoutingInstance, decision: RoutingDecision) -> DetailedEvaluation:
    """Check Eq. (6)–(14) and compute Eq. (3), (5), (15) and the delay parts."""
    routes = decision.routes
    if len(routes) != instance.n_tasks:
        violation = f"routes has {len(routes)} entries for {instance.n_tasks} tasks"
        return DetailedEvaluation(Evaluation(False, 0.0, {}, [violation]), ())
    violations: list[str] = []
    for task, route in enumerate(routes):
        violations += route_violations(instance, task, route)
    well_formed = tuple(r if _computable(instance, r) else TaskRoute(None) for r in routes)
    violations += overlap_violations(instance, well_formed)

    delays: list[TaskDelay | None] = []
    revenue = cost = 0.0
    for task, route in enumerate(well_formed):
        if route.destination is None:
            delays.append(None)
            continue
        d = task_delay(instance, task, route)
        delays.append(d)
        revenue += instance.revenue(task, d.total_s)  # Eq. (3)
        cost += float(instance.energy_cost[task, route.destination])  # Eq. (5)
    served = [d for d in delays if d is not None]
    profit = revenue - cost  # Eq. (15)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    metrics = {
        "profit": profit,
        "revenue": revenue,
        "energy_cost": cost,
        "served_tasks": float(len(served)),
        "acceptance_rate": len(served) / instance.n_tasks if instance.n_tasks else 0.0,
        "mean_delay_s": mean([d.total_s for d in served]),
        "mean_transmission_s": mean([d.transmission_s for d in served]),
        "mean_offset_s": mean([d.offset_s for d in served]),
        "mean_computation_s": mean([d.computation_s for d in served]),
    }
    return DetailedEvaluation(Evaluation(not violations, profit, metrics, violations), tuple(delays))


def evaluate(instance: RoutingInstance, decision: RoutingDecision) -> Evaluation:
    return evaluate_detailed(instance, decision).evaluation
