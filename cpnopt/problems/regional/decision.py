"""A regional decision: the server of each task, or None when the task is rejected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegionalDecision:
    assignment: tuple[int | None, ...]  # per task: server index, None = rejected (profit 0)

    @classmethod
    def rejected(cls, n_tasks: int) -> RegionalDecision:
        return cls(assignment=(None,) * n_tasks)
