"""Enumeration of the feasible clusters: cliques of the "within R_max" graph (Eq. 10c)."""

from __future__ import annotations

import networkx as nx

from cpnopt.problems.clustering.instance import ClusteringInstance


def feasible_clusters(instance: ClusteringInstance) -> list[tuple[int, ...]]:
    """Every server set of diameter ≤ R_max and size ≤ max_cluster_size, smallest first.

    A set has diameter ≤ R_max exactly when every pair is within R_max, i.e. when it is a
    clique of the graph joining servers at most R_max apart.
    """
    graph = nx.Graph()
    graph.add_nodes_from(range(instance.n_servers))
    dist = instance.server_distance_km
    limit = instance.r_max_km * (1 + 1e-9)
    graph.add_edges_from(
        (i, j) for i in range(instance.n_servers) for j in range(i + 1, instance.n_servers) if dist[i, j] <= limit
    )
    size_limit = instance.max_cluster_size or instance.n_servers
    found = []
    for clique in nx.enumerate_all_cliques(graph):
        if len(clique) > size_limit:
            break
        found.append(tuple(sorted(clique)))
    return found
