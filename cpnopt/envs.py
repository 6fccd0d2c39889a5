"""Gymnasium ids of the families' environments, registered from the family registry.

Every family whose :class:`~cpnopt.registry.Family` names an ``env`` gets the id
``cpnopt/<Family>-v0`` (``gymnasium.make(id, **generator_params)``); importing this module
registers them (``gymnasium.make("cpnopt.envs:cpnopt/Clustering-v0")`` imports it). What
each environment's step, observation and reward are: the family's ``env`` module and
docs/learned.md. The batched base they share: :mod:`cpnopt.rl_env`.
"""

import gymnasium

from cpnopt.registry import families
from cpnopt.rl_env import BatchedEnv, FamilyGymEnv, Observation, Step, evaluator_reward


def env_id(family: str) -> str:
    return f"cpnopt/{family.capitalize()}-v0"


ENV_IDS = {name: env_id(name) for name, family in families().items() if family.env is not None}

for _name, _id in ENV_IDS.items():
    if _id not in gymnasium.registry:
        gymnasium.register(id=_id, entry_point=families()[_name].env)

__all__ = ["BatchedEnv", "ENV_IDS", "FamilyGymEnv", "Observation", "Step", "env_id", "evaluator_reward"]
