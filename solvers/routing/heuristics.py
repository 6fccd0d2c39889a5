"""STPer baselines: a destination rule, a route, and first-fit link slots.

Destination rules (per task; only compute nodes qualify; :mod:`cpnopt.problems.routing.destinations`,
shared with fp-qt's starting points)
    ``random``    a compute node drawn uniformly (option ``seed``), as the paper's random baseline.
    ``nearest``   the compute node nearest in km along the links (topohub's link lengths; Gabriel:
                  Euclidean), ties by index.
    ``cheapest``  the compute node of least energy cost E_{u,n} = i_e(t) α_n(t) m f_n² + i_t m/f_n
                  (Eq. 5) among those the fastest path reaches in time, ties by index.
Routes: ``random`` takes a shortest path in hops drawn uniformly among them; ``nearest`` the
shortest path in km; ``cheapest`` the fastest path (least Σ_e (t_sw + k_{u,e}) slots).

First-fit scheduler: :mod:`cpnopt.problems.routing.firstfit` (shared with the STPer
environment): tasks in index order, each link at the first free slot after the task is
ready (Eq. 11–13); a task whose arrival misses l_u (Eq. 14) is rejected.
"""

from __future__ import annotations

from cpnopt.problems.routing import RoutingInstance
from cpnopt.problems.routing.destinations import choose_routes
from cpnopt.problems.routing.firstfit import first_fit
from cpnopt.registry import Kind, register_method
from cpnopt.solution import MethodOutput, Status


@register_method(
    "routing",
    "random",
    kind=Kind.HEURISTIC,
    description="random compute node, random shortest route (hops), first-fit slots (the paper's baseline)",
)
def random_baseline(instance: RoutingInstance, seed: int = 0) -> MethodOutput:
    return MethodOutput(first_fit(instance, choose_routes(instance, "random", seed)), Status.FEASIBLE)


@register_method(
    "routing",
    "nearest",
    kind=Kind.HEURISTIC,
    description="nearest compute node in km, shortest route in km, first-fit slots",
)
def nearest(instance: RoutingInstance) -> MethodOutput:
    return MethodOutput(first_fit(instance, choose_routes(instance, "nearest")), Status.FEASIBLE)


@register_method(
    "routing",
    "cheapest",
    kind=Kind.HEURISTIC,
    description="compute node of least energy cost (Eq. 5) reachable in time, fastest route, first-fit slots",
)
def cheapest(instance: RoutingInstance) -> MethodOutput:
    return MethodOutput(first_fit(instance, choose_routes(instance, "cheapest")), Status.FEASIBLE)
