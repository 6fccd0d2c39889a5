"""The RLMS-CPN (``offloading``) environment: one task per step, a compute node and a path split.

An episode is one instance's task sequence, decided online (Algorithm 1): at each step the
next task arrives on the network state left by the earlier ones, the agent picks one of
its candidate compute nodes (Sec. 3.2) and a split of its data over that node's candidate
paths, and the reward is minus the task's response latency (computation + transmission,
the slowest flowlet) as the evaluator computes it.

Modelling decisions (the paper leaves them open or they follow from the family)
------------------------------------------------------------------------------
- Network state: the evaluator's own :class:`~cpnopt.problems.offloading.NetworkState`
  (one per slot of the batch) replays the flowlets, so the agent decides on exactly the
  state the evaluator scores and there is no second copy of the latency model; the batch
  is a list of these states, its observations and actions are PyTorch tensors.
- Action (joint, a float tensor (B, 1 + k)): ``[candidate slot, z_1 … z_k]``. The node is
  candidate ``int(a[0])`` of the task (an index outside 0..K−1 or a masked one falls back to
  candidate 0, the best-ranked); the split is ``sparsemax(z)`` over the node's paths
  (Martins & Astudillo 2016, the Euclidean projection onto the simplex): unlike a softmax it
  gives exact zeros, and a path with share 0 carries no flowlet, so it does not add its
  delay d_k to the max (a softmax would use every path and pay the longest delay).
  Entries of z beyond the node's number of paths are ignored. Gymnasium's ``cpnopt/Offloading-v0``
  acts by default in a discrete split option set (one path, or equal shares over the node's
  paths; :class:`OffloadingEnv`), mapped to this joint action by :func:`joint_action`.
- Reward: −(L_c + transmission) / σ per task, σ = the instance's mean over tasks of the
  least computation latency among the task's candidates (a positive per-instance scale:
  rewards of order 1, the same optimal policy). At the end the decision goes through
  :func:`~cpnopt.rl_env.evaluator_reward`; its mean latency must equal the mean of the
  per-task latencies (else the environment raises), and ``Step.objective`` carries it (s).
- Features of candidate c (the SyncGNN's vertices, Eq. 4): the node vertex
  ``[L_c / σ, least hop count / 10, 1]``; then per candidate path k (up to the batch's
  path count P) ``[d_k / σ, D / bw_k / σ, 1]`` (one-way delay, and the time to send the whole
  task on k at the bandwidth it would get now: the changing network state); a missing path
  reads zeros. Times over 50 σ are clipped. A finished slot shows one allowed dummy
  candidate with one path.
- Path count: P is the environment's ``k_paths`` if given (an instance with up to that many
  paths is padded with missing paths, one with more is refused), else the largest
  ``k_paths`` of the instances of the batch (set at :meth:`BatchedEnv.reset`; a slot refilled
  later must fit in it). The policies read P from the feature width (:func:`path_count`), so
  one network serves any P.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from cpnopt.errors import InputError
from cpnopt.problems.offloading import (
    NetworkState,
    OffloadingDecision,
    OffloadingInstance,
    OffloadingParams,
    TaskView,
    generate,
)
from cpnopt.rl_env import TRAINING_SEED_OFFSET, BatchedEnv, FamilyGymEnv, Observation, Step

NODE_FEATURES = 3
PATH_FEATURES = 3
FEATURE_CLIP = 50.0
HOP_SCALE = 10.0
TRAINING_TASKS = 60  # training episodes are longer than the default 20 tasks: generating an instance costs ~90 ms
TRAINING_POOL = 200  # distinct training instances (see sample_pooled)


def n_features(k_paths: int) -> int:
    return NODE_FEATURES + k_paths * PATH_FEATURES


def path_count(features: torch.Tensor) -> int:
    """P: the number of path slots in candidate features of width NODE_FEATURES + P · PATH_FEATURES."""
    return (features.shape[-1] - NODE_FEATURES) // PATH_FEATURES


def path_features(features: torch.Tensor) -> torch.Tensor:
    """(…, K, P, PATH_FEATURES): the per-path block of candidate features (…, K, F)."""
    return features[..., NODE_FEATURES:].unflatten(-1, (path_count(features), PATH_FEATURES))


@lru_cache(maxsize=TRAINING_POOL)
def _pooled(params: OffloadingParams, seed: int) -> OffloadingInstance:
    return generate(params, seed=seed)


def sample_pooled(params: OffloadingParams, rng: np.random.Generator) -> OffloadingInstance:
    """A training instance from a pool of TRAINING_POOL generator seeds ≥ TRAINING_SEED_OFFSET, each generated once.

    Generating an instance (the analytic latency of 20 cells on every device) costs ~90 ms,
    more than the 60 steps of its episode; the pool's instances are replayed under the
    policy's own, changing, network state.
    """
    return _pooled(params, TRAINING_SEED_OFFSET + int(rng.integers(0, TRAINING_POOL)))


def sparsemax(z: np.ndarray) -> np.ndarray:
    """Euclidean projection of ``z`` onto the probability simplex (sparsemax; exact zeros)."""
    z = np.nan_to_num(np.asarray(z, dtype=float), nan=0.0, posinf=1e6, neginf=-1e6)
    ordered = np.sort(z)[::-1]
    cumulative = np.cumsum(ordered) - 1.0
    support = ordered - cumulative / np.arange(1, len(z) + 1) > 0
    rho = int(np.flatnonzero(support)[-1]) + 1
    share = z - cumulative[rho - 1] / rho
    share[share < 1e-9] = 0.0  # rounding leftovers of the support's edge
    return share / share.sum()


def time_scale(instance: OffloadingInstance) -> float:
    """σ: mean over tasks of the least computation latency among the task's candidates (s)."""
    comp = instance.computation_s
    return float(np.mean([comp[j, list(c)].min() for j, c in enumerate(instance.candidates)]))


