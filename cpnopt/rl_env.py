"""What every family environment shares: a batched PyTorch step and its Gymnasium wrapper.

A family environment is written once, as a :class:`BatchedEnv`: many instances of the
family stepped at once, their state held in PyTorch tensors on one device. An
observation is a set of **candidates** (the actions: a cluster to join, a destination, a
device), each described by a feature vector, with a mask of the candidates allowed now —
the shape the masked categorical heads of ``cpnopt.solvers.rl.networks`` read, for
any instance size. When an instance's episode ends the environment hands its decision to
:func:`evaluator_reward`, which scores it with the **family's evaluator** (the one the
CLI and the benchmarks use), so no environment carries a second copy of an objective.

:class:`FamilyGymEnv` is the Gymnasium view of the same code: a batch of one instance, with
``action_masks()`` and masks shaped for the action space (sb3-contrib's conventions);
``reset(options={"seed": s})`` plays ``cpnopt.generate(family, seed=s)``.

Training instances come from :func:`sample_instance`: the family's generator with a seed
≥ :data:`TRAINING_SEED_OFFSET`, so no training instance is a benchmark instance.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from cpnopt.errors import InputError
from cpnopt.registry import family_of
from cpnopt.solution import Evaluation, Sense

FEATURE_BOUND = float(np.finfo(np.float32).max)  # the Gym observation space's bounds (features are finite)
TRAINING_SEED_OFFSET = 10**6  # instances drawn for training have seeds ≥ this; benchmarks use smaller ones


def sample_instance(generate: Callable[[Any, int], Any], params: Any, rng: np.random.Generator) -> Any:
    """A training instance: ``generate(params, seed)`` with a seed ≥ TRAINING_SEED_OFFSET drawn from ``rng``."""
    return generate(params, TRAINING_SEED_OFFSET + int(rng.integers(0, 10**9)))


@dataclass(frozen=True)
class Observation:
    """Candidates of every instance of a batch: ``features`` (B, K, F), ``mask`` (B, K) of the allowed ones."""

    features: torch.Tensor
    mask: torch.Tensor

    def __getitem__(self, index: Any) -> Observation:
        return Observation(self.features[index], self.mask[index])


@dataclass(frozen=True)
class Step:
    """What one batched step returns; ``reward`` and ``objective`` are 0 until an episode is done."""

    observation: Observation
    reward: torch.Tensor  # (B,) the training signal: ± objective / scale (see evaluator_reward)
    done: torch.Tensor  # (B,) bool
    objective: torch.Tensor  # (B,) the evaluator's objective of the finished episodes, in the family's units


def evaluator_reward(instance: Any, decision: Any, scale: float) -> tuple[float, Evaluation]:
    """Score a finished episode with the family's evaluator: reward = ±objective / scale.

    The sign makes every family a maximization (minimized objectives are negated); ``scale``
    (positive, chosen by the environment, e.g. the users' total posted price) only brings
    rewards near 1 for the learning rate. An environment builds its decisions to be
    feasible by construction, so a violation here is a bug and raises.
    """
    family = family_of(instance)
    evaluation = family.evaluate(instance, decision)
    if not evaluation.feasible:
        raise RuntimeError(f"{family.name} environment built an infeasible decision: {evaluation.violations}")
    sign = 1.0 if family.sense is Sense.MAXIMIZE else -1.0
    return sign * evaluation.objective / scale, evaluation


class BatchedEnv(ABC):
    """Episodes of many instances of one family, stepped together on ``device``.

    Slots of the batch are independent: :meth:`reset_slots` starts new instances in some
    slots while the others go on, so a rollout refills a slot as soon as its episode ends.
    """

    n_features: int  # F

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.instances: list[Any] = []
        self.decisions: list[Any | None] = []  # per slot: the decision once the episode is done
        self.evaluations: list[Evaluation | None] = []  # per slot: the evaluator's verdict once done

    @property
    def batch_size(self) -> int:
        return len(self.instances)

    @abstractmethod
    def n_candidates(self, instance: Any) -> int:
        """K: the number of candidates (actions) an observation of ``instance`` lists."""

    def reset(self, instances: Sequence[Any]) -> Observation:
        """Start one episode per instance; all instances of a batch must give the same K."""
        sizes = {self.n_candidates(inst) for inst in instances}
        if len(sizes) != 1:
            raise InputError("instances", sorted(sizes), "a batch needs instances with the same number of candidates")
        self.instances = list(instances)
        self._reset_all()
        return self.observe()

    def reset_slots(self, slots: Sequence[int], instances: Sequence[Any]) -> Observation:
        """Start new episodes in ``slots`` (with the same K as the batch), keep the others."""
        k = self.n_candidates(self.instances[0])
        for slot, inst in zip(slots, instances):
            if self.n_candidates(inst) != k:
                raise InputError("instances", self.n_candidates(inst), f"the batch has {k} candidates")
            self.instances[slot] = inst
        self._reset_slots(list(slots))
        return self.observe()

    @abstractmethod
    def _reset_all(self) -> None:
        """Load every instance of ``self.instances`` into tensors and start their episodes."""

    @abstractmethod
    def _reset_slots(self, slots: list[int]) -> None:
        """Reload the instances now in ``slots`` and restart their episodes."""

    @abstractmethod
    def observe(self) -> Observation:
        """The candidates of every slot now (a finished slot shows one allowed dummy candidate)."""

    @abstractmethod
    def step(self, actions: torch.Tensor) -> Step:
        """Apply one action per slot; finished episodes are scored by :func:`evaluator_reward`."""

    def decision(self, slot: int) -> Any:
        """The family decision the episode in ``slot`` has built (once it is done)."""
        if self.decisions[slot] is None:
            raise RuntimeError(f"the episode in slot {slot} is not done")
        return self.decisions[slot]

    def _clear(self, slots: Sequence[int] | None = None) -> None:
        """Forget the decisions and verdicts of ``slots`` (None: every slot of a new batch)."""
        if slots is None:
            self.decisions = [None] * len(self.instances)
            self.evaluations = [None] * len(self.instances)
            return
        for slot in slots:
            self.decisions[slot] = self.evaluations[slot] = None

    def _score(self, slot: int, decision: Any, scale: float) -> tuple[float, Evaluation]:
        """Score the finished episode in ``slot`` (:func:`evaluator_reward`) and keep its decision and verdict."""
        reward, evaluation = evaluator_reward(self.instances[slot], decision, scale)
        self.decisions[slot] = decision
        self.evaluations[slot] = evaluation
        return reward, evaluation


class FamilyGymEnv(gym.Env):
    """Gymnasium view of a :class:`BatchedEnv` on one instance at a time, in the masked-RL conventions.

    **Which instance** ``reset`` plays:

    - ``reset(options={"seed": s})``: exactly ``generate(params, seed=s)``, i.e.
      ``cpnopt.generate(family, seed=s, **params)``, the instance the benchmarks and the
      held-out evaluation (seeds 0–19) use;
    - ``reset(options={"instance": inst})``: that instance;
    - otherwise a training instance (:func:`sample_instance`, seed ≥
      :data:`TRAINING_SEED_OFFSET`) drawn with Gymnasium's ``np_random``; ``reset(seed=...)``
      keeps Gymnasium's meaning: it seeds that generator (the same seed, the same sequence
      of training instances), it does not pick ``generate(family, seed)``.

    **Masks**: :meth:`action_masks` (the sb3-contrib convention), ``obs["action_mask"]`` and
    ``info["action_mask"]`` are one boolean vector shaped for the action space: one entry
    per action of a ``Discrete`` space, and for a ``MultiDiscrete`` space one mask per
    sub-action, concatenated (``sum(nvec)`` entries). An action outside the mask is replaced
    by the environment's fallback (documented by each family), so every action keeps the
    decision feasible.

    **Observation**: ``obs["features"]`` is the (K, F) candidates' features flattened row by
    row to one vector of K · F (candidate c at ``[c·F, (c+1)·F)``; ``reshape(K, F)`` gives the
    per-candidate view the project's own policies read, K = ``n_candidates``, F =
    ``batched.n_features``), so SB3's ``MultiInputPolicy`` takes it as it is; such a flat
    policy is tied to one K, the project's per-candidate policies are not
    (:class:`~cpnopt.gym_padding.PaddedCandidates` gives it one size for every K up to a
    maximum). The features are finite float32 numbers without a tighter a-priori bound (the
    space's bounds are float32's).
    ``info`` at the end holds the evaluator's ``objective`` and metrics.
    """

    metadata = {"render_modes": []}
    candidate_field = "n_candidates"  # the instance's field that sets the number of candidates (for messages)

    def __init__(
        self, batched: BatchedEnv, generate: Callable[[Any, int], Any], params: Any, n_candidates: int
    ) -> None:
        self.batched = batched
        self.generate = generate  # (params, seed) -> instance: the family's generator
        self.params = params
        self.n_candidates = n_candidates
        self.action_space = self.action_space_for(n_candidates)
        self._set_observation_space()

    def action_space_for(self, n_candidates: int) -> gym.spaces.Space:
        """The action space for instances of ``n_candidates`` candidates: one action per candidate."""
        return gym.spaces.Discrete(n_candidates)

    def set_candidates(self, n_candidates: int) -> None:
        """Take instances of ``n_candidates`` candidates from now on (new action and observation spaces).

        For a wrapper with spaces of its own (:class:`~cpnopt.gym_padding.PaddedCandidates`); a
        policy trained on this environment's spaces no longer fits them."""
        self.n_candidates = n_candidates
        self.action_space = self.action_space_for(n_candidates)
        self._set_observation_space()

    def _set_observation_space(self) -> None:
        """The observation space for ``self.action_space``."""
        self.observation_space = gym.spaces.Dict(
            {
                "features": gym.spaces.Box(
                    -FEATURE_BOUND,
                    FEATURE_BOUND,
                    shape=(self.n_candidates * self.batched.n_features,),
                    dtype=np.float32,
                ),
                "action_mask": gym.spaces.MultiBinary(self.mask_size()),
            }
        )

    def mask_size(self) -> int:
        """Entries of the mask of ``self.action_space`` (class docstring)."""
        space = self.action_space
        if isinstance(space, gym.spaces.Discrete):
            return int(space.n)
        if isinstance(space, gym.spaces.MultiDiscrete):
            return int(space.nvec.sum())
        raise TypeError(f"no action mask for {space}")

    def space_mask(self, observation: Observation) -> np.ndarray:
        """The mask of the action space from the candidates' mask (a Discrete space over the candidates: the same)."""
        return observation.mask[0].cpu().numpy().astype(bool)

    def action_masks(self) -> np.ndarray:
        """The allowed actions now (sb3-contrib's ``MaskablePPO`` reads this), shaped for the action space."""
        return self._mask.copy()

    def _obs(self, observation: Observation) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        self._mask = self.space_mask(observation)
        mask = self._mask.astype(np.int8)
        obs = {"features": observation.features[0].cpu().numpy().astype(np.float32).ravel(), "action_mask": mask}
        return obs, {"action_mask": mask}

    def instance_for(self, options: dict[str, Any] | None) -> Any:
        """The instance ``reset`` plays (class docstring)."""
        options = dict(options or {})
        unknown = sorted(set(options) - {"seed", "instance"})
        if unknown:
            raise InputError(f"options.{unknown[0]}", options[unknown[0]], "reset takes options 'seed' or 'instance'")
        if "seed" in options and "instance" in options:
            raise InputError("options", sorted(options), "give 'seed' or 'instance', not both")
        if "instance" in options:
            return options["instance"]
        if "seed" in options:
            seed = options["seed"]
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
                raise InputError("options.seed", seed, "must be an integer ≥ 0")
            return self.generate(self.params, int(seed))
        return sample_instance(self.generate, self.params, self.np_random)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        instance = self.instance_for(options)
        if self.batched.n_candidates(instance) != self.n_candidates:
            raise InputError(
                "instance", self.batched.n_candidates(instance), f"this environment has {self.n_candidates} candidates"
            )
        return self._obs(self.batched.reset([instance]))

    def action_tensor(self, action: Any) -> torch.Tensor:
        """The batch-of-one action tensor for ``batched.step`` (a joint action overrides this)."""
        return torch.tensor([int(action)], device=self.batched.device)

    def step(self, action: Any):
        result = self.batched.step(self.action_tensor(action))
        obs, info = self._obs(result.observation)
        done = bool(result.done[0])
        if done:
            evaluation = self.batched.evaluations[0]
            info.update(objective=evaluation.objective, metrics=evaluation.metrics)
        return obs, float(result.reward[0]), done, False, info
