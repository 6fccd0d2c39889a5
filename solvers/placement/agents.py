"""``gwp``: the GWP paper's multi-action PPO agent for ``placement`` — a partition per iteration, reward Eq. (17).

Each iteration k (one step of :mod:`cpnopt.problems.placement.env`) the actor reads every device's
state (u_{i,k}, f_{i,k}, B_{i,k}, its hardware and what running the model alone on it would
cost this iteration, plus k / K and α) and chooses a joint action — one weight level per
device, sampled autoregressively (:class:`~.networks.SetAutoregressiveHead`: device j's level
is read from its own embedding, the mean and max pooled embeddings of all devices and a
summary of the levels of devices 1..j−1); the environment turns it into each
layer's split of neurons (time-balanced by the weights, fitted into memory) and pays
Eq. (17): −the iteration's Eq. (10) contribution from the evaluator. Training: PPO
(:mod:`.ppo`) on the generator's default instances (4 devices, MobileNet V1, 10
iterations) with seeds ≥ 10⁶, disjoint from the benchmarks' seeds. At solve time the
policy acts greedily (the most probable level of each device in turn). One set of weights
serves any number of devices (the bundled checkpoint is trained on 4 and scored on 4, 8 and
16: benchmarks/RESULTS.md). Discount γ = 0: an action changes
nothing later (no migration cost, the trace is exogenous), so each step's return is its
own Eq. (17) reward and the critic only has to learn the iteration's expected cost.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from cpnopt.problems.placement import PlacementInstance, PlacementParams, generate
from cpnopt.problems.placement.env import N_FEATURES, WEIGHT_LEVELS, BatchedPlacementEnv
from cpnopt.rl_env import Observation, sample_instance
from cpnopt.solution import MethodOutput
from cpnopt.solvers.rl.networks import SetAutoregressiveHead, mlp
from cpnopt.solvers.rl.sb3_ppo import register_sb3_ppo
from cpnopt.solvers.rl.serving import AgentSpec, ServingOptions, register_agent, solve_greedily


class JointDistribution:
    """π(a₁..a_m | s) of a :class:`SetAutoregressiveHead`, with the calls ``collect``, PPO and ``act_greedily`` make."""

    def __init__(self, head: SetAutoregressiveHead, *inputs: torch.Tensor) -> None:
        self.head, self.inputs = head, inputs
        self._entropy: torch.Tensor | None = None
        self._sampled: tuple[torch.Tensor, torch.Tensor] | None = None  # the last sample and its log-probability

    def sample(self) -> torch.Tensor:
        actions, log_prob, self._entropy = self.head(*self.inputs)
        self._sampled = actions, log_prob
        return actions

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        if self._sampled is not None and actions is self._sampled[0]:  # the rollout scores what it just sampled
            return self._sampled[1]
        _, log_prob, self._entropy = self.head(*self.inputs, actions=actions.long())
        return log_prob

    def entropy(self) -> torch.Tensor:
        """Σ_j H(π_j) along the actions last sampled or scored (a fresh sample if none)."""
        if self._entropy is None:
            self.sample()
        return self._entropy

    @property
    def mode(self) -> torch.Tensor:
        return self.head(*self.inputs, greedy=True)[0]


class DeviceActorCritic(nn.Module):
    """Any number of devices: a shared MLP embeds each device, masked mean and max pooling give the
    context, :class:`SetAutoregressiveHead` picks each device's level, the critic reads the context."""

    def __init__(self, n_features: int, n_levels: int, hidden: int = 32) -> None:
        super().__init__()
        self.n_features, self.n_levels, self.hidden = n_features, n_levels, hidden
        self.encoder = mlp([n_features, hidden, hidden])
        self.encoder.append(nn.Tanh())
        self.head = SetAutoregressiveHead(hidden, 2 * hidden, n_levels, hidden=2 * hidden)
        self.critic = mlp([2 * hidden, 2 * hidden, 1], last_gain=1.0)

    def forward(self, obs: Observation) -> tuple[JointDistribution, torch.Tensor]:
        embedded = self.encoder(obs.features)  # (B, m, H)
        allowed = obs.mask[..., None]
        mean = (embedded * allowed).sum(1) / allowed.sum(1).clamp_min(1)
        peak = torch.where(allowed, embedded, torch.full_like(embedded, -1.0)).amax(1)
        context = torch.cat([mean, peak], dim=-1)  # (B, 2H): the same for any order of the devices
        return JointDistribution(self.head, embedded, context, obs.mask), self.critic(context).squeeze(-1)

    def config(self) -> dict[str, int]:
        return {"n_features": self.n_features, "n_levels": self.n_levels, "hidden": self.hidden}


TRAINING_PARAMS = PlacementParams()

SPEC = AgentSpec(
    family="placement",
    method="gwp",
    algorithm="ppo",
    make_env=BatchedPlacementEnv,
    sample=partial(sample_instance, generate, TRAINING_PARAMS),
    make_policy=DeviceActorCritic,
    policy_kwargs={
        "n_features": N_FEATURES,
        "n_levels": len(WEIGHT_LEVELS),
        "hidden": 32,
    },
    config={"n_envs": 16, "n_steps": 10, "gamma": 0.0, "learning_rate": 1e-3, "ent_coef": 0.01},
)


@register_agent(
    SPEC,
    description="GWP: multi-action PPO policy picks each iteration's split (a weight per device); bundled checkpoint",
)
def gwp(instance: PlacementInstance, serving: ServingOptions) -> MethodOutput:
    """The options are :class:`~cpnopt.solvers.rl.serving.ServingOptions` (``checkpoint``: a ``cpnopt train``
    output, default the bundled one; ``samples``: test-time search)."""
    return solve_greedily(SPEC, instance, serving)


register_sb3_ppo("placement")  # the off-the-shelf MaskablePPO beside the paper's agent(s)
