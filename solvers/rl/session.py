"""One training run's state and bookkeeping: seeding, resume, logging, progress bar, checkpoints.

A2C, PPO and DQN (:mod:`.a2c`, :mod:`.ppo`, :mod:`.dqn`) hold only their algorithm; this module gives them
the environment, the policy and its optimizer, the instance stream, and saves everything
needed to resume: policy and optimizer state, the step count, both random generators'
states, the log, the wall time so far and the algorithm's own networks (:meth:`Session.attach`:
DQN's target network). Episodes in flight when a checkpoint is written
are not saved; a resumed run starts fresh episodes from the restored generators.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from cpnopt.errors import InputError
from cpnopt.rl_env import BatchedEnv, Observation
from cpnopt.solvers.rl.rollout import Rollout, collect, explained_variance
from cpnopt.solvers.rl.serving import AgentSpec, read_checkpoint


def resolve_device(name: str) -> torch.device:
    if name not in ("cpu", "cuda"):
        raise InputError("--device", name, "must be cpu or cuda")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device", name, "CUDA is not available to this PyTorch")
    return torch.device(name)


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters every algorithm here has; A2C and PPO add their own."""

    n_envs: int = 32  # instances stepped at once
    n_steps: int = 8  # steps per instance per rollout
    learning_rate: float = 1e-3  # Adam
    gamma: float = 1.0  # the reward is the episode's objective: undiscounted
    gae_lambda: float = 0.95
    ent_coef: float = 0.01  # c_e, entropy bonus
    vf_coef: float = 0.5  # c_v, value loss
    max_grad_norm: float = 0.5
    checkpoint_every: int = 100  # updates


