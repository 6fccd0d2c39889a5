"""STPer baselines: a destination rule, a route, and first-fit link slots.

Destination rules (per task; only compute nodes qualify)
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

import networkx as nx
import numpy as np

from cpnopt.errors import InputError
from cpnopt.problems.routing import RoutingInstance
from cpnopt.problems.routing.firstfit import Route, compute_nodes, fastest_path, first_fit
from cpnopt.registry import register_method
from cpnopt.solution import MethodOutput, Status

RULES = ("random", "nearest", "cheapest")
__all__ = ["RULES", "Route", "choose_routes", "compute_nodes", "fastest_path", "first_fit"]


def choose_routes(instance: RoutingInstance, rule: str, seed: int = 0) -> list[Route | None]:
    """Destination and route of every task by ``rule`` (None: no compute node can serve it in time)."""
    if rule not in RULES:
        raise InputError("destinations", rule, f"must be one of {', '.join(RULES)} or milp")
    rng = np.random.default_rng(seed)
    nodes = compute_nodes(instance)
    chosen: list[Route | None] = []
    for u in range(instance.n_tasks):
        source = instance.access_node(u)
        if rule == "random":
            n = int(rng.choice(nodes))
            paths = list(nx.all_shortest_paths(instance.graph, source, n))
            chosen.append(tuple(paths[int(rng.integers(len(paths)))]))
        elif rule == "nearest":
            km, paths = nx.single_source_dijkstra(instance.graph, source, weight="length_km")
            n = min(nodes, key=lambda v: (km[v], v))
            chosen.append(tuple(paths[n]))
        else:
            fast = {n: fastest_path(instance, u, n) for n in nodes}
            ok = [n for n in nodes if instance.no_wait_arrival(u, fast[n]) <= instance.horizon_slots[u, n]]
            chosen.append(fast[min(ok, key=lambda v: (instance.energy_cost[u, v], v))] if ok else None)
    return chosen


@register_method("routing", "random", kind="heuristic",
                 description="random compute node, random shortest route (hops), first-fit slots (the paper's baseline)")
def random_baseline(instance: RoutingInstance, seed: int = 0) -> MethodOutput:
    return MethodOutput(first_fit(instance, choose_routes(instance, "random", seed)), Status.FEASIBLE)


@register_method("routing", "nearest", kind="heuristic",
                 description="nearest compute node in km, shortest route in km, first-fit slots")
def nearest(instance: RoutingInstance) -> MethodOutput:
    return MethodOutput(first_fit(instance, choose_routes(instance, "nearest")), Status.FEASIBLE)


@register_method("routing", "cheapest", kind="heuristic",
                 description="compute node of least energy cost (Eq. 5) reachable in time, fastest route, first-fit slots")
def cheapest(instance: RoutingInstance) -> MethodOutput:
    return MethodOutput(first_fit(instance, choose_routes(instance, "cheapest")), Status.FEASIBLE)
