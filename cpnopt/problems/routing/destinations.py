"""The STPer baselines' destination rules (``random``, ``nearest``, ``cheapest``) and their routes.

A mechanism of the family: the baselines of :mod:`cpnopt.solvers.routing.heuristics` and
fp-qt's starting points (:mod:`cpnopt.formulations.routing.fpqt`) both use it; the rules
are described in docs/families/routing.md.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from cpnopt.errors import InputError
from cpnopt.problems.routing.firstfit import Route, compute_nodes, fastest_path
from cpnopt.problems.routing.instance import RoutingInstance

RULES = ("random", "nearest", "cheapest")


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
