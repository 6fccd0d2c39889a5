"""``gnn-dqn``: RLMS-CPN's learned baseline GNN-DQN (Sec. 4.1.3) — a message-passing Q-network, DQN, bandwidth reward.

The paper compares RLMS with "GNN-DQN", a DQN agent over a graph neural network trained
with a **bandwidth-based reward** (DRL+GNN, Almasan et al. 2019, applied to offloading). It
runs here on the same environment as ``rlms`` (:mod:`cpnopt.envs.offloading`, one task per
step on the evaluator's own network state) and, like every method, is scored by the
family's evaluator (mean response latency).

- **Discrete actions** per task: (candidate node c, split option o), o ∈ {all data on path
  1, …, all on path k, ECMP over the node's paths}; index c · (k + 1) + o. Masked: missing
  candidates, missing paths, and ECMP when the node has a single path (it would repeat
  option 1). :func:`joint_action` maps (c, o) to the environment's joint action
  ``[c, z_1..z_k]`` with z = the one-hot of o (sparsemax(z) = that one-hot exactly) or z = 1
  on the node's paths (sparsemax = equal shares).
- **Q-network** (:class:`GNNQNetwork`): message passing over the bipartite graph of the
  task's candidate nodes and their paths, as DRL+GNN does over links and paths: vertex
  states initialised from the features (node: computation latency, hops; path: one-way
  delay, send time at today's bandwidth), then ``rounds`` rounds in which every vertex
  receives the (mean) message of its neighbours — node ← its paths, path ← its node, each
  message an MLP of [sender, receiver] — and updates its state with a GRU cell. Readout:
  Q(c, o) = MLP([node c, the option's path state (ECMP: the mean of the node's paths),
  the masked mean of all node states, one-hot(o)]).
- **Reward, the documented exception** (Sec. 4.1.3: GNN-DQN's reward is bandwidth-based,
  not latency): r = the data rate the task gets from its chosen node and split,
  min_{k: s_k>0} bw_k / s_k (the rate at which its slowest flowlet finishes the task), divided
  by the best rate any candidate offers, max_c Σ_k bw_{c,k} (the split ∝ bandwidth). The
  bandwidths bw_k are the evaluator's own (``TaskView``, the NetworkState the environment
  replays), so no second latency model exists; r ∈ (0, 1]. Chosen over "−max link
  utilisation after the task" because it is a property of the task's own allocation, as
  DRL+GNN's bandwidth-allocation reward is, and needs no link-level state outside the view.
  The reward ignores computation latency and propagation delay: that is the baseline's
  point of difference from RLMS's latency reward. ``gnn-dqn-latency`` is the same agent with
  the environment's latency reward (−latency / σ), the ablation "same DQN, latency reward".
- Training: :mod:`.dqn` (double DQN, Huber loss, hard target copies), γ = 0.5 (an
  allocation holds its links for a few tasks), on the same instance pool as ``rlms``.
  Greedy at solve time: argmax of Q over the allowed actions.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import torch
from torch import nn

from cpnopt.envs.base import Observation, Step
from cpnopt.envs.offloading import NODE_FEATURES, PATH_FEATURES, TRAINING_TASKS, BatchedOffloadingEnv, sample_pooled
from cpnopt.problems.offloading import OffloadingInstance, OffloadingParams
from cpnopt.registry import register_method
from cpnopt.solution import MethodOutput
from cpnopt.solvers.learned.agents import AgentSpec, register_agent, solve_greedily
from cpnopt.solvers.learned.dqn import QValues
from cpnopt.solvers.learned.networks import mlp

K_PATHS = 3  # the generator's default k; the bundled network is built for it


def path_mask(features: torch.Tensor, k_paths: int) -> torch.Tensor:
    """(B, K, k) bool: which candidate paths exist (the last path feature is 1 for a real path)."""
    return features[..., NODE_FEATURES:].unflatten(-1, (k_paths, PATH_FEATURES))[..., -1] > 0.5


def action_mask(obs: Observation, k_paths: int) -> torch.Tensor:
    """(B, K · (k + 1)): allowed (node, option) pairs — the node allowed, option k's path present, ECMP if ≥ 2 paths."""
    paths = path_mask(obs.features, k_paths)
    options = torch.cat([paths, paths.sum(-1, keepdim=True) >= 2], -1)
    return (obs.mask[..., None] & options).flatten(1)


def joint_action(index: torch.Tensor, paths: torch.Tensor) -> torch.Tensor:
    """Discrete actions (B,) → the environment's ``[c, z_1..z_k]``: one-hot z (one path) or 1 on every path (ECMP)."""
    k = paths.shape[-1]
    node, option = index // (k + 1), index % (k + 1)
    rows = torch.arange(index.shape[0], device=index.device)
    node_paths = paths[rows, node].float()  # (B, k)
    one_hot = nn.functional.one_hot(option.clamp(max=k - 1), k).float()
    z = torch.where((option == k)[:, None], node_paths, one_hot)
    return torch.cat([node[:, None].float(), z], -1)


