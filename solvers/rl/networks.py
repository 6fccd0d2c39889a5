"""Policy networks: MLPs and actor-critics with masked categorical heads over candidates.

Every environment of :mod:`cpnopt.envs` lists its actions as candidates with feature
vectors (B, K, F) and a mask (B, K). :class:`CandidateActorCritic` scores each candidate
with one shared MLP (so one network serves any K: any number of servers, clusters or
destinations), masks the disallowed ones to −∞ and samples from the categorical
distribution; the critic reads the masked mean and max of the candidates' embeddings.
Decisions made one after another by the environment (DCAT's servers, one per step) make
the policy autoregressive: each choice is conditioned on the earlier ones through the
observation. :class:`AutoregressiveHead` does the same inside one step, for an action made
of several sub-actions (each conditioned on the earlier ones, each under its own mask).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.distributions import Categorical

from cpnopt.rl_env import Observation

MASKED_LOGIT = -1e9  # exp() of it is 0 in float32; finite, so entropies stay finite


def mlp(sizes: list[int], activation: type[nn.Module] = nn.Tanh, last_gain: float = 1.0) -> nn.Sequential:
    """Linear layers of ``sizes`` with ``activation`` between them, orthogonally initialised (CleanRL)."""
    layers: list[nn.Module] = []
    for j, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = j == len(sizes) - 2
        layer = nn.Linear(n_in, n_out)
        nn.init.orthogonal_(layer.weight, last_gain if last else 2**0.5)
        nn.init.zeros_(layer.bias)
        layers.append(layer)
        if not last:
            layers.append(activation())
    return nn.Sequential(*layers)


def masked_categorical(logits: torch.Tensor, mask: torch.Tensor) -> Categorical:
    """A categorical head over the allowed entries of ``mask`` only (the rest get probability 0)."""
    return Categorical(logits=torch.where(mask, logits, torch.full_like(logits, MASKED_LOGIT)))


class CandidateActorCritic(nn.Module):
    """Actor: shared MLP score per candidate, masked categorical. Critic: MLP of pooled embeddings."""

    def __init__(self, n_features: int, hidden: int = 64) -> None:
        super().__init__()
        self.n_features = n_features
        self.hidden = hidden
        self.encoder = mlp([n_features, hidden, hidden])
        self.encoder.append(nn.Tanh())
        self.actor = mlp([hidden, 1], last_gain=0.01)
        self.critic = mlp([2 * hidden, hidden, 1], last_gain=1.0)

    def forward(self, obs: Observation) -> tuple[Categorical, torch.Tensor]:
        """The action distribution and the state value of each observation of the batch."""
        embedded = self.encoder(obs.features)  # (B, K, H)
        logits = self.actor(embedded).squeeze(-1)
        weights = obs.mask.float()[..., None]
        mean = (embedded * weights).sum(1) / weights.sum(1).clamp_min(1.0)
        peak = torch.where(obs.mask[..., None], embedded, torch.full_like(embedded, -1.0)).amax(1)
        value = self.critic(torch.cat([mean, peak], dim=-1)).squeeze(-1)
        return masked_categorical(logits, obs.mask), value

    def config(self) -> dict[str, int]:
        """The constructor arguments, stored in checkpoints so that a policy can be rebuilt."""
        return {"n_features": self.n_features, "hidden": self.hidden}


class AutoregressiveHead(nn.Module):
    """A joint action of several sub-actions, each conditioned on the ones before it.

    π(a₁, …, a_m | h) = Π_j π_j(a_j | h, a₁, …, a_{j−1}): sub-action j reads the context
    ``h`` (B, H) and the one-hot encodings of the earlier sub-actions through its own MLP,
    under its own optional mask (B, n_j). For multi-action agents (e.g. GWP's choice of a
    partition from several knobs) where a product of independent heads would miss the
    dependence between the knobs.
    """

    def __init__(self, context: int, sizes: list[int], hidden: int = 64) -> None:
        super().__init__()
        self.sizes = list(sizes)
        self.heads = nn.ModuleList(
            mlp([context + sum(self.sizes[:j]), hidden, n], last_gain=0.01) for j, n in enumerate(self.sizes)
        )

    def forward(
        self,
        h: torch.Tensor,
        actions: torch.Tensor | None = None,
        masks: list[torch.Tensor | None] | None = None,
        greedy: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample (``greedy``: the most probable sub-action at each step; or score the given
        ``actions`` (B, m)): actions, joint log-probability, entropy.

        The entropy is Σ_j H(π_j(· | h, a_<j)) along the chosen actions, the usual estimate of
        the joint entropy for an entropy bonus.
        """
        chosen, log_prob, entropy = [], h.new_zeros(h.shape[0]), h.new_zeros(h.shape[0])
        inputs = h
        for j, head in enumerate(self.heads):
            logits = head(inputs)
            mask = masks[j] if masks is not None and masks[j] is not None else torch.ones_like(logits, dtype=torch.bool)
            dist = masked_categorical(logits, mask)
            action = actions[:, j] if actions is not None else dist.mode if greedy else dist.sample()
            chosen.append(action)
            log_prob = log_prob + dist.log_prob(action)
            entropy = entropy + dist.entropy()
            inputs = torch.cat([inputs, nn.functional.one_hot(action, self.sizes[j]).float()], dim=-1)
        return torch.stack(chosen, dim=-1), log_prob, entropy
