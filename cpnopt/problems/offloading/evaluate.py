"""The offloading evaluator: the single source of truth for every method (RLMS-CPN system model).

Response latency of task j placed on compute node c with split s over its candidate paths:

    latency_j = L_c(j, c) + max_{k: s_k > 0} ( s_k D_j / bw_k + d_k )

(computation + transmission; the transmission lasts as long as its slowest flowlet.)
``bw_k`` is the rate the flowlet on path k is granted at the task's arrival a_j, on the
network state left by the earlier tasks (docs/families/offloading.md, "Bandwidth held by earlier tasks"):

    residual_e(a_j) = c_e(slot(a_j)) × (1 − Σ_{flowlets i active on e at a_j} q_{i,e})
    bw_k = α × min_{e ∈ k} residual_e(a_j),  q_{j,e} = bw_k / c_e(slot(a_j)) for e ∈ k,

held for the flowlet's duration s_k D_j / bw_k. The objective is the mean response
latency over the task sequence. :class:`NetworkState` is the same simulation, exposed one
task at a time, so that online methods decide on exactly the state the evaluator scores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cpnopt.problems.offloading.candidates import Path
from cpnopt.problems.offloading.decision import OffloadingDecision
from cpnopt.problems.offloading.instance import OffloadingInstance
from cpnopt.solution import Evaluation

SPLIT_TOLERANCE = 1e-6
USED = 1e-12  # a split share above this counts as a flowlet


@dataclass(frozen=True)
class CandidateView:
    """What a method sees of one candidate node for the task being decided."""

    compute: int  # index into instance.compute_nodes
    computation_s: float  # L_c
    paths: tuple[Path, ...]
    bandwidth_mbps: np.ndarray  # bw_k granted to a flowlet on each path now
    delay_s: np.ndarray  # d_k


@dataclass(frozen=True)
class TaskView:
    index: int
    data_mb: float
    arrival_s: float
    access_point: int
    candidates: tuple[CandidateView, ...]
    residual_mbps: np.ndarray  # residual_e of every directed link now


def transmission_s(data_mb: float, split: Sequence[float], bandwidth_mbps: np.ndarray, delay_s: np.ndarray) -> float:
    """max over used paths of s_k D / bw_k + d_k (inf when a used path has no bandwidth)."""
    worst = 0.0
    for s, bw, d in zip(split, bandwidth_mbps, delay_s):
        if s > USED:
            worst = max(worst, s * data_mb / bw + d if bw > 0 else math.inf)
    return worst


class NetworkState:
    """Replays the task sequence: :meth:`view` the next task, :meth:`commit` a decision for it."""

    def __init__(self, instance: OffloadingInstance) -> None:
        self.instance = instance
        self.next_task = 0
        self._active: list[tuple[float, np.ndarray, np.ndarray]] = []  # (end time, link indices, shares q)

    def residual_mbps(self, time_s: float) -> np.ndarray:
        """residual_e at ``time_s`` for every directed link (flowlets ending at or before it are gone)."""
        self._active = [f for f in self._active if f[0] > time_s]
        held = np.zeros(len(self.instance.directed_links))
        for _, links, shares in self._active:
            held[links] += shares
        return self.instance.available_mbps[self.instance.slot_of(time_s)] * np.clip(1.0 - held, 0.0, None)

    def view(self) -> TaskView:
        inst, j = self.instance, self.next_task
        task = inst.tasks[j]
        residual = self.residual_mbps(task.arrival_s)
        views = []
        for c in inst.candidates[j]:
            paths = inst.paths(task.access_point, c)
            bw = np.array([inst.flow_share * residual[list(p.links)].min() for p in paths])
            views.append(
                CandidateView(c, float(inst.computation_s[j, c]), paths, bw, np.array([p.delay_s for p in paths]))
            )
        return TaskView(j, task.data_mb, task.arrival_s, task.access_point, tuple(views), residual)

    def commit(self, view: TaskView, compute: int, split: Sequence[float]) -> tuple[float, float, list[str]]:
        """Apply the decision for ``view``'s task; returns (computation, transmission, violations)."""
        inst, j = self.instance, view.index
        self.next_task += 1
        found = []
        chosen = next((c for c in view.candidates if c.compute == compute), None)
        if chosen is None:
            valid = 0 <= compute < len(inst.compute_nodes) if isinstance(compute, int) else False
            what = (
                "is not one of its candidates " + str([c.compute for c in view.candidates])
                if valid
                else "does not exist"
            )
            return 0.0, 0.0, [f"task {j}: compute node {compute} {what} (Sec. 3.2)"]
        if len(split) != len(chosen.paths):
            return 0.0, 0.0, [f"task {j}: split has {len(split)} ratios for {len(chosen.paths)} candidate paths"]
        if any(not math.isfinite(s) or s < -SPLIT_TOLERANCE for s in split) or abs(sum(split) - 1.0) > SPLIT_TOLERANCE:
            found.append(
                f"task {j}: split {tuple(round(s, 9) for s in split)} is not on the simplex (s_k ≥ 0, Σ s_k = 1)"
            )
        tx = transmission_s(view.data_mb, split, chosen.bandwidth_mbps, chosen.delay_s)
        if not math.isfinite(tx):
            found.append(f"task {j}: split sends data over a path with no residual bandwidth")
        if found:
            return chosen.computation_s, 0.0, found
        available = inst.available_mbps[inst.slot_of(view.arrival_s)]
        for s, bw, path in zip(split, chosen.bandwidth_mbps, chosen.paths):
            if s > USED:
                links = np.array(path.links)
                self._active.append((view.arrival_s + s * view.data_mb / bw, links, bw / available[links]))
        return chosen.computation_s, tx, []


