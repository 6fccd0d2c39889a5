"""Brute force for tiny STPer instances: every destination, simple path and start-slot vector.

Independent of the MILP on purpose (no candidate-path pruning, no model): for each task it
lists every option — rejection, or a compute node, ANY simple path to it
(``networkx.all_simple_paths``) and every vector of integer link starts that respects
store-and-forward (Eq. 11) and meets l_u (Eq. 14) — with its Eq. (15) profit; then a
depth-first search over the tasks of each frame picks one option per task so that no two
share a (link, slot) (Eq. 12–13), pruning with the best remaining option values. Frames
share no links, so each frame is searched alone. Exponential: refused above
``MAX_TASKS_PER_FRAME`` tasks per frame, ``MAX_NODES`` nodes or ``MAX_OPTIONS`` options of
one task (counted before listing them: a route of L links with F slots of slack has
C(F + L, L) start vectors, so long latency horizons explode).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx

from cpnopt.errors import InputError
from cpnopt.problems.routing import REJECTED, RoutingDecision, RoutingInstance, TaskRoute
from cpnopt.registry import Kind, register_method
from cpnopt.solution import MethodOutput, Status

MAX_TASKS_PER_FRAME = 4
MAX_NODES = 7
MAX_OPTIONS = 200_000  # per task; each option holds a set of (link, slot) pairs


@dataclass(frozen=True)
class Option:
    profit: float
    route: TaskRoute
    held: frozenset[tuple[int, int]]  # (link, slot) pairs the option occupies


def start_vectors(occupation: list[int], switch: int, last_arrival: int) -> Iterator[tuple[int, ...]]:
    """Every integer start vector with s_1 ≥ t_sw, s_{i+1} ≥ s_i + k_i + t_sw, s_h + k_h ≤ last_arrival."""

    def grow(prefix: tuple[int, ...], ready: int, i: int) -> Iterator[tuple[int, ...]]:
        if i == len(occupation):
            yield prefix
            return
        rest = sum(occupation[i:]) + switch * (len(occupation) - i - 1)
        for s in range(ready, last_arrival - rest + 1):
            yield from grow(prefix + (s,), s + occupation[i] + switch, i + 1)

    yield from grow((), switch, 0)


def _destinations(instance: RoutingInstance, task: int) -> Iterator[tuple[int, int, Iterator[list[int]]]]:
    """(node, horizon, simple paths) for every node that can serve ``task`` within its l_u."""
    source = instance.access_node(task)
    for n in range(instance.n_nodes):
        horizon = int(instance.horizon_slots[task, n])
        if instance.power_tflops[n] <= 0 or horizon < 0:
            continue
        yield n, horizon, iter([[source]]) if n == source else nx.all_simple_paths(instance.graph, source, n)


def count_options(instance: RoutingInstance, task: int) -> int:
    """How many options :func:`task_options` would list, without listing them."""
    count = 1
    for _, horizon, paths in _destinations(instance, task):
        for path in paths:
            k = [int(instance.occupation_slots[task, e]) for e in instance.path_links(path)]
            slack = horizon - sum(k) - instance.switch_slots * len(k)
            count += 0 if slack < 0 else math.comb(slack + len(k), len(k))
    return count


def task_options(instance: RoutingInstance, task: int) -> list[Option]:
    options = [Option(0.0, REJECTED, frozenset())]
    for n, horizon, paths in _destinations(instance, task):
        for path in paths:
            links = instance.path_links(path)
            k = [int(instance.occupation_slots[task, e]) for e in links]
            for starts in start_vectors(k, instance.switch_slots, horizon):
                arrival = starts[-1] + k[-1] if links else 0
                held = frozenset((e, s + j) for e, s, ke in zip(links, starts, k) for j in range(ke))
                route = TaskRoute(n, tuple(path), starts)
                options.append(Option(instance.profit(task, n, arrival), route, held))
    return sorted(options, key=lambda o: -o.profit)


def best_frame(options: list[list[Option]]) -> tuple[float, list[Option]]:
    """Depth-first search for the best conflict-free choice of one option per task."""
    best_rest = [0.0] * (len(options) + 1)
    for i in range(len(options) - 1, -1, -1):
        best_rest[i] = best_rest[i + 1] + max(o.profit for o in options[i])
    best: tuple[float, list[Option]] = (-1.0, [])

    def search(i: int, value: float, used: frozenset[tuple[int, int]], chosen: list[Option]) -> None:
        nonlocal best
        if value + best_rest[i] <= best[0] + 1e-12:
            return
        if i == len(options):
            best = (value, list(chosen))
            return
        for o in options[i]:  # best first
            if not (o.held & used):
                chosen.append(o)
                search(i + 1, value + o.profit, used | o.held, chosen)
                chosen.pop()

    search(0, 0.0, frozenset(), [])
    return best


@register_method(
    "routing",
    "enumerate",
    kind=Kind.EXACT,
    description=f"brute force over destinations, all simple paths and start slots (≤ {MAX_TASKS_PER_FRAME} tasks per frame, ≤ {MAX_NODES} nodes)",
)
def enumerate_all(instance: RoutingInstance) -> MethodOutput:
    frames = [instance.tasks_of_frame(t) for t in range(len(instance.frames))]
    largest = max((len(f) for f in frames), default=0)
    if instance.n_nodes > MAX_NODES or largest > MAX_TASKS_PER_FRAME:
        raise InputError(
            "instance",
            f"{instance.n_nodes} nodes, {largest} tasks per frame",
            f"too large for enumerate (≤ {MAX_NODES} nodes, ≤ {MAX_TASKS_PER_FRAME} tasks per frame)",
        )
    for u in range(instance.n_tasks):
        count = count_options(instance, u)
        if count > MAX_OPTIONS:
            raise InputError(
                "instance",
                f"task {u}: {count:,} routes and start slots",
                f"too large for enumerate (≤ {MAX_OPTIONS:,} per task; they grow with max_latency_s / slot_s)",
            )
    routes = [REJECTED] * instance.n_tasks
    total = 0.0
    for tasks in frames:
        value, chosen = best_frame([task_options(instance, u) for u in tasks])
        total += value
        for u, option in zip(tasks, chosen):
            routes[u] = option.route
    return MethodOutput(RoutingDecision(tuple(routes)), Status.OPTIMAL, bound=total, model_objective=total)
