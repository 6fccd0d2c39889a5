"""Gymnasium environments, one per family, over a batched PyTorch step (see :mod:`cpnopt.envs.base`).

Registered ids (``gymnasium.make(id, **generator_params)``):

- ``cpnopt/Clustering-v0`` — P1 / DCAT: place servers into clusters one at a time (R_max
  respected by masking), REA prices the tasks, reward = platform profit from the evaluator.
"""

import gymnasium

from cpnopt.envs.base import BatchedEnv, FamilyGymEnv, Observation, Step, evaluator_reward

ENV_IDS = {"clustering": "cpnopt/Clustering-v0"}

for _id, _entry in ((ENV_IDS["clustering"], "cpnopt.envs.clustering:ClusteringEnv"),
                    ("cpnopt/Routing-v0", "cpnopt.envs.routing:RoutingEnv"),
                    ("cpnopt/Placement-v0", "cpnopt.envs.placement:PlacementEnv"),
                    ("cpnopt/Regional-v0", "cpnopt.envs.regional:RegionalEnv"),):
    if _id not in gymnasium.registry:
        gymnasium.register(id=_id, entry_point=_entry)

__all__ = ["BatchedEnv", "ENV_IDS", "FamilyGymEnv", "Observation", "Step", "evaluator_reward"]
