"""An offloading decision: each task's compute node and its split over that node's candidate paths."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OffloadingDecision:
    nodes: tuple[int, ...]  # per task: index into ``instance.compute_nodes`` (one of the task's candidates)
    splits: tuple[tuple[float, ...], ...]  # per task: s_k ≥ 0, Σ s_k = 1, one per path of instance.paths(ap, node)
