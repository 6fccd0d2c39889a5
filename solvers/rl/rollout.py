"""What A2C and PPO share: rollouts on a batched environment, GAE, explained variance.

A rollout runs the policy for ``n_steps`` steps on every slot of a
:class:`cpnopt.rl_env.BatchedEnv`; a slot whose episode ends is refilled at once with a
fresh training instance, so the batch never idles. Rewards come from the environment,
i.e. from the family's evaluator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from cpnopt.rl_env import BatchedEnv, Observation, Step


@dataclass(frozen=True)
class Rollout:
    """``n_steps`` × ``n_envs`` transitions (time first), and the state after the last one."""

    obs: Observation  # features (T, B, K, F), mask (T, B, K)
    actions: torch.Tensor  # (T, B) or (T, B, m) for joint actions
    log_probs: torch.Tensor  # (T, B) under the policy that acted
    values: torch.Tensor  # (T, B)
    rewards: torch.Tensor  # (T, B)
    dones: torch.Tensor  # (T, B) the episode ended with this step
    next_obs: Observation
    next_value: torch.Tensor  # (B,) V of next_obs
    episode_rewards: list[float]  # return of every episode that ended in this rollout
    episode_objectives: list[float]  # the evaluator's objective of those episodes

    def flat(self) -> tuple[Observation, torch.Tensor, torch.Tensor]:
        """Observations, actions and old log-probabilities with time and batch merged."""
        features, mask = self.obs.features, self.obs.mask
        flat_obs = Observation(features.flatten(0, 1), mask.flatten(0, 1))
        return flat_obs, self.actions.flatten(0, 1), self.log_probs.flatten()


@torch.no_grad()
def collect(
    env: BatchedEnv,
    policy: nn.Module,
    obs: Observation,
    n_steps: int,
    sample: Callable[[np.random.Generator], Any],
    rng: np.random.Generator,
) -> Rollout:
    """Act ``n_steps`` times in every slot; refill finished slots with ``sample(rng)``."""
    features, masks, actions, log_probs, values, rewards, dones = [], [], [], [], [], [], []
    episodes = Episodes(env.batch_size, env.device)
    for _ in range(n_steps):
        dist, value = policy(obs)
        action = dist.sample()
        step = env.step(action)
        features.append(obs.features)
        masks.append(obs.mask)
        actions.append(action)
        log_probs.append(dist.log_prob(action))
        values.append(value)
        rewards.append(step.reward)
        dones.append(step.done)
        obs = episodes.advance(env, step, sample, rng)
    _, next_value = policy(obs)
    return Rollout(
        obs=Observation(torch.stack(features), torch.stack(masks)),
        actions=torch.stack(actions),
        log_probs=torch.stack(log_probs),
        values=torch.stack(values),
        rewards=torch.stack(rewards),
        dones=torch.stack(dones).float(),
        next_obs=obs,
        next_value=next_value,
        episode_rewards=episodes.rewards,
        episode_objectives=episodes.objectives,
    )


class Episodes:
    """Each slot's running return; the return and evaluator objective of every episode that ended."""

    def __init__(self, batch_size: int, device: torch.device) -> None:
        self.running = torch.zeros(batch_size, device=device)
        self.rewards: list[float] = []
        self.objectives: list[float] = []

    def advance(
        self, env: BatchedEnv, step: Step, sample: Callable[[np.random.Generator], Any], rng: np.random.Generator
    ) -> Observation:
        """Add ``step``'s rewards; record the slots whose episode ended and refill them with ``sample(rng)``.

        Returns the observation to act on next (the refilled slots show their new instance).
        """
        self.running += step.reward
        ended = torch.nonzero(step.done).flatten().tolist()
        if not ended:
            return step.observation
        self.rewards += self.running[ended].tolist()
        self.objectives += step.objective[ended].tolist()
        self.running[ended] = 0.0
        return env.reset_slots(ended, [sample(rng) for _ in ended])


def gae(rollout: Rollout, gamma: float, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation (Schulman et al. 2016): advantages and returns (T, B).

    δ_t = r_t + γ V(s_{t+1}) (1 − done_t) − V(s_t);  A_t = δ_t + γ λ (1 − done_t) A_{t+1}.
    """
    advantages = torch.zeros_like(rollout.rewards)
    last = torch.zeros_like(rollout.next_value)
    n_steps = rollout.rewards.shape[0]
    for t in reversed(range(n_steps)):
        next_value = rollout.next_value if t == n_steps - 1 else rollout.values[t + 1]
        alive = 1.0 - rollout.dones[t]
        delta = rollout.rewards[t] + gamma * next_value * alive - rollout.values[t]
        last = delta + gamma * lam * alive * last
        advantages[t] = last
    return advantages, advantages + rollout.values


def explained_variance(predicted: torch.Tensor, target: torch.Tensor) -> float:
    """1 − Var(target − predicted) / Var(target): 1 is a perfect critic, ≤ 0 no better than a constant."""
    variance = float(target.var())
    return float("nan") if variance == 0 else 1.0 - float((target - predicted).var()) / variance