class BatchedOffloadingEnv(BatchedEnv):
    """Many offloading instances (same K candidates), one task per step each; P path slots (module docstring)."""

    def __init__(self, device: torch.device | str = "cpu", k_paths: int | None = None) -> None:
        super().__init__(device)
        self.max_paths = k_paths  # None: the batch's own
        self._set_paths(k_paths or 1)

    def _set_paths(self, k_paths: int) -> None:
        self.k_paths = k_paths
        self.n_features = n_features(k_paths)

    def n_candidates(self, instance: OffloadingInstance) -> int:
        if self.max_paths is not None and instance.k_paths > self.max_paths:
            raise InputError("k_paths", instance.k_paths, f"this environment has room for {self.max_paths} paths")
        return min(instance.n_candidates, len(instance.compute_nodes))

    # ------------------------------------------------------------------ episodes
    def _reset_all(self) -> None:
        if self.max_paths is None:
            self._set_paths(max(inst.k_paths for inst in self.instances))
        b = self.batch_size
        self.states: list[NetworkState] = [None] * b  # type: ignore[list-item]
        self.views: list[TaskView | None] = [None] * b
        self.scales, self.nodes, self.splits, self.latencies = (
            [0.0] * b,
            [[] for _ in range(b)],
            [[] for _ in range(b)],
            [[] for _ in range(b)],
        )
        self._clear()
        self._reset_slots(list(range(b)))

    def _reset_slots(self, slots: list[int]) -> None:
        for slot in slots:
            inst = self.instances[slot]
            if inst.k_paths > self.k_paths:
                raise InputError(
                    "k_paths", inst.k_paths, f"the batch's observations have room for {self.k_paths} paths"
                )
            self.states[slot] = NetworkState(inst)
            self.views[slot] = self.states[slot].view()
            self.scales[slot] = time_scale(inst)
            self.nodes[slot], self.splits[slot], self.latencies[slot] = [], [], []
            self._clear([slot])

    @property
    def done(self) -> torch.Tensor:
        return torch.tensor([v is None for v in self.views], dtype=torch.bool, device=self.device)

    # ------------------------------------------------------------------ observation
    def _features(self, slot: int) -> np.ndarray:
        view, sigma = self.views[slot], self.scales[slot]
        inst = self.instances[slot]
        out = np.zeros((len(view.candidates), self.n_features))
        for c, cand in enumerate(view.candidates):
            out[c, :NODE_FEATURES] = [
                cand.computation_s / sigma,
                inst.hops[view.access_point, cand.compute] / HOP_SCALE,
                1.0,
            ]
            for k, (bw, d) in enumerate(zip(cand.bandwidth_mbps, cand.delay_s)):
                send = view.data_mb / bw if bw > 0 else np.inf
                start = NODE_FEATURES + k * PATH_FEATURES
                out[c, start : start + PATH_FEATURES] = [d / sigma, min(send / sigma, FEATURE_CLIP), 1.0]
        return np.minimum(out, FEATURE_CLIP)

    def observe(self) -> Observation:
        k = self.n_candidates(self.instances[0])
        features = np.zeros((self.batch_size, k, self.n_features))
        mask = np.zeros((self.batch_size, k), dtype=bool)
        for slot, view in enumerate(self.views):
            if view is None:  # finished: one allowed dummy candidate with one path
                mask[slot, 0] = True
                features[slot, 0, [NODE_FEATURES - 1, NODE_FEATURES + PATH_FEATURES - 1]] = 1.0
            else:
                features[slot] = self._features(slot)
                mask[slot] = True
        return Observation(
            torch.as_tensor(features, dtype=torch.float32, device=self.device),
            torch.as_tensor(mask, device=self.device),
        )

    # ------------------------------------------------------------------ step
    def step(self, actions: torch.Tensor) -> Step:
        actions = actions.detach().cpu().double().reshape(self.batch_size, -1).numpy()
        reward = torch.zeros(self.batch_size, device=self.device)
        objective = torch.zeros(self.batch_size, device=self.device)
        for slot, view in enumerate(self.views):
            if view is None:
                continue
            reward[slot] = self._decide(slot, view, actions[slot])
            if self.views[slot] is None:
                objective[slot] = self._finish(slot)
        return Step(self.observe(), reward, self.done, objective)

    def _decide(self, slot: int, view: TaskView, action: np.ndarray) -> float:
        """Commit the node and split of ``action`` for the slot's current task; the reward."""
        index = int(action[0]) if np.isfinite(action[0]) else 0
        cand = view.candidates[index if 0 <= index < len(view.candidates) else 0]
        split = sparsemax(action[1 : 1 + len(cand.paths)])
        state = self.states[slot]
        computation, transmission, violations = state.commit(view, cand.compute, split)
        if violations:
            raise RuntimeError(f"offloading environment built an infeasible step: {violations}")
        self.nodes[slot].append(cand.compute)
        self.splits[slot].append(tuple(float(s) for s in split))
        self.latencies[slot].append(computation + transmission)
        finished = state.next_task >= self.instances[slot].n_tasks
        self.views[slot] = None if finished else state.view()
        return -(computation + transmission) / self.scales[slot]

    def _finish(self, slot: int) -> float:
        """The evaluator scores the whole decision; it must agree with the per-task latencies."""
        decision = OffloadingDecision(nodes=tuple(self.nodes[slot]), splits=tuple(self.splits[slot]))
        _, evaluation = self._score(slot, decision, self.scales[slot])
        if abs(evaluation.objective - float(np.mean(self.latencies[slot]))) > 1e-9 * max(1.0, evaluation.objective):
            raise RuntimeError("offloading environment and evaluator disagree on the latencies")
        return evaluation.objective


