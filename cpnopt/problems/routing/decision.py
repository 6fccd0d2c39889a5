"""A STPer decision: per task its destination (y_{u,n}), route (x) and link start slots (b)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskRoute:
    """How one task is served.

    ``destination`` None: the task is rejected (no revenue, no cost) and ``path`` and
    ``start_slots`` are empty. Otherwise ``path`` is the node sequence from the user's access
    node to the destination (just ``(destination,)`` when it computes at the access node) and
    ``start_slots[i]`` is the slot, counted from the frame's start, at which the task begins
    to occupy the i-th link of the path.
    """

    destination: int | None
    path: tuple[int, ...] = ()
    start_slots: tuple[int, ...] = ()


REJECTED = TaskRoute(destination=None)


@dataclass(frozen=True)
class RoutingDecision:
    routes: tuple[TaskRoute, ...]  # one per task, in the instance's task order
