"""A fixed-size view of a family environment: the candidate axis padded to a maximum with masked dummies.

A ``cpnopt/<Family>-v0`` environment's observation lists K candidates × F features, K set by the
instance (clustering: servers, placement: devices, regional: regions + "reject", offloading: the
top candidates, routing: nodes). A policy that reads the flat K · F vector (SB3's
``MultiInputPolicy``) is tied to one K. :class:`PaddedCandidates` gives every instance with
K ≤ ``max_candidates`` the spaces of ``max_candidates``:

- ``obs["features"]``: the K real candidates' rows, then ``max_candidates − K`` rows of zeros
  (one vector of ``max_candidates · F``, row c at ``[c·F, (c+1)·F)`` as in the environment);
- the action space is the environment's own for ``max_candidates`` candidates (``Discrete``,
  or placement's ``MultiDiscrete`` with one sub-action per device), the real candidates' actions
  first, so an action of a real candidate keeps its index;
- ``action_masks()`` (and ``obs["action_mask"]``, ``info["action_mask"]``): the environment's mask,
  then the dummies' masks: nothing allowed (a ``Discrete`` space), or only the first value of each
  dummy's sub-action (``MultiDiscrete``: every sub-action needs one allowed value); the dummies'
  sub-actions are dropped before the environment steps.

Instances of different K play in one wrapper: ``reset(options={"instance": inst})`` (or
``{"seed": s}``) resizes the environment underneath (:meth:`~cpnopt.rl_env.FamilyGymEnv.set_candidates`)
while the wrapper's spaces stay. An instance with more candidates than ``max_candidates`` is an
:class:`~cpnopt.errors.InputError` naming the instance's field (``instance.n_servers``, …). What the
features mean does not change with K, except routing's: a node's features hold its adjacency row,
F depends on the number of nodes, so a routing environment pads every instance to its own node
count itself and refuses larger ones (its own ``InputError``). Used by ``examples/sb3_maskable_ppo.py --max-candidates``
to train and by the ``sb3-ppo`` methods to serve.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from cpnopt.errors import InputError
from cpnopt.rl_env import FEATURE_BOUND, FamilyGymEnv


class PaddedCandidates(gym.Wrapper):
    """``env`` (a ``cpnopt/<Family>-v0``) with its candidate axis padded to ``max_candidates`` (module docstring)."""

    def __init__(self, env: gym.Env, max_candidates: int) -> None:
        super().__init__(env)
        base = env.unwrapped
        if not isinstance(base, FamilyGymEnv):
            raise TypeError(f"PaddedCandidates wraps a cpnopt family environment, not {type(base).__name__}")
        if max_candidates < base.n_candidates:
            raise InputError(
                "max_candidates", max_candidates, f"below the environment's {base.n_candidates} candidates"
            )
        self.base = base
        self.max_candidates = max_candidates
        self.n_features = base.batched.n_features
        self.action_space = base.action_space_for(max_candidates)
        self.block = base.mask_size() // base.n_candidates  # mask entries per candidate
        self.observation_space = gym.spaces.Dict(
            {
                "features": gym.spaces.Box(
                    -FEATURE_BOUND, FEATURE_BOUND, shape=(max_candidates * self.n_features,), dtype=np.float32
                ),
                "action_mask": gym.spaces.MultiBinary(max_candidates * self.block),
            }
        )
        self._dummy = np.zeros(self.block, dtype=bool)
        if isinstance(self.action_space, gym.spaces.MultiDiscrete):
            self._dummy[0] = True
        self._mask = np.zeros(max_candidates * self.block, dtype=bool)

    def _fit(self, instance: Any) -> None:
        """Resize the environment underneath to ``instance``'s candidates (≤ max_candidates)."""
        k = self.base.batched.n_candidates(instance)
        if k > self.max_candidates:
            name = self.base.candidate_field
            raise InputError(
                f"instance.{name}",
                getattr(instance, name),
                f"gives {k} candidates, more than the {self.max_candidates} this padded environment "
                f"(and a policy trained on it) takes",
            )
        if k != self.base.n_candidates:
            self.base.set_candidates(k)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if options:
            instance = self.base.instance_for(options)
            self._fit(instance)
            options = {"instance": instance}
        obs, info = self.env.reset(seed=seed, options=options)
        return self._pad(obs, info)

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.env.step(self._unpad(action))
        obs, info = self._pad(obs, info)
        return obs, reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """The allowed actions now, shaped for the padded action space (module docstring)."""
        return self._mask.copy()

    def _pad(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        dummies = self.max_candidates - self.base.n_candidates
        self._mask = np.concatenate([obs["action_mask"].astype(bool), np.tile(self._dummy, dummies)])
        mask = self._mask.astype(np.int8)
        features = np.concatenate([obs["features"], np.zeros(dummies * self.n_features, dtype=np.float32)])
        return {"features": features, "action_mask": mask}, {**info, "action_mask": mask}

    def _unpad(self, action: Any) -> Any:
        """The environment's action: the real candidates' sub-actions, or the index (a real candidate's
        masked action is the environment's to replace by its fallback)."""
        if isinstance(self.action_space, gym.spaces.MultiDiscrete):
            return np.asarray(action)[: self.base.n_candidates]
        index = int(action)
        if index >= self.base.mask_size():  # a dummy (a policy ignoring the mask): the first allowed action
            index = int(np.flatnonzero(self._mask)[0])
        return index
