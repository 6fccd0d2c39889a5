"""Policy networks: MLPs and actor-critics with masked categorical heads over candidates.

Every environment of :mod:`cpnopt.envs` lists its actions as candidates with feature
vectors (B, K, F) and a mask (B, K). :class:`CandidateActorCritic` scores each candidate
with one shared MLP (so one network serves any K: any number of servers, clusters or
destinations), masks the disallowed ones to −∞ and samples from the categorical
distribution; the critic reads the masked mean and max of the candidates' embeddings.
Decisions made one after another by the environment (DCAT's servers, one per step) make
the policy autoregressive: each choice is conditioned on the earlier ones through the
observation. :class:`SetAutoregressiveHead` does the same inside one step, for an action
made of one sub-action per candidate (each conditioned on the earlier ones; any number of
candidates, one set of weights).
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


class SetAutoregressiveHead(nn.Module):
    """One sub-action per candidate, chosen in turn, for any number of candidates (shared weights).

    Candidate j's sub-action reads its embedding e_j, the pooled context c of the whole set
    and a summary s_j of the choices made so far:
    π(a₁..a_m | s) = Π_j π(a_j | e_j, c, s_j),  s_j = (1 / m) Σ_{i<j} tanh(W_s [e_i, onehot(a_i)]),
    m the number of allowed candidates. Everything that does not depend on earlier choices
    (the [e_j, c] half of the first layer) is computed once for all candidates, so each turn
    costs two small matrix products. A candidate outside the mask takes sub-action 0 and adds
    nothing to the log-probability, the entropy or the summary.
    """

    def __init__(self, embedding: int, context: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.n_actions = n_actions
        self.base = nn.Linear(embedding + context, hidden)
        self.from_summary = nn.Linear(hidden, hidden, bias=False)
        self.remember = nn.Linear(embedding + n_actions, hidden)
        self.out = nn.Linear(hidden, n_actions)
        for layer, gain in ((self.base, 2**0.5), (self.from_summary, 1.0), (self.remember, 1.0), (self.out, 0.01)):
            nn.init.orthogonal_(layer.weight, gain)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)

    def forward(
        self,
        embedded: torch.Tensor,
        context: torch.Tensor,
        mask: torch.Tensor,
        actions: torch.Tensor | None = None,
        greedy: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``embedded`` (B, m, E), ``context`` (B, C), ``mask`` (B, m): sample (``greedy``: the most
        probable sub-action in turn; or score the given ``actions`` (B, m)): actions, joint
        log-probability, entropy (Σ_j H(π_j) along the chosen actions; both zero when ``greedy``)."""
        b, m, e = embedded.shape
        base = self.base(torch.cat([embedded, context[:, None].expand(b, m, -1)], dim=-1))  # (B, m, H)
        # remember([e_i, onehot(a_i)]) = W_e e_i + b + W_a[:, a_i]: the first two once for all candidates
        remembered = nn.functional.linear(embedded, self.remember.weight[:, :e], self.remember.bias)
        per_action = self.remember.weight[:, e:].t()  # (n_actions, H)
        allowed = mask.float()
        share = allowed / allowed.sum(1, keepdim=True).clamp_min(1.0)  # (B, m): 1 / (allowed candidates)
        summary = base.new_zeros(b, base.shape[-1])
        chosen, log_prob, entropy = [], base.new_zeros(b), base.new_zeros(b)
        for j in range(m):
            log_p = torch.log_softmax(self.out(torch.tanh(base[:, j] + self.from_summary(summary))), dim=-1)
            if actions is not None:
                action = actions[:, j]
            elif greedy:
                action = log_p.argmax(-1)
            else:
                action = torch.multinomial(log_p.exp(), 1).squeeze(-1)
            action = torch.where(mask[:, j], action, torch.zeros_like(action))
            chosen.append(action)
            if not greedy:  # the mode needs neither
                log_prob = log_prob + allowed[:, j] * log_p.gather(-1, action[:, None]).squeeze(-1)
                entropy = entropy - allowed[:, j] * (log_p.exp() * log_p).sum(-1)
            summary = summary + share[:, j, None] * torch.tanh(remembered[:, j] + per_action[action])
        return torch.stack(chosen, dim=-1), log_prob, entropy
