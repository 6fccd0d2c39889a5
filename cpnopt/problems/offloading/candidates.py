"""Candidate filtering (RLMS-CPN Sec. 3.2): k shortest link-disjoint paths and the top-n compute nodes.

- Paths: the k shortest mutually link-disjoint paths by propagation delay, in the order of
  k-shortest-path enumeration (Yen's algorithm, networkx ``shortest_simple_paths``) keeping
  each path that shares no link with those kept before it. The next kept path is exactly
  the shortest path in the graph without the kept links, so it is found with one Dijkstra
  (networkx ``dijkstra_path``, the kept links hidden) instead of enumerating the simple
  paths in between — the same paths (up to ties), also on graphs of thousands of nodes.
  Link-disjointness makes the paths' bandwidths independent, which the split model
  max_k(s_k D / bw_k + d_k) assumes.
- Nodes: the ``n`` compute nodes of least score computation latency + ``hop_weight_s`` ×
  hop count of the shortest path (ties by index): the paper ranks by "predicted
  computation latency and hop count" without saying how the two are combined.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np


@dataclass(frozen=True)
class Path:
    """A directed path: the indices of its directed links (see ``OffloadingInstance.directed_links``)."""

    links: tuple[int, ...]
    delay_s: float  # d_k, propagation delay

    @property
    def hops(self) -> int:
        return len(self.links)


def disjoint_paths(graph: nx.DiGraph, source: int, target: int, k: int) -> tuple[Path, ...]:
    """Up to ``k`` shortest (by ``delay_s``) mutually link-disjoint paths; edges carry ``index`` and ``delay_s``."""
    kept: list[Path] = []
    used: set[int] = set()

    def weight(u: int, v: int, attrs: dict) -> float | None:
        return None if attrs["index"] in used else attrs["delay_s"]

    while len(kept) < k:
        try:
            nodes = nx.dijkstra_path(graph, source, target, weight=weight)
        except nx.NetworkXNoPath:
            break
        links = tuple(graph.edges[u, v]["index"] for u, v in zip(nodes, nodes[1:]))
        kept.append(Path(links, float(sum(graph.edges[u, v]["delay_s"] for u, v in zip(nodes, nodes[1:])))))
        used.update(links)
    return tuple(kept)


def top_candidates(computation_s: np.ndarray, hops: np.ndarray, hop_weight_s: float, n: int) -> tuple[int, ...]:
    """Indices of the ``n`` compute nodes of least computation_s + hop_weight_s × hops, ties by index."""
    score = computation_s + hop_weight_s * hops
    order = np.lexsort((np.arange(len(score)), score))
    return tuple(int(c) for c in order[:n])
