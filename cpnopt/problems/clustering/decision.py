"""A P1 decision: the server clustering, each task's cluster and the payment to it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClusteringDecision:
    clusters: tuple[tuple[int, ...], ...]  # a partition of the servers (Eq. 10a, 10c)
    assignment: tuple[int | None, ...]  # per task: index into ``clusters``, or None (not served)
    payments: tuple[float | None, ...]  # per task: what the platform pays the cluster, None if unserved

    @classmethod
    def unserved(cls, clusters: tuple[tuple[int, ...], ...], n_tasks: int) -> ClusteringDecision:
        return cls(clusters=clusters, assignment=(None,) * n_tasks, payments=(None,) * n_tasks)