@dataclass
class Session:
    spec: AgentSpec
    config: TrainConfig  # the algorithm's config (a subclass)
    device: torch.device
    seed: int
    env: BatchedEnv
    policy: nn.Module
    optimizer: torch.optim.Optimizer
    rng: np.random.Generator  # draws the training instances
    obs: Observation
    global_step: int = 0  # environment transitions so far (all slots)
    wall_s: float = 0.0  # training time so far, over every resume
    log: list[dict[str, float]] = field(default_factory=list)
    extra: dict[str, nn.Module] = field(
        default_factory=dict
    )  # the algorithm's own networks (DQN's target), checkpointed
    _restored: dict[str, Any] = field(default_factory=dict)  # their saved states, on a resumed run
    _bar: Any = None
    _checkpoint: Path = Path()
    _started: float = 0.0
    _snapshots: list[int] = field(default_factory=list)  # steps still to be saved as snapshots, ascending

    @classmethod
    def start(
        cls, spec: AgentSpec, config: TrainConfig, seed: int, device: str, resume: Path | None = None, threads: int = 1
    ) -> Session:
        """Seed everything and build the run, or restore it from the checkpoint ``resume``.

        ``threads``: PyTorch's CPU threads. The models are small, and on a shared CPU more
        than one intra-op thread made a forward-backward pass 20 times slower (measured).
        """
        torch_device = resolve_device(device)
        if threads < 1:
            raise InputError("--threads", threads, "must be ≥ 1")
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        policy = spec.make_policy(**spec.policy_kwargs).to(torch_device)
        optimizer = torch.optim.Adam(policy.parameters(), lr=config.learning_rate, eps=1e-5)
        state: dict[str, Any] | None = None
        if resume is not None:
            state = read_checkpoint(
                resume, torch_device, "--resume", ("agent", "seed", "policy", "optimizer", "torch_rng", "numpy_rng")
            )
            if state["agent"] != [spec.family, spec.method] or state["seed"] != seed:
                raise InputError(
                    "--resume",
                    str(resume),
                    f"holds {state['agent']} seed {state['seed']}, not {spec.family}/{spec.method} seed {seed}",
                )
            policy.load_state_dict(state["policy"])
            optimizer.load_state_dict(state["optimizer"])
            torch.set_rng_state(state["torch_rng"].cpu())
            rng.bit_generator.state = state["numpy_rng"]
        env = spec.make_env(torch_device)
        obs = env.reset([spec.sample(rng) for _ in range(config.n_envs)])
        session = cls(spec, config, torch_device, seed, env, policy, optimizer, rng, obs)
        if state is not None:
            session.global_step, session.wall_s, session.log = state["global_step"], state["wall_s"], state["log"]
            session._restored = state.get("extra", {})
        return session

    def attach(self, name: str, module: nn.Module) -> None:
        """Save ``module`` in every checkpoint; on a resumed run, load its saved state now."""
        if name in self._restored:
            module.load_state_dict(self._restored[name])
        self.extra[name] = module

    def rollout(self, n_steps: int) -> Rollout:
        """``n_steps`` steps of the current policy in every slot (see :func:`.rollout.collect`)."""
        batch = collect(self.env, self.policy, self.obs, n_steps, self.spec.sample, self.rng)
        self.obs = batch.next_obs
        return batch

    def gradient_step(self, loss: torch.Tensor) -> None:
        """One Adam step on ``loss``, gradients clipped to the config's ``max_grad_norm``."""
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.policy.parameters(), self.config.max_grad_norm)
        self.optimizer.step()

    # ------------------------------------------------------------------ progress and log
    def keep_snapshots(self, steps: tuple[int, ...]) -> None:
        """Besides the rolling checkpoint, save the run as it is at each of ``steps`` transitions
        (:func:`snapshot_path`; steps a resumed run has already passed are skipped)."""
        self._snapshots = sorted(s for s in set(steps) if s > self.global_step)

    def begin(self, total_steps: int, checkpoint: Path, progress: bool) -> None:
        self._checkpoint = checkpoint
        self._started = time.perf_counter()
        self._bar = tqdm(
            total=total_steps,
            initial=self.global_step,
            disable=not progress,
            unit="step",
            desc=f"{self.spec.family}/{self.spec.method} ({self.spec.algorithm}, {self.device.type})",
        )

    def record(self, batch: Rollout, returns: torch.Tensor, **losses: float) -> None:
        """Count the rollout's transitions, log the update (also on the progress bar), checkpoint now and then.

        Logged: mean return of the episodes that ended (``episode_reward``), their mean
        evaluator ``objective``, the critic's ``explained_variance`` on this rollout, and ``losses``.
        """
        self.log_update(
            batch.rewards.numel(),
            batch.episode_rewards,
            batch.episode_objectives,
            explained_variance(batch.values.flatten(), returns.flatten()),
            **losses,
        )

    def log_update(
        self,
        transitions: int,
        episode_rewards: list[float],
        episode_objectives: list[float],
        explained: float,
        **losses: float,
    ) -> None:
        """:meth:`record` for any algorithm: ``transitions`` new environment steps, the episodes that
        ended since the last entry, the critic's (or Q-network's) explained variance and ``losses``."""
        self.global_step += transitions
        entry = {
            "step": self.global_step,
            "episode_reward": mean(episode_rewards),
            "objective": mean(episode_objectives),
            "explained_variance": explained,
            **{k: float(v.detach()) if isinstance(v, torch.Tensor) else float(v) for k, v in losses.items()},
        }
        self.log.append(entry)
        while self._snapshots and self.global_step >= self._snapshots[0]:
            self.save(snapshot_path(self._checkpoint, self._snapshots.pop(0)))
        self._bar.update(transitions)
        self._bar.set_postfix(reward=f"{entry['episode_reward']:.3f}", ev=f"{entry['explained_variance']:.2f}")
        if len(self.log) % self.config.checkpoint_every == 0:
            self.save(self._checkpoint)

    def end(self) -> None:
        """Close the progress bar and write the final checkpoint."""
        self.wall_s += time.perf_counter() - self._started
        self._started = time.perf_counter()
        self._bar.close()
        self.save(self._checkpoint)

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: Path) -> None:
        elapsed = time.perf_counter() - self._started if self._started else 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "agent": [self.spec.family, self.spec.method],
                "algorithm": self.spec.algorithm,
                "config": asdict(self.config),
                "policy_kwargs": dict(self.spec.policy_kwargs),
                "policy": self.policy.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "seed": self.seed,
                "global_step": self.global_step,
                "wall_s": self.wall_s + elapsed,
                "torch_rng": torch.get_rng_state(),
                "numpy_rng": self.rng.bit_generator.state,
                "log": self.log,
                "extra": {name: module.state_dict() for name, module in self.extra.items()},
            },
            path,
        )


def snapshot_path(checkpoint: Path, step: int) -> Path:
    """Where ``--save-at`` keeps the state at the first update that reaches ``step`` transitions:
    ``dcat.pt`` → ``dcat-step75000.pt``. No schedule depends on the total steps, so it equals
    the final checkpoint of the same run with ``--steps step``."""
    return checkpoint.with_name(f"{checkpoint.stem}-step{step}{checkpoint.suffix}")


def mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")
