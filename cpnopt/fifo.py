"""First-in-first-out single-queue simulation, shared by every family that queues work.

A queue serves jobs one at a time in order of release time (ties by job index), each for
its processing time, starting from an initial backlog. This is Eq. (1)–(2) of the
clustering family and the queueing part of every deadline check in cpnopt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FifoSchedule:
    order: np.ndarray  # job indices in service order
    start_s: np.ndarray  # start time of each job (indexed like the input)
    completion_s: np.ndarray  # completion time of each job (indexed like the input)


def fifo_order(release_s: np.ndarray) -> np.ndarray:
    """Service order: by release time, ties broken by job index (a stable sort)."""
    return np.argsort(np.asarray(release_s, dtype=float), kind="stable")


def fifo_schedule(release_s: np.ndarray, processing_s: np.ndarray, backlog_s: float = 0.0) -> FifoSchedule:
    """Start and completion times of jobs served FIFO by one queue.

    C_j = max(r_j, C_prev) + p_j in release order, with C_prev = ``backlog_s`` for the first.
    """
    release = np.asarray(release_s, dtype=float)
    processing = np.asarray(processing_s, dtype=float)
    order = fifo_order(release)
    start = np.empty_like(release)
    completion = np.empty_like(release)
    free_at = backlog_s
    for j in order:
        start[j] = max(release[j], free_at)
        completion[j] = start[j] + processing[j]
        free_at = completion[j]
    return FifoSchedule(order=order, start_s=start, completion_s=completion)
