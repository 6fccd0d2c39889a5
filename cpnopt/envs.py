"""Gymnasium ids of the families' environments, registered from the family registry.

Every family whose :class:`~cpnopt.registry.Family` names an ``env`` gets the id
``cpnopt/<Family>-v0`` (``gymnasium.make(id, **generator_params)``). ``import cpnopt``
registers them (:mod:`cpnopt.gym_registration`); importing this module registers them too
and gives :data:`ENV_IDS`. What each environment's step, observation and reward are: the
family's ``env`` module and docs/learned.md. The batched base they share: :mod:`cpnopt.rl_env`.
"""

from cpnopt.gym_registration import env_id, register_envs
from cpnopt.rl_env import BatchedEnv, FamilyGymEnv, Observation, Step, evaluator_reward

ENV_IDS = register_envs()

__all__ = ["BatchedEnv", "ENV_IDS", "FamilyGymEnv", "Observation", "Step", "env_id", "evaluator_reward"]
