"""``gwp``: the GWP paper's multi-action PPO agent for ``placement`` — a partition per iteration, reward Eq. (17).

Each iteration k (one step of :mod:`cpnopt.problems.placement.env`) the actor reads every device's
state (u_{i,k}, f_{i,k}, B_{i,k}, its hardware and what running the model alone on it would
cost this iteration, plus k / K and α) and chooses a joint action — one weight level per
device, sampled autoregressively (:class:`~.networks.AutoregressiveHead`: device j's level
is conditioned on the levels of devices 1..j−1); the environment turns it into each
layer's split of neurons (time-balanced by the weights, fitted into memory) and pays
Eq. (17): −the iteration's Eq. (10) contribution from the evaluator. Training: PPO
(:mod:`.ppo`) on the generator's default instances (4 devices, MobileNet V1, 10
iterations) with seeds ≥ 10⁶, disjoint from the benchmarks' seeds. At solve time the
policy acts greedily (the most probable level of each device in turn). The network is
built for the number of devices it was trained on. Discount γ = 0: an action changes
nothing later (no migration cost, the trace is exogenous), so each step's return is its
own Eq. (17) reward and the critic only has to learn the iteration's expected cost.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from cpnopt.errors import InputError
from cpnopt.problems.placement import PlacementInstance, PlacementParams, generate
from cpnopt.problems.placement.env import N_FEATURES, WEIGHT_LEVELS, BatchedPlacementEnv
from cpnopt.rl_env import Observation, sample_instance
from cpnopt.solution import MethodOutput
from cpnopt.solvers.rl.networks import AutoregressiveHead, mlp
from cpnopt.solvers.rl.sb3_ppo import register_sb3_ppo
from cpnopt.solvers.rl.serving import AgentSpec, ServingOptions, register_agent, solve_greedily


class JointDistribution:
    """π(a₁..a_m | s) of an :class:`AutoregressiveHead`, with the calls ``collect``, PPO and ``act_greedily`` make."""

    def __init__(self, head: AutoregressiveHead, context: torch.Tensor) -> None:
        self.head, self.context = head, context
        self._entropy: torch.Tensor | None = None

    def sample(self) -> torch.Tensor:
        actions, _, self._entropy = self.head(self.context)
        return actions

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        _, log_prob, self._entropy = self.head(self.context, actions.long())
        return log_prob

    def entropy(self) -> torch.Tensor:
        """Σ_j H(π_j) along the actions last sampled or scored (a fresh sample if none)."""
        if self._entropy is None:
            self.sample()
        return self._entropy

    @property
    def mode(self) -> torch.Tensor:
        return self.head(self.context, greedy=True)[0]


class DeviceActorCritic(nn.Module):
    """Shared MLP embeds each device; the concatenated embeddings feed the autoregressive actor and the critic."""

    def __init__(self, n_devices: int, n_features: int, n_levels: int, hidden: int = 32) -> None:
        super().__init__()
        self.n_devices, self.n_features, self.n_levels, self.hidden = n_devices, n_features, n_levels, hidden
        self.encoder = mlp([n_features, hidden, hidden])
        self.encoder.append(nn.Tanh())
        self.head = AutoregressiveHead(n_devices * hidden, [n_levels] * n_devices, hidden=2 * hidden)
        self.critic = mlp([n_devices * hidden, 2 * hidden, 1], last_gain=1.0)

    def forward(self, obs: Observation) -> tuple[JointDistribution, torch.Tensor]:
        if obs.features.shape[-2] != self.n_devices:
            raise InputError(
                "instance", obs.features.shape[-2], f"this gwp policy was trained for {self.n_devices} devices"
            )
        context = self.encoder(obs.features).flatten(-2)  # (B, m·H)
        return JointDistribution(self.head, context), self.critic(context).squeeze(-1)

    def config(self) -> dict[str, int]:
        return {
            "n_devices": self.n_devices,
            "n_features": self.n_features,
            "n_levels": self.n_levels,
            "hidden": self.hidden,
        }


TRAINING_PARAMS = PlacementParams()

SPEC = AgentSpec(
    family="placement",
    method="gwp",
    algorithm="ppo",
    make_env=BatchedPlacementEnv,
    sample=partial(sample_instance, generate, TRAINING_PARAMS),
    make_policy=DeviceActorCritic,
    policy_kwargs={
        "n_devices": TRAINING_PARAMS.n_devices,
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
