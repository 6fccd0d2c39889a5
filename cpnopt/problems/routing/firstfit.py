"""The fast STPer scheduler: fastest routes and first-fit link slots (Eq. 11–14 by construction).

Used by the baselines (``random``, ``nearest``, ``cheapest``), by fp-qt's starting points and
by the ``cpnopt/Routing-v0`` environment (STPer's agent picks destinations, this routes
them), so it lives in the family package: nothing upstream imports a solver.

First fit: tasks in index order; on each link of its route a task starts at the first slot
≥ its ready slot (t_sw after it left the previous node, Eq. 11) where the link is free for
its k_{u,e} slots (Eq. 12–13). A task whose arrival misses l_u (Eq. 14) is rejected and
books nothing.
"""

from __future__ import annotations

import bisect

import networkx as nx

from cpnopt.problems.routing.decision import REJECTED, RoutingDecision, TaskRoute
from cpnopt.problems.routing.instance import RoutingInstance

Route = tuple[int, ...]


def compute_nodes(instance: RoutingInstance) -> list[int]:
    return [n for n in range(instance.n_nodes) if instance.power_tflops[n] > 0]


def fastest_path(instance: RoutingInstance, task: int, target: int) -> Route:
    """Least no-wait arrival: Dijkstra with weight t_sw + k_{u,e} per link."""
    k = instance.occupation_slots[task]
    sw = instance.switch_slots
    weight = lambda a, b, data: sw + int(k[data["index"]])  # noqa: E731
    return tuple(nx.shortest_path(instance.graph, instance.access_node(task), target, weight=weight))


class LinkCalendar:
    """The slot intervals [start, end) already booked on every (frame, link); first-fit places tasks into the gaps.

    Intervals, not sets of slots: the work per task grows with the bookings, never with the
    number of slots a transfer holds (up to ``MAX_SLOTS``)."""

    def __init__(self, instance: RoutingInstance) -> None:
        self.instance = instance
        self.busy: dict[tuple[int, int], list[tuple[int, int]]] = {}

    def earliest_starts(self, task: int, path: Route) -> tuple[tuple[int, ...], int]:
        """First-fit start slot on each link of ``path`` and the arrival slot (nothing booked)."""
        inst = self.instance
        frame = inst.tasks[task].frame
        ready, starts, arrival = inst.switch_slots, [], 0
        for e in inst.path_links(path):
            k = int(inst.occupation_slots[task, e])
            s = ready
            for start, end in self.busy.get((frame, e), []):  # sorted by start
                if k and start < s + k and s < end:  # overlaps [s, s + k): try right after the booking
                    s = end
            starts.append(s)
            arrival = s + k
            ready = arrival + inst.switch_slots
        return tuple(starts), arrival

    def place(self, task: int, path: Route | None) -> TaskRoute:
        """Schedule ``task`` on ``path`` at the earliest free slots and book them; reject it if it misses l_u."""
        if path is None:
            return REJECTED
        starts, arrival = self.earliest_starts(task, path)
        if arrival > self.instance.horizon_slots[task, path[-1]]:
            return REJECTED
        frame = self.instance.tasks[task].frame
        for e, s in zip(self.instance.path_links(path), starts):
            bisect.insort(self.busy.setdefault((frame, e), []), (s, s + int(self.instance.occupation_slots[task, e])))
        return TaskRoute(path[-1], path, starts)


def first_fit(instance: RoutingInstance, paths: list[Route | None]) -> RoutingDecision:
    """Schedule the routes in task order at the earliest free slots; reject tasks that miss l_u."""
    calendar = LinkCalendar(instance)
    return RoutingDecision(tuple(calendar.place(u, path) for u, path in enumerate(paths)))