class GNNQNetwork(nn.Module):
    """Message passing (``rounds`` rounds, GRU updates) on the candidate node/path graph; readout Q(c, o)."""

    def __init__(self, k_paths: int = K_PATHS, hidden: int = 32, rounds: int = 3) -> None:
        super().__init__()
        self.k_paths, self.hidden, self.rounds = k_paths, hidden, rounds
        self.node_init = nn.Sequential(mlp([NODE_FEATURES, hidden]), nn.Tanh())
        self.path_init = nn.Sequential(mlp([PATH_FEATURES, hidden]), nn.Tanh())
        self.to_node = nn.Sequential(mlp([2 * hidden, hidden]), nn.Tanh())  # message path → node
        self.to_path = nn.Sequential(mlp([2 * hidden, hidden]), nn.Tanh())  # message node → path
        self.node_gru = nn.GRUCell(hidden, hidden)
        self.path_gru = nn.GRUCell(hidden, hidden)
        self.readout = mlp([3 * hidden + k_paths + 1, hidden, 1], last_gain=0.1)

    def forward(self, obs: Observation) -> tuple[QValues, torch.Tensor]:
        """Q-values of the K · (k + 1) actions of each observation, and V(s) = max allowed Q."""
        k, h = self.k_paths, self.hidden
        paths = path_mask(obs.features, k)
        weights = paths.float()[..., None]  # (B, K, k, 1)
        node = self.node_init(obs.features[..., :NODE_FEATURES])  # (B, K, H)
        path = self.path_init(obs.features[..., NODE_FEATURES:].unflatten(-1, (k, PATH_FEATURES))) * weights
        for _ in range(self.rounds):
            node_x = node[..., None, :].expand_as(path)
            to_node = (self.to_node(torch.cat([path, node_x], -1)) * weights).sum(-2) / weights.sum(-2).clamp_min(1.0)
            to_path = self.to_path(torch.cat([node_x, path], -1))
            node = self.node_gru(to_node.reshape(-1, h), node.reshape(-1, h)).view_as(node)
            path = self.path_gru(to_path.reshape(-1, h), path.reshape(-1, h)).view_as(path) * weights
        ecmp = path.sum(-2, keepdim=True) / weights.sum(-2, keepdim=True).clamp_min(1.0)
        option_state = torch.cat([path, ecmp], -2)  # (B, K, k + 1, H)
        node_w = obs.mask.float()[..., None]
        context = (node * node_w).sum(1) / node_w.sum(1).clamp_min(1.0)  # (B, H)
        b, n_cand = node.shape[:2]
        one_hot = torch.eye(k + 1, device=node.device).expand(b, n_cand, k + 1, k + 1)
        inputs = torch.cat([node[..., None, :].expand_as(option_state), option_state,
                            context[:, None, None, :].expand_as(option_state), one_hot], -1)
        q = QValues(self.readout(inputs).squeeze(-1).flatten(1), action_mask(obs, k), partial(joint_action, paths=paths))
        return q, q.value()

    def config(self) -> dict[str, int]:
        return {"k_paths": self.k_paths, "hidden": self.hidden, "rounds": self.rounds}


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


def _bandwidth_env(device: torch.device) -> BatchedOffloadingEnv:
    return BandwidthRewardEnv(device, K_PATHS)


def _latency_env(device: torch.device) -> BatchedOffloadingEnv:
    return BatchedOffloadingEnv(device, K_PATHS)


TRAINING_PARAMS = OffloadingParams(n_tasks=TRAINING_TASKS)
TRAINING_CONFIG = {"n_envs": 16, "n_steps": 16, "gamma": 0.5, "learning_rate": 5e-4, "buffer_size": 50_000,
                   "batch_size": 128, "learning_starts": 2_000, "target_update": 250, "eps_fraction": 0.3}

SPECS = {
    method: register_agent(AgentSpec(
        family="offloading", method=method, algorithm="dqn", make_env=make_env,
        sample=partial(sample_pooled, TRAINING_PARAMS), make_policy=GNNQNetwork,
        policy_kwargs={"k_paths": K_PATHS, "hidden": 32, "rounds": 3}, config=TRAINING_CONFIG,
    ))
    for method, make_env in (("gnn-dqn", _bandwidth_env), ("gnn-dqn-latency", _latency_env))
}


@register_method("offloading", "gnn-dqn", kind="learned",
                 description="RLMS-CPN's GNN-DQN baseline: message-passing Q-network over (node, path option), "
                             "DQN with a bandwidth reward; bundled checkpoint")
def gnn_dqn(instance: OffloadingInstance, checkpoint: str | None = None, device: str = "cpu") -> MethodOutput:
    """``checkpoint``: a ``cpnopt train offloading --method gnn-dqn`` output (default: the bundled one)."""
    return solve_greedily(SPECS["gnn-dqn"], instance, checkpoint, device)


@register_method("offloading", "gnn-dqn-latency", kind="learned",
                 description="ablation of gnn-dqn: the same Q-network and DQN with the latency reward of rlms; bundled checkpoint")
def gnn_dqn_latency(instance: OffloadingInstance, checkpoint: str | None = None, device: str = "cpu") -> MethodOutput:
    """``checkpoint``: a ``cpnopt train offloading --method gnn-dqn-latency`` output (default: the bundled one)."""
    return solve_greedily(SPECS["gnn-dqn-latency"], instance, checkpoint, device)
