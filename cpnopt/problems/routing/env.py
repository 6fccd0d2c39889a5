"""The STPer (``routing``) environment: choose each task's destination; the fast scheduler routes it.

An episode is one instance: its tasks in index order (frame by frame, users in order), one
step per task. The action is the task's destination compute node; the task is routed on
its fastest path (least no-wait arrival) and scheduled first-fit on the links
(:mod:`cpnopt.problems.routing.firstfit`, the baselines' scheduler), so every episode ends in
a feasible decision; a task whose destination cannot be reached in time is rejected.
At the end the decision is scored by the family's evaluator: reward = profit (Eq. 15) /
(p Σ_u m_u), the revenue of the tasks at the base price (a positive per-instance scale).

Modelling decisions (the STPer paper leaves them open or they follow from the family)
------------------------------------------------------------------------------------
- Candidates are all nodes of the topology (K = |N|, routers included) so that the
  candidates' features are the GCN's node signals; routers are never allowed. The mask
  allows the compute nodes the task reaches in time given the slots booked so far
  (first fit on the fastest path meets l_u, Eq. 14); when none does, every compute node
  is allowed (the task is rejected whichever is chosen). An action outside the mask goes
  to the allowed candidate of lowest index.
- The routing during training is the fast scheduler (fastest path + first-fit slots), as
  the issue asks; fp-qt may refine the chosen destinations at evaluation (the methods' option).
- Node features for task u at node n (the "task demand on the topology", Eq. 16–17's graph
  signal, plus what the destination choice changes): compute-node flag; f_n / max f;
  E_{u,n} / (p m_u) (Eq. 5); first-fit arrival · slot / l_u; profit of serving u there now
  (Eq. 15's summand) / (p m_u); reachable-in-time flag; m_u / mean m at u's access node;
  workload already served at n in this frame / mean m; workload of this frame's later
  tasks entering at n / mean m; 1 − α_n(t) (hydropower share); share of tasks left.
  Routers and unreachable nodes read 0 in the arrival and profit features.
- Adjacency: each node's row of the GCN's normalised adjacency D^{-1/2}(A + I)D^{-1/2}
  (Kipf & Welling; Eq. 16) is appended to its features, so the observation stays one
  (B, K, F) tensor with F = 11 + K + 3·window: the adjacency block is K wide for any K, and
  :func:`split_features` cuts it out again as a (B, K, K) tensor (the network never needs
  to know the node count).
- Any node count: an environment built without ``max_nodes`` takes instances of one size
  per batch (K = that size); with ``max_nodes`` it takes any mix of instances of at most
  that many nodes and pads them to K = ``max_nodes``: padded nodes have all-zero features,
  zero adjacency rows and columns and are never allowed, so a real node's embedding and the
  pooled context do not depend on the padding (training on a mix of graph sizes uses it).
- Series (Eq. 18–20's LSTM inputs): the instance holds only its own frames, so "recent"
  is the last ``window`` frames up to the current one: electricity price / 100 €/MWh, mean
  hydropower share mean_n(1 − α_n(t)), and the frame's mean workload / mean m; frames before
  the first are zeros. The same window is appended to every node's features.
- The state is per instance (first fit is sequential) and the observation is built as one
  tensor per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from cpnopt.errors import InputError
from cpnopt.problems.routing import RoutingInstance, RoutingParams, generate
from cpnopt.problems.routing.firstfit import LinkCalendar, Route, compute_nodes, fastest_path, first_fit
from cpnopt.rl_env import TRAINING_SEED_OFFSET, BatchedEnv, FamilyGymEnv, Observation, Step

N_NODE_FEATURES = 11
N_SERIES = 3  # price, hydropower share, demand
WINDOW = 4  # frames of series the LSTM reads
PRICE_SCALE = 100.0  # €/MWh


def n_features(n_nodes: int, window: int = WINDOW) -> int:
    """F = node features + adjacency row + series window."""
    return N_NODE_FEATURES + n_nodes + N_SERIES * window


def split_features(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """An observation's (B, K, F) features as node features (B, K, 11), Â (B, K, K) and the series window (B, W·3).

    K is read off the tensor, so one network serves any node count (the window is the same on
    every node; node 0 is always a real node).
    """
    k = features.shape[-2]
    window = features[..., 0, N_NODE_FEATURES + k :]
    return features[..., :N_NODE_FEATURES], features[..., N_NODE_FEATURES : N_NODE_FEATURES + k], window


def normalized_adjacency(instance: RoutingInstance) -> np.ndarray:
    """D^{-1/2} (A + I) D^{-1/2}, the GCN propagation matrix (Eq. 16)."""
    a = np.eye(instance.n_nodes)
    for link in instance.links:
        a[link.u, link.v] = a[link.v, link.u] = 1.0
    d = 1.0 / np.sqrt(a.sum(1))
    return a * d[:, None] * d[None, :]


def frame_series(instance: RoutingInstance) -> np.ndarray:
    """(frames, 3): price / 100, mean hydropower share, mean workload / mean m per frame."""
    work = np.array([t.workload_tflop for t in instance.tasks])
    frames = np.array([t.frame for t in instance.tasks])
    mean_m = work.mean() if len(work) else 1.0
    rows = []
    for t, frame in enumerate(instance.frames):
        demand = work[frames == t].mean() / mean_m if (frames == t).any() else 0.0
        rows.append([frame.electricity_eur_mwh / PRICE_SCALE, 1.0 - float(np.mean(frame.hydro_discount)), demand])
    return np.array(rows, dtype=float).reshape(-1, N_SERIES)


@dataclass
class Episode:
    """One instance's episode: the tasks routed so far and the slots they booked."""

    instance: RoutingInstance
    calendar: LinkCalendar
    adjacency: np.ndarray
    series: np.ndarray
    compute: np.ndarray  # bool per node
    paths: list[Route | None] = field(default_factory=list)
    served: dict[tuple[int, int], float] = field(default_factory=dict)  # (frame, node) -> workload served
    fast: dict[tuple[int, float], dict[int, Route]] = field(
        default_factory=dict
    )  # (access node, r_u) -> node -> fastest path

    @classmethod
    def start(cls, instance: RoutingInstance) -> Episode:
        compute = np.zeros(instance.n_nodes, dtype=bool)
        compute[compute_nodes(instance)] = True
        return cls(instance, LinkCalendar(instance), normalized_adjacency(instance), frame_series(instance), compute)

    @property
    def task(self) -> int:
        return len(self.paths)

    @property
    def done(self) -> bool:
        return self.task >= self.instance.n_tasks

    def fastest(self, task: int) -> dict[int, Route]:
        """Fastest path to every compute node; tasks from one access node with one packet size share them."""
        key = (self.instance.access_node(task), self.instance.tasks[task].size_mb)
        if key not in self.fast:
            self.fast[key] = {n: fastest_path(self.instance, task, n) for n in np.flatnonzero(self.compute).tolist()}
        return self.fast[key]

    def candidates(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Node features (K, F) and mask (K,) for the current task, padded to K = ``width`` ≥ |N| nodes
        (see the module docstring)."""
        inst, u = self.instance, self.task
        n = inst.n_nodes
        task = inst.tasks[u]
        work = np.array([t.workload_tflop for t in inst.tasks])
        mean_m = work.mean()
        scale = inst.economics.base_price * task.workload_tflop
        power = inst.power_tflops
        node = np.zeros((n, N_NODE_FEATURES))
        reachable = np.zeros(n, dtype=bool)
        for v, path in self.fastest(u).items():
            _, arrival = self.calendar.earliest_starts(u, path)
            if arrival <= inst.horizon_slots[u, v]:
                reachable[v] = True
                node[v, 3] = arrival * inst.slot_s / task.max_latency_s
                node[v, 4] = inst.profit(u, v, arrival) / scale
        node[:, 0] = self.compute
        node[:, 1] = power / power.max()
        node[:, 2] = np.where(
            self.compute, np.where(np.isfinite(inst.energy_cost[u]), inst.energy_cost[u], 0.0) / scale, 0.0
        )
        node[:, 5] = reachable
        node[inst.access_node(u), 6] = task.workload_tflop / mean_m
        node[:, 7] = [self.served.get((task.frame, v), 0.0) / mean_m for v in range(n)]
        for later in range(u + 1, inst.n_tasks):
            if inst.tasks[later].frame == task.frame:
                node[inst.access_node(later), 8] += work[later] / mean_m
        node[:, 9] = 1.0 - np.array(inst.frames[task.frame].hydro_discount)
        node[:, 10] = (inst.n_tasks - u) / inst.n_tasks
        window = np.zeros((WINDOW, N_SERIES))
        recent = self.series[max(0, task.frame + 1 - WINDOW) : task.frame + 1]
        window[WINDOW - len(recent) :] = recent
        features = np.zeros((width, n_features(width)), dtype=np.float32)
        features[:n, :N_NODE_FEATURES] = node
        features[:n, N_NODE_FEATURES : N_NODE_FEATURES + n] = self.adjacency
        features[:n, N_NODE_FEATURES + width :] = window.reshape(-1)
        mask = np.zeros(width, dtype=bool)
        mask[:n] = reachable if reachable.any() else self.compute
        return features, mask

    def route(self, node: int) -> None:
        """Send the current task to ``node`` on its fastest path, first-fit on the links."""
        u = self.task
        path = self.fastest(u)[node]
        placed = self.calendar.place(u, path)
        self.paths.append(path)
        if placed.destination is not None:
            key = (self.instance.tasks[u].frame, node)
            self.served[key] = self.served.get(key, 0.0) + self.instance.tasks[u].workload_tflop


class BatchedRoutingEnv(BatchedEnv):
    """Many STPer instances; observations as (B, K, F) tensors.

    ``max_nodes``: None takes batches of instances of one size (K = their node count); a
    number takes any instances of at most that many nodes, padded to K = ``max_nodes``.
    """

    def __init__(self, max_nodes: int | None = None, device: torch.device | str = "cpu") -> None:
        super().__init__(device)
        self.max_nodes = max_nodes
        self.episodes: list[Episode] = []

    @property
    def n_nodes(self) -> int:
        """K: the nodes (candidates) of every observation of the current batch."""
        return self.max_nodes if self.max_nodes is not None else self.instances[0].n_nodes

    @property
    def n_features(self) -> int:  # type: ignore[override]
        return n_features(self.n_nodes)

    def n_candidates(self, instance: RoutingInstance) -> int:
        if self.max_nodes is not None and instance.n_nodes > self.max_nodes:
            raise InputError("instance", instance.n_nodes, f"this environment takes at most {self.max_nodes} nodes")
        if instance.n_tasks == 0:
            raise InputError("instance", 0, "an episode needs at least one task")
        return self.max_nodes if self.max_nodes is not None else instance.n_nodes

    def _reset_all(self) -> None:
        self.episodes = [Episode.start(inst) for inst in self.instances]
        self._clear()

    def _reset_slots(self, slots: list[int]) -> None:
        for slot in slots:
            self.episodes[slot] = Episode.start(self.instances[slot])
            self._clear([slot])

    @property
    def done(self) -> torch.Tensor:
        return torch.tensor([e.done for e in self.episodes], device=self.device)

    def observe(self) -> Observation:
        width = self.n_nodes
        features = np.zeros((self.batch_size, width, n_features(width)), dtype=np.float32)
        mask = np.zeros((self.batch_size, width), dtype=bool)
        for slot, episode in enumerate(self.episodes):
            if episode.done:
                mask[slot, 0] = True
            else:
                features[slot], mask[slot] = episode.candidates(width)
        self._mask = mask
        return Observation(torch.as_tensor(features, device=self.device), torch.as_tensor(mask, device=self.device))

    def step(self, actions: torch.Tensor) -> Step:
        b = self.batch_size
        reward = torch.zeros(b, device=self.device)
        objective = torch.zeros(b, device=self.device)
        for slot, (episode, action) in enumerate(zip(self.episodes, actions.cpu().tolist())):
            if episode.done:
                continue
            allowed = self._mask[slot]
            node = int(action) if 0 <= action < len(allowed) and allowed[action] else int(np.flatnonzero(allowed)[0])
            episode.route(node)
            if episode.done:
                reward[slot], objective[slot] = self._finish(slot)
        return Step(self.observe(), reward, self.done, objective)

    def _finish(self, slot: int) -> tuple[float, float]:
        """The decision is first fit of the chosen routes (what the steps booked); the evaluator scores it."""
        episode = self.episodes[slot]
        inst = episode.instance
        decision = first_fit(inst, episode.paths)
        scale = inst.economics.base_price * sum(t.workload_tflop for t in inst.tasks)
        reward, evaluation = self._score(slot, decision, scale)
        return reward, evaluation.objective


class RoutingEnv(FamilyGymEnv):
    """Gymnasium ``cpnopt/Routing-v0``: instances from the generator with ``params`` (keyword overrides)."""

    candidate_field = "n_nodes"

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        self.params = replace(RoutingParams(), **params)
        n_nodes = generate(self.params, seed=TRAINING_SEED_OFFSET).n_nodes
        super().__init__(BatchedRoutingEnv(n_nodes, device), generate, self.params, n_nodes)
