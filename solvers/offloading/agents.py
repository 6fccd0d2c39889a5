"""``rlms`` and ``rlms-mlp``: RLMS-CPN's actor-critic — SyncGNN, a node actor and a path-split actor.

Per task (one step of :mod:`cpnopt.problems.offloading.env`), Algorithm 1:

- **SyncGNN** (Eq. 4–5) on the bipartite graph of the task's candidate compute nodes and
  their candidate paths: node vertices are initialised from the computation latency,
  path vertices from the one-way delay (and the time to send the task on the path now);
  one synchronous exchange — each node aggregates the mean of its paths' embeddings and
  each path reads its node's embedding (Eq. 4), then both update through their own MLP
  from [own, aggregated] (Eq. 5).
- **Node-selection actor**: one shared MLP scores each node embedding, masked categorical
  over the candidates.
- **Path-split actor**: for the chosen node, one shared MLP gives a mean logit per path
  from the path embeddings; logits z ~ N(mean, σ²) (σ one learned parameter shared by
  every path), and the environment maps z to the split by sparsemax (a distribution on the
  simplex with exact zeros).
- **Critic**: an MLP of the masked mean and max of the node embeddings.

Training (Eq. 9–15: advantage = r + γV(s') − V(s), actor loss −A log π, critic loss A²,
entropy bonus) is the shared A2C (:mod:`.a2c`), with reward −(the evaluator's response
latency of the task) / σ_instance. ``rlms-mlp`` is the paper's ablation: the same actors
and critic on plain MLPs of each candidate's raw features instead of SyncGNN's per-vertex
embeddings and message passing — each path's embedding an MLP of [its node's features, its
own features], each node's an MLP of [its features, the masked mean and max of its paths'
features]. (The paper's ablation concatenates a node's features with all its paths'; that
fixes the number of paths, so here the paths' features are pooled instead.)

**Any number of candidate nodes and paths**: every weight acts on one vertex (node or
path) or one (node, path) pair, the node actor scores each node, the path-split actor each
path, and pooling is masked; the number of paths P is read from the observation's width
(:func:`~cpnopt.problems.offloading.env.path_count`), so a network trained at k = 3 paths
serves instances generated with any ``k_paths`` (and any ``n_candidates``). The bundled
checkpoints are trained at k = 3 only; their gap at other k is in benchmarks/RESULTS.md.

Joint action tensor ``[candidate slot, z_1 … z_k]`` (float); its log-probability is
log π(node) + Σ_{valid paths of that node} log N(z_k; mean_k, σ_k).

``gnn-dqn`` and ``gnn-dqn-latency``: RLMS-CPN's learned baseline GNN-DQN (Sec. 4.1.3) — a message-passing Q-network, DQN, bandwidth reward.

The paper compares RLMS with "GNN-DQN", a DQN agent over a graph neural network trained
with a **bandwidth-based reward** (DRL+GNN, Almasan et al. 2019, applied to offloading). It
runs here on the same environment as ``rlms`` (:mod:`cpnopt.problems.offloading.env`, one task per
step on the evaluator's own network state) and, like every method, is scored by the
family's evaluator (mean response latency).

- **Discrete actions** per task: (candidate node c, split option o), o ∈ {all data on path
  1, …, all on path k, ECMP over the node's paths}; index c · (k + 1) + o. Masked: missing
  candidates, missing paths, and ECMP when the node has a single path (it would repeat
  option 1), the environment's split option set (:mod:`cpnopt.problems.offloading.env`, the
  ``Discrete`` action of ``cpnopt/Offloading-v0``). Its :func:`joint_action` maps (c, o) to the environment's joint action
  ``[c, z_1..z_k]`` with z = the one-hot of o (sparsemax(z) = that one-hot exactly) or z = 1
  on the node's paths (sparsemax = equal shares).
- **Q-network** (:class:`GNNQNetwork`): message passing over the bipartite graph of the
  task's candidate nodes and their paths, as DRL+GNN does over links and paths: vertex
  states initialised from the features (node: computation latency, hops; path: one-way
  delay, send time at today's bandwidth), then ``rounds`` rounds in which every vertex
  receives the (mean) message of its neighbours — node ← its paths, path ← its node, each
  message an MLP of [sender, receiver] — and updates its state with a GRU cell. Readout:
  Q(c, o) = MLP([node c, the option's path state (ECMP: the mean of the node's paths),
  the masked mean of all node states, 1 if o is ECMP else 0]) — one shared readout per
  option, so any number of paths (DRL+GNN's readout is per path, too).
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

import math
from collections.abc import Callable
from functools import partial

import torch
from torch import nn
from torch.distributions import Categorical

from cpnopt.problems.offloading import OffloadingInstance, OffloadingParams
from cpnopt.problems.offloading.env import (
    NODE_FEATURES,
    PATH_FEATURES,
    TRAINING_TASKS,
    BandwidthRewardEnv,
    BatchedOffloadingEnv,
    action_mask,
    joint_action,
    path_features,
    sample_pooled,
)
from cpnopt.rl_env import Observation
from cpnopt.solution import MethodOutput
from cpnopt.solvers.rl.dqn import QValues
from cpnopt.solvers.rl.networks import masked_categorical, mlp
from cpnopt.solvers.rl.sb3_ppo import register_sb3_ppo
from cpnopt.solvers.rl.serving import AgentSpec, ServingOptions, register_agent, solve_greedily

LOG_STD_INIT = -0.5


class NodeSplitDistribution:
    """π(node, z | s) = Cat(node) · Π_k N(z_k; mean[node, k], σ_k²) over the node's valid paths."""

    def __init__(self, nodes: Categorical, means: torch.Tensor, log_std: torch.Tensor, path_mask: torch.Tensor) -> None:
        self.nodes = nodes  # over K candidates
        self.means = means  # (B, K, P)
        self.log_std = log_std.expand_as(means)  # (B, K, P)
        self.path_mask = path_mask.float()  # (B, K, P)

    def _chosen(self, node: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        return value.gather(1, node[:, None, None].expand(-1, 1, value.shape[-1])).squeeze(1)

    def sample(self) -> torch.Tensor:
        node = self.nodes.sample()
        mean, log_std = self._chosen(node, self.means), self._chosen(node, self.log_std)
        z = mean + log_std.exp() * torch.randn_like(mean)
        return torch.cat([node[:, None].float(), z], dim=-1)

    @property
    def mode(self) -> torch.Tensor:
        node = self.nodes.probs.argmax(-1)
        return torch.cat([node[:, None].float(), self._chosen(node, self.means)], dim=-1)

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        node, z = actions[:, 0].long(), actions[:, 1:]
        mean, log_std, valid = (self._chosen(node, v) for v in (self.means, self.log_std, self.path_mask))
        gauss = -0.5 * ((z - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)
        return self.nodes.log_prob(node) + (gauss * valid).sum(-1)

    def entropy(self) -> torch.Tensor:
        """H(node) + E_node[Σ_valid paths H(N(mean, σ²))] (exact: the Gaussians' entropy does not depend on the mean)."""
        gauss = ((0.5 + 0.5 * math.log(2 * math.pi) + self.log_std) * self.path_mask).sum(-1)  # (B, K)
        return self.nodes.entropy() + (self.nodes.probs * gauss).sum(-1)


class RLMSActorCritic(nn.Module):
    """SyncGNN (``encoder="syncgnn"``) or MLP (``"mlp"``) encoder + node actor + path-split actor + critic."""

    def __init__(self, hidden: int = 32, encoder: str = "syncgnn") -> None:
        super().__init__()
        if encoder not in ("syncgnn", "mlp"):
            raise ValueError(f"encoder must be syncgnn or mlp (got {encoder!r})")
        self.hidden, self.encoder = hidden, encoder
        if encoder == "syncgnn":
            self.node_init = nn.Sequential(mlp([NODE_FEATURES, hidden]), nn.Tanh())
            self.path_init = nn.Sequential(mlp([PATH_FEATURES, hidden]), nn.Tanh())
            self.node_update = nn.Sequential(mlp([2 * hidden, hidden]), nn.Tanh())  # Eq. 5, node vertices
            self.path_update = nn.Sequential(mlp([2 * hidden, hidden]), nn.Tanh())  # Eq. 5, path vertices
        else:
            self.node_flat = nn.Sequential(mlp([NODE_FEATURES + 2 * PATH_FEATURES, 2 * hidden, hidden]), nn.Tanh())
            self.path_flat = nn.Sequential(mlp([NODE_FEATURES + PATH_FEATURES, 2 * hidden, hidden]), nn.Tanh())
        self.node_actor = mlp([hidden, hidden, 1], last_gain=0.01)
        self.path_actor = mlp([hidden, hidden, 1], last_gain=0.01)
        self.log_std = nn.Parameter(torch.full((1,), LOG_STD_INIT))
        self.critic = mlp([2 * hidden, hidden, 1], last_gain=1.0)

    def embed(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Node embeddings (B, K, H), path embeddings (B, K, P, H) and the path mask (B, K, P)."""
        node_x, path_x = features[..., :NODE_FEATURES], path_features(features)
        path_mask = path_x[..., -1] > 0.5
        weights = path_mask.float()[..., None]
        if self.encoder == "mlp":
            mean_x = _masked_mean(path_x, weights)
            max_x = path_x.masked_fill(~path_mask[..., None], -1.0).amax(-2)
            node_h = self.node_flat(torch.cat([node_x, mean_x, max_x], -1))
            path_h = self.path_flat(torch.cat([node_x[..., None, :].expand(*path_x.shape[:-1], -1), path_x], -1))
            return node_h, path_h, path_mask
        node_h, path_h = self.node_init(node_x), self.path_init(path_x)  # Eq. 4: initial vertex states
        node_new = self.node_update(torch.cat([node_h, _masked_mean(path_h, weights)], -1))  # mean of its paths
        path_new = self.path_update(torch.cat([path_h, node_h[..., None, :].expand_as(path_h)], -1))
        return node_new, path_new, path_mask

    def forward(self, obs: Observation) -> tuple[NodeSplitDistribution, torch.Tensor]:
        node_h, path_h, path_mask = self.embed(obs.features)
        nodes = masked_categorical(self.node_actor(node_h).squeeze(-1), obs.mask)
        means = self.path_actor(path_h).squeeze(-1)  # (B, K, P)
        weights = obs.mask.float()[..., None]
        mean = (node_h * weights).sum(1) / weights.sum(1).clamp_min(1.0)
        peak = torch.where(obs.mask[..., None], node_h, torch.full_like(node_h, -1.0)).amax(1)
        value = self.critic(torch.cat([mean, peak], -1)).squeeze(-1)
        return NodeSplitDistribution(nodes, means, self.log_std, path_mask), value

    def config(self) -> dict[str, object]:
        return {"hidden": self.hidden, "encoder": self.encoder}


def _masked_mean(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean over the path axis (−2) of ``values`` (…, P, D) where ``weights`` (…, P, 1) is 1 (0 if none is)."""
    return (values * weights).sum(-2) / weights.sum(-2).clamp_min(1.0)


def _make_env(device: torch.device) -> BatchedOffloadingEnv:
    return BatchedOffloadingEnv(device)  # as many path slots as the instances have


TRAINING_PARAMS = OffloadingParams(n_tasks=TRAINING_TASKS)
TRAINING_CONFIG = {
    "n_envs": 16,
    "n_steps": 15,
    "gamma": 0.5,
    "gae_lambda": 0.8,
    "learning_rate": 1e-3,
    "ent_coef": 0.003,
}


def _rlms_spec(method: str, encoder: str) -> AgentSpec:
    return AgentSpec(
        family="offloading",
        method=method,
        algorithm="a2c",
        make_env=_make_env,
        sample=partial(sample_pooled, TRAINING_PARAMS),
        make_policy=RLMSActorCritic,
        policy_kwargs={"hidden": 32, "encoder": encoder},
        config=TRAINING_CONFIG,
    )


RLMS = _rlms_spec("rlms", "syncgnn")
RLMS_MLP = _rlms_spec("rlms-mlp", "mlp")


@register_agent(
    RLMS, description="RLMS-CPN: SyncGNN actor-critic (node actor + sparsemax path split), A2C; bundled checkpoint"
)
def rlms(instance: OffloadingInstance, serving: ServingOptions) -> MethodOutput:
    """``checkpoint``: a ``cpnopt train offloading --method rlms`` output (default: the bundled one);
    the options are :class:`~cpnopt.solvers.rl.serving.ServingOptions`."""
    return solve_greedily(RLMS, instance, serving)


@register_agent(
    RLMS_MLP,
    description="RLMS-CPN ablation: the rlms actors and critic on an MLP instead of SyncGNN; bundled checkpoint",
)
def rlms_mlp(instance: OffloadingInstance, serving: ServingOptions) -> MethodOutput:
    """``checkpoint``: a ``cpnopt train offloading --method rlms-mlp`` output (default: the bundled one);
    the options are :class:`~cpnopt.solvers.rl.serving.ServingOptions`."""
    return solve_greedily(RLMS_MLP, instance, serving)


# ---------------------------------------------------------------------- gnn-dqn
class GNNQNetwork(nn.Module):
    """Message passing (``rounds`` rounds, GRU updates) on the candidate node/path graph; readout Q(c, o)."""

    def __init__(self, hidden: int = 32, rounds: int = 3) -> None:
        super().__init__()
        self.hidden, self.rounds = hidden, rounds
        self.node_init = nn.Sequential(mlp([NODE_FEATURES, hidden]), nn.Tanh())
        self.path_init = nn.Sequential(mlp([PATH_FEATURES, hidden]), nn.Tanh())
        self.to_node = nn.Sequential(mlp([2 * hidden, hidden]), nn.Tanh())  # message path → node
        self.to_path = nn.Sequential(mlp([2 * hidden, hidden]), nn.Tanh())  # message node → path
        self.node_gru = nn.GRUCell(hidden, hidden)
        self.path_gru = nn.GRUCell(hidden, hidden)
        self.readout = mlp([3 * hidden + 1, hidden, 1], last_gain=0.1)

    def forward(self, obs: Observation) -> tuple[QValues, torch.Tensor]:
        """Q-values of the K · (P + 1) actions of each observation, and V(s) = max allowed Q."""
        h = self.hidden
        path_x = path_features(obs.features)
        paths = path_x[..., -1] > 0.5
        weights = paths.float()[..., None]  # (B, K, P, 1)
        node = self.node_init(obs.features[..., :NODE_FEATURES])  # (B, K, H)
        path = self.path_init(path_x) * weights
        for _ in range(self.rounds):
            node_x = node[..., None, :].expand_as(path)
            to_node = _masked_mean(self.to_node(torch.cat([path, node_x], -1)), weights)
            to_path = self.to_path(torch.cat([node_x, path], -1))
            node = self.node_gru(to_node.reshape(-1, h), node.reshape(-1, h)).view_as(node)
            path = self.path_gru(to_path.reshape(-1, h), path.reshape(-1, h)).view_as(path) * weights
        option_state = torch.cat([path, _masked_mean(path, weights)[..., None, :]], -2)  # (B, K, P + 1, H)
        node_w = obs.mask.float()[..., None]
        context = (node * node_w).sum(1) / node_w.sum(1).clamp_min(1.0)  # (B, H)
        is_ecmp = torch.zeros_like(option_state[..., :1])
        is_ecmp[..., -1, :] = 1.0
        inputs = torch.cat(
            [
                node[..., None, :].expand_as(option_state),
                option_state,
                context[:, None, None, :].expand_as(option_state),
                is_ecmp,
            ],
            -1,
        )
        q = QValues(self.readout(inputs).squeeze(-1).flatten(1), action_mask(obs), partial(joint_action, paths=paths))
        return q, q.value()

    def config(self) -> dict[str, int]:
        return {"hidden": self.hidden, "rounds": self.rounds}


def _bandwidth_env(device: torch.device) -> BatchedOffloadingEnv:
    return BandwidthRewardEnv(device)


DQN_CONFIG = {
    "n_envs": 16,
    "n_steps": 16,
    "gamma": 0.5,
    "learning_rate": 5e-4,
    "buffer_size": 50_000,
    "batch_size": 128,
    "learning_starts": 2_000,
    "target_update": 250,
    "eps_fraction": 0.3,
}


def _gnn_dqn_spec(method: str, make_env: Callable[[torch.device], BatchedOffloadingEnv]) -> AgentSpec:
    return AgentSpec(
        family="offloading",
        method=method,
        algorithm="dqn",
        make_env=make_env,
        sample=partial(sample_pooled, TRAINING_PARAMS),
        make_policy=GNNQNetwork,
        policy_kwargs={"hidden": 32, "rounds": 3},
        config=DQN_CONFIG,
    )


GNN_DQN = _gnn_dqn_spec("gnn-dqn", _bandwidth_env)
GNN_DQN_LATENCY = _gnn_dqn_spec("gnn-dqn-latency", _make_env)


@register_agent(
    GNN_DQN,
    description="RLMS-CPN's GNN-DQN baseline: message-passing Q-network over (node, path option), "
    "DQN with a bandwidth reward; bundled checkpoint",
)
def gnn_dqn(instance: OffloadingInstance, serving: ServingOptions) -> MethodOutput:
    """``checkpoint``: a ``cpnopt train offloading --method gnn-dqn`` output (default: the bundled one);
    the options are :class:`~cpnopt.solvers.rl.serving.ServingOptions`."""
    return solve_greedily(GNN_DQN, instance, serving)


@register_agent(
    GNN_DQN_LATENCY,
    description="ablation of gnn-dqn: the same Q-network and DQN with the latency reward of rlms; bundled checkpoint",
)
def gnn_dqn_latency(instance: OffloadingInstance, serving: ServingOptions) -> MethodOutput:
    """``checkpoint``: a ``cpnopt train offloading --method gnn-dqn-latency`` output (default: the bundled one);
    the options are :class:`~cpnopt.solvers.rl.serving.ServingOptions`."""
    return solve_greedily(GNN_DQN_LATENCY, instance, serving)


register_sb3_ppo("offloading")  # the off-the-shelf MaskablePPO beside the paper's agent(s)