def bandwidth_reward(view_candidates: tuple, compute: int, split: tuple[float, ...]) -> float:
    """Sec. 4.1.3's bandwidth reward: min_{k: s_k>0} bw_k / s_k of the chosen node, / max_c Σ_k bw_{c,k}."""
    chosen = next(c for c in view_candidates if c.compute == compute)
    used = np.asarray(split) > 0
    rate = float(np.min(chosen.bandwidth_mbps[used] / np.asarray(split)[used]))
    return rate / max(float(c.bandwidth_mbps.sum()) for c in view_candidates)


class BandwidthRewardEnv(BatchedOffloadingEnv):
    """The offloading environment with GNN-DQN's bandwidth reward in place of −latency (observations unchanged)."""

    def step(self, actions: torch.Tensor) -> Step:
        before = list(self.views)
        step = super().step(actions)
        reward = torch.zeros_like(step.reward)
        for slot, view in enumerate(before):
            if view is not None:  # the environment's own record of the node and split it committed
                reward[slot] = bandwidth_reward(view.candidates, self.nodes[slot][-1], self.splits[slot][-1])
        return replace(step, reward=reward)


# ---------------------------------------------------------------------- the split option set
def path_mask(features: torch.Tensor) -> torch.Tensor:
    """(B, K, P) bool: which candidate paths exist (the last path feature is 1 for a real path)."""
    return path_features(features)[..., -1] > 0.5


