"""Candidate filtering (RLMS-CPN Sec. 3.2): k shortest link-disjoint paths and the top-n compute nodes.

- Paths: networkx ``shortest_simple_paths`` (Yen's algorithm) from the access point to the
  compute node, weighted by propagation delay (link length); a path is kept when it shares
  no link with the paths kept before it, until ``k`` are kept or ``MAX_PATHS_EXAMINED``
  simple paths have been looked at. Link-disjointness makes the paths' bandwidths
  independent, which the split model max_k(s_k D / bw_k + d_k) assumes.
- Nodes: the ``n`` compute nodes of least score computation latency + ``hop_weight_s`` ×
  hop count of the shortest path (ties by index): the paper ranks by "predicted
  computation latency and hop count" without saying how the two are combined.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

import networkx as nx
import numpy as np

MAX_PATHS_EXAMINED = 64


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
    for nodes in islice(nx.shortest_simple_paths(graph, source, target, weight="delay_s"), MAX_PATHS_EXAMINED):
        links = tuple(graph.edges[u, v]["index"] for u, v in zip(nodes, nodes[1:]))
        if used.isdisjoint(links):
            kept.append(Path(links, float(sum(graph.edges[u, v]["delay_s"] for u, v in zip(nodes, nodes[1:])))))
            used.update(links)
            if len(kept) == k:
                break
    return tuple(kept)


def top_candidates(computation_s: np.ndarray, hops: np.ndarray, hop_weight_s: float, n: int) -> tuple[int, ...]:
    """Indices of the ``n`` compute nodes of least computation_s + hop_weight_s × hops, ties by index."""
    score = computation_s + hop_weight_s * hops
    order = np.lexsort((np.arange(len(score)), score))
    return tuple(int(c) for c in order[:n])
