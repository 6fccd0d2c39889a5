"""Deep Q-learning (DQN; Mnih et al. 2015) with double DQN (van Hasselt et al. 2016), CleanRL's recipe.

Read top to bottom, one iteration is:

1. ε-greedy over the ALLOWED discrete actions of every slot of the batched environment
   (ε decays linearly from ``eps_start`` to ``eps_end`` over the first ``eps_fraction`` of the
   run's ``--steps``), one environment step, and the transitions (s, a, r, done, s') go into
   a uniform replay buffer; finished slots are refilled with fresh training instances
   (:class:`.rollout.Episodes`, the same refill as A2C/PPO's rollouts);
2. once the buffer holds ``learning_starts`` transitions, every ``train_frequency``
   iterations: one gradient step on a uniformly sampled minibatch of ``batch_size``,
   loss = Huber (or squared) error between Q(s, a) and the TD target
   y = r + γ (1 − done) Q_target(s', a*), a* = argmax over the allowed a' of Q(s', a')
   (double DQN: the online network chooses, the target network evaluates; plain DQN: the
   target network does both). The next state's mask is stored with it, so a disallowed
   action never enters the target, and a finished episode is not bootstrapped;
3. the target network is copied from the online one every ``target_update`` gradient steps
   (``tau`` = 1), or moved by Polyak averaging θ' ← τ θ + (1 − τ) θ' after every step (τ < 1);
4. every ``n_steps`` iterations, log the mean episode reward, the evaluator's objective, the
   TD loss, mean Q, ε and the explained variance of the TD targets by Q(s, a); checkpoints
   as A2C/PPO (the target network is saved with the policy).

The Q-network is the session's ``policy``: ``policy(obs)`` returns ``(QValues, value)``, the
Q-values of every discrete action under its mask and V(s) = max over the allowed actions;
``QValues.mode`` is the environment action of the greedy choice, so ``act_greedily`` runs a
Q-network like any policy. ``QValues.to_env`` maps discrete action indices to the
environment's action tensor (a joint action, e.g. offloading's node and split logits).

Resume: the replay buffer is not saved (episodes in flight are not either); a resumed run
collects ``learning_starts`` transitions again before its next gradient step. The ε
schedule follows the global step count.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from cpnopt.rl_env import Observation
from cpnopt.solvers.rl.rollout import Episodes, explained_variance
from cpnopt.solvers.rl.session import Session, TrainConfig


@dataclass(frozen=True)
class DQNConfig(TrainConfig):
    """DQN's hyperparameters (``n_steps``: iterations per log entry; ``gae_lambda``, ``ent_coef``, ``vf_coef`` unused)."""

    n_envs: int = 16
    n_steps: int = 16
    learning_rate: float = 5e-4
    gamma: float = 0.5
    max_grad_norm: float = 10.0
    buffer_size: int = 50_000  # transitions
    batch_size: int = 128
    learning_starts: int = 2_000  # transitions in the buffer before the first gradient step
    train_frequency: int = 1  # iterations (batched environment steps) per gradient step
    target_update: int = 250  # gradient steps between hard target copies (tau = 1)
    tau: float = 1.0  # < 1: Polyak averaging after every gradient step instead
    eps_start: float = 1.0
    eps_end: float = 0.05
    eps_fraction: float = 0.3  # of the run's --steps over which ε decays
    double: bool = True  # double DQN target
    huber: bool = True  # Huber (smooth L1) loss, else squared error


def _identity(index: torch.Tensor) -> torch.Tensor:
    return index


@dataclass(frozen=True)
class QValues:
    """Q(s, a) for every discrete action of each observation of a batch, and the allowed actions."""

    q: torch.Tensor  # (B, A)
    mask: torch.Tensor  # (B, A) bool
    to_env: Callable[[torch.Tensor], torch.Tensor] = field(default=_identity)  # indices (B,) → environment actions

    def greedy(self) -> torch.Tensor:
        """argmax over the allowed actions only (B,)."""
        return torch.where(self.mask, self.q, torch.full_like(self.q, -torch.inf)).argmax(-1)

    @property
    def mode(self) -> torch.Tensor:
        """The environment action of the greedy choice (what ``act_greedily`` steps with)."""
        return self.to_env(self.greedy())

    def value(self) -> torch.Tensor:
        """V(s) = max over the allowed actions of Q(s, a) (B,)."""
        return self.q.gather(1, self.greedy()[:, None]).squeeze(1)


def epsilon_greedy(q: QValues, epsilon: float) -> torch.Tensor:
    """Per row: with probability ε a uniformly random ALLOWED action, else the greedy one (indices (B,))."""
    random = torch.multinomial(q.mask.float(), 1).squeeze(1)
    explore = torch.rand(q.q.shape[0], device=q.q.device) < epsilon
    return torch.where(explore, random, q.greedy())


def linear_schedule(start: float, end: float, duration: float, step: int) -> float:
    return end + (start - end) * max(0.0, 1.0 - step / max(duration, 1.0))


@dataclass(frozen=True)
class Transitions:
    obs: Observation
    actions: torch.Tensor  # (N,) discrete indices
    rewards: torch.Tensor  # (N,)
    dones: torch.Tensor  # (N,) bool: the episode ended with this step
    next_obs: Observation  # features and mask of s' (the mask decides the allowed next actions)