def action_mask(obs: Observation) -> torch.Tensor:
    """(B, K · (P + 1)): allowed (node, option) pairs — the node allowed, option k's path present, ECMP if ≥ 2 paths."""
    paths = path_mask(obs.features)
    options = torch.cat([paths, paths.sum(-1, keepdim=True) >= 2], -1)
    return (obs.mask[..., None] & options).flatten(1)


def joint_action(index: torch.Tensor, paths: torch.Tensor) -> torch.Tensor:
    """Discrete actions (B,) → the environment's ``[c, z_1..z_k]``: one-hot z (one path) or 1 on every path (ECMP)."""
    k = paths.shape[-1]
    node, option = index // (k + 1), index % (k + 1)
    rows = torch.arange(index.shape[0], device=index.device)
    node_paths = paths[rows, node].float()  # (B, k)
    one_hot = torch.nn.functional.one_hot(option.clamp(max=k - 1), k).float()
    z = torch.where((option == k)[:, None], node_paths, one_hot)
    return torch.cat([node[:, None].float(), z], -1)


SPLITS = ("options", "continuous")


class OffloadingEnv(FamilyGymEnv):
    """Gymnasium ``cpnopt/Offloading-v0``; ``split`` chooses the action space.

    - ``split="options"`` (default): ``Discrete(K · (k + 1))``, action c · (k + 1) + o = candidate
      node c with split option o ∈ {all data on path 1, …, all on path k, equal shares over
      the node's paths (ECMP)} — the discrete set of the ``gnn-dqn`` baseline; the mask
      (``action_masks()``) allows the node's existing paths, and ECMP only with ≥ 2 paths. A
      masked action falls back as the joint action does (candidate 0; z over missing paths ignored).
    - ``split="continuous"``: ``Dict(node: Discrete(K), split_logits: Box(k))``, the joint action
      ``[c, z]`` with split = sparsemax(z) (module docstring) — what ``rlms`` learns; SB3's
      algorithms do not accept a Dict action space. Its mask is the candidates' (K,).
    """

    def __init__(self, device: str = "cpu", split: str = "options", **params: Any) -> None:
        if split not in SPLITS:
            raise InputError("split", split, f"one of {', '.join(SPLITS)}")
        self.split = split
        self.params = replace(OffloadingParams(), **params)
        k = self.params.n_candidates
        if self.params.n_compute_nodes is not None:
            k = min(k, self.params.n_compute_nodes)
        super().__init__(BatchedOffloadingEnv(device, self.params.k_paths), generate, self.params, k)

    def action_space_for(self, n_candidates: int) -> gym.spaces.Space:
        k_paths = self.params.k_paths
        if self.split == "options":
            return gym.spaces.Discrete(n_candidates * (k_paths + 1))
        return gym.spaces.Dict(
            {
                "node": gym.spaces.Discrete(n_candidates),
                "split_logits": gym.spaces.Box(-np.inf, np.inf, shape=(k_paths,), dtype=np.float32),
            }
        )

    def mask_size(self) -> int:
        return self.n_candidates if self.split == "continuous" else super().mask_size()

    def space_mask(self, observation: Observation) -> np.ndarray:
        if self.split == "continuous":
            return super().space_mask(observation)
        self._paths = path_mask(observation.features)  # the paths action_tensor maps to
        return action_mask(observation)[0].cpu().numpy()

    def action_tensor(self, action: Any) -> torch.Tensor:
        if self.split == "options":
            index = torch.as_tensor([int(action)], device=self.batched.device)
            return joint_action(index, self._paths.to(self.batched.device))
        joint = np.concatenate([[float(action["node"])], np.asarray(action["split_logits"], dtype=float)])
        return torch.as_tensor(joint[None, :], device=self.batched.device)
