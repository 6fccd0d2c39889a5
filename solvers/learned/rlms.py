"""``rlms`` and ``rlms-mlp``: RLMS-CPN's actor-critic — SyncGNN, a node actor and a path-split actor.

Per task (one step of :mod:`cpnopt.envs.offloading`), Algorithm 1:

- **SyncGNN** (Eq. 4–5) on the bipartite graph of the task's candidate compute nodes and
  their candidate paths: node vertices are initialised from the computation latency,
  path vertices from the one-way delay (and the time to send the task on the path now);
  one synchronous exchange — each node aggregates the mean of its paths' embeddings and
  each path reads its node's embedding (Eq. 4), then both update through their own MLP
  from [own, aggregated] (Eq. 5).
- **Node-selection actor**: one shared MLP scores each node embedding, masked categorical
  over the candidates.
- **Path-split actor**: for the chosen node, one shared MLP gives a mean logit per path
  from the path embeddings; logits z ~ N(mean, σ²) (σ a learned parameter per path
  position), and the environment maps z to the split by sparsemax (a distribution on the
  simplex with exact zeros).
- **Critic**: an MLP of the masked mean and max of the node embeddings.

Training (Eq. 9–15: advantage = r + γV(s') − V(s), actor loss −A log π, critic loss A²,
entropy bonus) is the shared A2C (:mod:`.a2c`), with reward −(the evaluator's response
latency of the task) / σ_instance. ``rlms-mlp`` is the paper's ablation: the same actors
and critic on an MLP of each candidate's concatenated features (node + all its paths)
instead of SyncGNN's per-vertex weights and message passing.

Joint action tensor ``[candidate slot, z_1 … z_k]`` (float); its log-probability is
log π(node) + Σ_{valid paths of that node} log N(z_k; mean_k, σ_k).
"""

from __future__ import annotations

import math
from functools import lru_cache, partial

import torch
from torch import nn
from torch.distributions import Categorical

from cpnopt.envs.base import Observation
from cpnopt.envs.offloading import NODE_FEATURES, PATH_FEATURES, TRAINING_TASKS, BatchedOffloadingEnv, n_features, sample_pooled
from cpnopt.problems.offloading import OffloadingInstance, OffloadingParams
from cpnopt.registry import register_method
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.learned.agents import AgentSpec, act_greedily, load_policy, register_agent
from cpnopt.solvers.learned.networks import masked_categorical, mlp

K_PATHS = 3  # the generator's default k; the bundled networks are built for it
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

    def __init__(self, k_paths: int = K_PATHS, hidden: int = 32, encoder: str = "syncgnn") -> None:
        super().__init__()
        if encoder not in ("syncgnn", "mlp"):
            raise ValueError(f"encoder must be syncgnn or mlp (got {encoder!r})")
        self.k_paths, self.hidden, self.encoder = k_paths, hidden, encoder
        if encoder == "syncgnn":
            self.node_init = nn.Sequential(mlp([NODE_FEATURES, hidden]), nn.Tanh())
            self.path_init = nn.Sequential(mlp([PATH_FEATURES, hidden]), nn.Tanh())
            self.node_update = nn.Sequential(mlp([2 * hidden, hidden]), nn.Tanh())  # Eq. 5, node vertices
            self.path_update = nn.Sequential(mlp([2 * hidden, hidden]), nn.Tanh())  # Eq. 5, path vertices
        else:
            self.flat = nn.Sequential(mlp([n_features(k_paths), 2 * hidden, hidden * (1 + k_paths)]), nn.Tanh())
        self.node_actor = mlp([hidden, hidden, 1], last_gain=0.01)
        self.path_actor = mlp([hidden, hidden, 1], last_gain=0.01)
        self.log_std = nn.Parameter(torch.full((k_paths,), LOG_STD_INIT))
        self.critic = mlp([2 * hidden, hidden, 1], last_gain=1.0)

    def embed(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Node embeddings (B, K, H), path embeddings (B, K, P, H) and the path mask (B, K, P)."""
        node_x = features[..., :NODE_FEATURES]
        path_x = features[..., NODE_FEATURES:].unflatten(-1, (self.k_paths, PATH_FEATURES))
        path_mask = path_x[..., -1] > 0.5
        if self.encoder == "mlp":
            out = self.flat(features).unflatten(-1, (1 + self.k_paths, self.hidden))
            return out[..., 0, :], out[..., 1:, :], path_mask
        node_h, path_h = self.node_init(node_x), self.path_init(path_x)  # Eq. 4: initial vertex states
        weights = path_mask.float()[..., None]
        from_paths = (path_h * weights).sum(-2) / weights.sum(-2).clamp_min(1.0)  # aggregate: mean of the node's paths
        node_new = self.node_update(torch.cat([node_h, from_paths], -1))
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
        return {"k_paths": self.k_paths, "hidden": self.hidden, "encoder": self.encoder}


def _make_env(device: torch.device) -> BatchedOffloadingEnv:
    return BatchedOffloadingEnv(device, K_PATHS)


TRAINING_PARAMS = OffloadingParams(n_tasks=TRAINING_TASKS)
TRAINING_CONFIG = {"n_envs": 16, "n_steps": 15, "gamma": 0.5, "gae_lambda": 0.8, "learning_rate": 1e-3, "ent_coef": 0.003}

SPECS = {
    method: register_agent(AgentSpec(
        family="offloading", method=method, algorithm="a2c", make_env=_make_env,
        sample=partial(sample_pooled, TRAINING_PARAMS), make_policy=RLMSActorCritic,
        policy_kwargs={"k_paths": K_PATHS, "hidden": 32, "encoder": encoder}, config=TRAINING_CONFIG,
    ))
    for method, encoder in (("rlms", "syncgnn"), ("rlms-mlp", "mlp"))
}


@lru_cache(maxsize=8)
def _policy(method: str, checkpoint: str | None, device: str) -> nn.Module:
    return load_policy(SPECS[method], checkpoint, device)


def solve(method: str, instance: OffloadingInstance, checkpoint: str | None = None, device: str = "cpu") -> MethodOutput:
    """Decide every task greedily (most probable node, the mean logits' split) with the checkpoint's policy."""
    policy = _policy(method, checkpoint, device)
    decision = act_greedily(BatchedOffloadingEnv(device, policy.k_paths), policy, [instance])[0]
    return MethodOutput(decision=decision, status=Status.FEASIBLE,
                        info={"checkpoint": checkpoint or SPECS[method].checkpoint_name})


@register_method("offloading", "rlms", kind="learned",
                 description="RLMS-CPN: SyncGNN actor-critic (node actor + sparsemax path split), A2C; bundled checkpoint")
def rlms(instance: OffloadingInstance, checkpoint: str | None = None, device: str = "cpu") -> MethodOutput:
    """``checkpoint``: a ``cpnopt train offloading --method rlms`` output (default: the bundled one)."""
    return solve("rlms", instance, checkpoint, device)


@register_method("offloading", "rlms-mlp", kind="learned",
                 description="RLMS-CPN ablation: the rlms actors and critic on an MLP instead of SyncGNN; bundled checkpoint")
def rlms_mlp(instance: OffloadingInstance, checkpoint: str | None = None, device: str = "cpu") -> MethodOutput:
    """``checkpoint``: a ``cpnopt train offloading --method rlms-mlp`` output (default: the bundled one)."""
    return solve("rlms-mlp", instance, checkpoint, device)
