"""Proximal policy optimisation (PPO-clip; Schulman et al. 2017), CleanRL's recipe.

Read top to bottom, one update is:

1. roll the policy out for ``n_steps`` steps in each of ``n_envs`` instances at once;
2. advantages by GAE(γ, λ), returns = advantages + values (the critic at collection time);
3. ``epochs`` passes over the rollout in ``minibatches`` shuffled minibatches, each a
   gradient step on  L = E[max(−A ρ, −A clip(ρ, 1 − ε, 1 + ε))] + c_v · ½ E[(R − V(s))²]
   − c_e · E[H(π(·|s))], with ρ = π(a|s) / π_old(a|s), advantages normalised per
   minibatch, gradients clipped to ``max_grad_norm``; an epoch loop stops early when the
   approximate KL to the old policy passes ``target_kl``;
4. log the mean episode reward, the evaluator's objective, the critic's explained variance,
   entropy, losses, KL and the clipped fraction; checkpoint every ``checkpoint_every`` updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from cpnopt.solvers.rl.rollout import gae
from cpnopt.solvers.rl.session import Session, TrainConfig


@dataclass(frozen=True)
class PPOConfig(TrainConfig):
    n_steps: int = 16
    learning_rate: float = 3e-4
    epochs: int = 4
    minibatches: int = 4
    clip: float = 0.2  # ε
    target_kl: float | None = 0.05


def train(session: Session, total_steps: int, checkpoint: Path, progress: bool = True) -> None:
    """Run PPO updates until ``session.global_step`` reaches ``total_steps``."""
    cfg: PPOConfig = session.config
    session.begin(total_steps, checkpoint, progress)
    while session.global_step < total_steps:
        batch = session.rollout(cfg.n_steps)
        advantages, returns = gae(batch, cfg.gamma, cfg.gae_lambda)
        obs, actions, old_log_probs = batch.flat()
        advantages, returns = advantages.flatten(), returns.flatten()

        n = advantages.numel()
        size = max(1, n // cfg.minibatches)
        clipped, kl = [], torch.tensor(0.0)
        for _ in range(cfg.epochs):
            for idx in torch.randperm(n, device=actions.device).split(size):
                dist, values = session.policy(obs[idx])
                log_ratio = dist.log_prob(actions[idx]) - old_log_probs[idx]
                ratio = log_ratio.exp()
                adv = advantages[idx]
                adv = (adv - adv.mean()) / (adv.std() + 1e-8) if adv.numel() > 1 else adv
                policy_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - cfg.clip, 1 + cfg.clip)).mean()
                value_loss = 0.5 * ((returns[idx] - values) ** 2).mean()
                entropy = dist.entropy().mean()
                session.gradient_step(policy_loss + cfg.vf_coef * value_loss - cfg.ent_coef * entropy)
                with torch.no_grad():
                    kl = ((ratio - 1) - log_ratio).mean()  # the k3 estimator of KL(old ‖ new)
                    clipped.append(float(((ratio - 1).abs() > cfg.clip).float().mean()))
            if cfg.target_kl is not None and float(kl) > cfg.target_kl:
                break
        session.record(
            batch,
            returns.view_as(batch.values),
            entropy=entropy,
            policy_loss=policy_loss,
            value_loss=value_loss,
            approx_kl=kl,
            clip_fraction=sum(clipped) / len(clipped),
        )
    session.end()