class ReplayBuffer:
    """Uniform replay: a ring of ``capacity`` transitions held as tensors on ``device``."""

    def __init__(self, capacity: int, device: torch.device) -> None:
        self.capacity, self.device = capacity, device
        self.position = 0  # the next row written
        self.size = 0
        self._rows: dict[str, torch.Tensor] = {}

    def __len__(self) -> int:
        return self.size

    def add(self, batch: Transitions) -> None:
        """Store a batch of transitions (the oldest rows are overwritten once full)."""
        rows = {
            "features": batch.obs.features,
            "mask": batch.obs.mask,
            "actions": batch.actions,
            "rewards": batch.rewards,
            "dones": batch.dones,
            "next_features": batch.next_obs.features,
            "next_mask": batch.next_obs.mask,
        }
        n = batch.actions.shape[0]
        if n > self.capacity:
            raise ValueError(f"a batch of {n} transitions does not fit a buffer of {self.capacity}")
        if not self._rows:
            self._rows = {
                k: torch.zeros((self.capacity, *v.shape[1:]), dtype=v.dtype, device=self.device)
                for k, v in rows.items()
            }
        index = (self.position + torch.arange(n, device=self.device)) % self.capacity
        for key, value in rows.items():
            self._rows[key][index] = value.to(self.device)
        self.position = (self.position + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(self, batch_size: int) -> Transitions:
        """``batch_size`` stored transitions drawn uniformly with replacement (never an unwritten row)."""
        index = torch.randint(0, self.size, (batch_size,), device=self.device)
        r = {k: v[index] for k, v in self._rows.items()}
        return Transitions(
            Observation(r["features"], r["mask"]),
            r["actions"],
            r["rewards"],
            r["dones"],
            Observation(r["next_features"], r["next_mask"]),
        )


def td_target(
    rewards: torch.Tensor, dones: torch.Tensor, next_target: QValues, gamma: float, next_online: QValues | None = None
) -> torch.Tensor:
    """y = r + γ (1 − done) Q_target(s', a*), a* = the allowed argmax of ``next_online`` (double DQN) or of ``next_target``."""
    chooser = next_online if next_online is not None else next_target
    best = next_target.q.gather(1, chooser.greedy()[:, None]).squeeze(1)
    return rewards + gamma * (~dones).float() * best


def train(session: Session, total_steps: int, checkpoint: Path, progress: bool = True) -> None:
    """Run DQN iterations until ``session.global_step`` reaches ``total_steps``."""
    cfg: DQNConfig = session.config
    session.begin(total_steps, checkpoint, progress)
    q_net, env = session.policy, session.env
    target = copy.deepcopy(q_net).requires_grad_(False)
    session.attach("target", target)  # a resumed run loads the saved target network here
    buffer = ReplayBuffer(cfg.buffer_size, session.device)
    episodes = Episodes(env.batch_size, session.device)
    obs, iteration, updates, new_steps = session.obs, 0, 0, 0
    stats: dict[str, list[float]] = {"td_loss": [], "q_mean": []}
    predicted, targets = [], []
    while session.global_step + new_steps < total_steps:
        epsilon = linear_schedule(
            cfg.eps_start, cfg.eps_end, cfg.eps_fraction * total_steps, session.global_step + new_steps
        )
        with torch.no_grad():
            q, _ = q_net(obs)
            actions = epsilon_greedy(q, epsilon)
        step = env.step(q.to_env(actions))
        buffer.add(Transitions(obs, actions, step.reward, step.done, step.observation))
        obs = episodes.advance(env, step, session.spec.sample, session.rng)
        iteration += 1
        new_steps += env.batch_size

        if len(buffer) >= cfg.learning_starts and iteration % cfg.train_frequency == 0:
            batch = buffer.sample(cfg.batch_size)
            with torch.no_grad():
                next_target, _ = target(batch.next_obs)
                next_online = q_net(batch.next_obs)[0] if cfg.double else None
                y = td_target(batch.rewards, batch.dones, next_target, cfg.gamma, next_online)
            q_taken = q_net(batch.obs)[0].q.gather(1, batch.actions[:, None]).squeeze(1)
            loss = nn.functional.smooth_l1_loss(q_taken, y) if cfg.huber else nn.functional.mse_loss(q_taken, y)
            session.gradient_step(loss)
            updates += 1
            if cfg.tau < 1.0:
                with torch.no_grad():
                    for mine, online in zip(target.parameters(), q_net.parameters()):
                        mine.lerp_(online, cfg.tau)
            elif updates % cfg.target_update == 0:
                target.load_state_dict(q_net.state_dict())
            stats["td_loss"].append(float(loss.detach()))
            stats["q_mean"].append(float(q_taken.detach().mean()))
            predicted.append(q_taken.detach())
            targets.append(y)

        if iteration % cfg.n_steps == 0 or session.global_step + new_steps >= total_steps:
            session.obs = obs
            explained = explained_variance(torch.cat(predicted), torch.cat(targets)) if predicted else float("nan")
            session.log_update(
                new_steps,
                episodes.rewards,
                episodes.objectives,
                explained,
                epsilon=epsilon,
                **{k: sum(v) / len(v) if v else float("nan") for k, v in stats.items()},
            )
            episodes.rewards, episodes.objectives, predicted, targets = [], [], [], []
            stats = {k: [] for k in stats}
            new_steps = 0
    session.end()