Policy = Callable[[TaskView], tuple[int, Sequence[float]]]


def run_policy(instance: OffloadingInstance, policy: Policy) -> OffloadingDecision:
    """Decide the tasks one at a time in arrival order with ``policy`` on the evaluator's own state."""
    state = NetworkState(instance)
    nodes, splits = [], []
    for _ in range(instance.n_tasks):
        view = state.view()
        compute, split = policy(view)
        state.commit(view, compute, split)
        nodes.append(int(compute))
        splits.append(tuple(float(s) for s in split))
    return OffloadingDecision(nodes=tuple(nodes), splits=tuple(splits))


@dataclass(frozen=True)
class Replay:
    computation_s: np.ndarray  # per task
    transmission_s: np.ndarray
    paths_used: np.ndarray
    violations: list[str]

    @property
    def latency_s(self) -> np.ndarray:
        return self.computation_s + self.transmission_s


def replay(instance: OffloadingInstance, decision: OffloadingDecision) -> Replay:
    """Per-task computation and transmission latency of ``decision`` and every violation."""
    n = instance.n_tasks
    if len(decision.nodes) != n or len(decision.splits) != n:
        message = f"decision has {len(decision.nodes)} nodes and {len(decision.splits)} splits for {n} tasks"
        return Replay(np.zeros(0), np.zeros(0), np.zeros(0), [message])
    state = NetworkState(instance)
    computation, transmission, violations = np.zeros(n), np.zeros(n), []
    for j in range(n):
        computation[j], transmission[j], found = state.commit(state.view(), decision.nodes[j], decision.splits[j])
        violations += found
    paths_used = np.array([sum(1 for s in split if s > USED) for split in decision.splits], dtype=float)
    return Replay(computation, transmission, paths_used, violations)


def evaluate(instance: OffloadingInstance, decision: OffloadingDecision) -> Evaluation:
    """Replay ``decision``: the objective is the mean response latency (s) over the task sequence."""
    result = replay(instance, decision)
    latency = result.latency_s
    if not len(latency):
        return Evaluation(False, 0.0, {}, result.violations)
    metrics = {  # in ms (the objective is the mean latency in s)
        "mean_latency_ms": 1e3 * float(latency.mean()),
        "mean_computation_ms": 1e3 * float(result.computation_s.mean()),
        "mean_transmission_ms": 1e3 * float(result.transmission_s.mean()),
        "max_latency_ms": 1e3 * float(latency.max()),
        "p95_latency_ms": 1e3 * float(np.percentile(latency, 95)),
        "mean_paths_used": float(result.paths_used.mean()),
        "tasks": float(len(latency)),
    }
    return Evaluation(not result.violations, float(latency.mean()), metrics, result.violations)
