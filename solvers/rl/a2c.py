"""Advantage actor-critic (A2C; Mnih et al. 2016, synchronous), the algorithm of DCAT's Algorithm 1.

Read top to bottom, one update is:

1. roll the policy out for ``n_steps`` steps in each of ``n_envs`` instances at once
   (the batched environment; finished episodes are refilled with fresh instances);
2. advantages by GAE(γ, λ) from the critic's values, returns = advantages + values;
3. one gradient step on  L = −E[A · log π(a|s)] + c_v · ½ E[(R − V(s))²] − c_e · E[H(π(·|s))]
   (policy gradient, value loss, entropy bonus; advantages normalised over the rollout),
   gradients clipped to ``max_grad_norm``;
4. log the mean episode reward, the evaluator's objective, the critic's explained variance,
   the entropy and the losses; every ``checkpoint_every`` updates, save a resumable checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cpnopt.solvers.rl.rollout import gae
from cpnopt.solvers.rl.session import Session, TrainConfig


@dataclass(frozen=True)
class A2CConfig(TrainConfig):
    normalize_advantages: bool = True  # per rollout: the rewards' scale differs between families


def train(session: Session, total_steps: int, checkpoint: Path, progress: bool = True) -> None:
    """Run A2C updates until ``session.global_step`` reaches ``total_steps``."""
    cfg: A2CConfig = session.config
    session.begin(total_steps, checkpoint, progress)
    while session.global_step < total_steps:
        batch = session.rollout(cfg.n_steps)
        advantages, returns = gae(batch, cfg.gamma, cfg.gae_lambda)

        obs, actions, _ = batch.flat()
        adv = advantages.flatten()
        if cfg.normalize_advantages:
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        dist, values = session.policy(obs)
        policy_loss = -(adv * dist.log_prob(actions)).mean()
        value_loss = 0.5 * ((returns.flatten() - values) ** 2).mean()
        entropy = dist.entropy().mean()
        session.gradient_step(policy_loss + cfg.vf_coef * value_loss - cfg.ent_coef * entropy)
        session.record(batch, returns, entropy=entropy, policy_loss=policy_loss, value_loss=value_loss)
    session.end()
