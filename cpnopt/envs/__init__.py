"""Gymnasium environments, one per family, over a batched PyTorch step (see :mod:`cpnopt.envs.base`).

Registered ids (``gymnasium.make(id, **generator_params)``):

- ``cpnopt/Clustering-v0`` — P1 / DCAT: place servers into clusters one at a time (R_max
  respected by masking), REA prices the tasks, reward = platform profit from the evaluator.
- ``cpnopt/Offloading-v0`` — RLMS-CPN: one task per step, a candidate compute node and a
  sparsemax split over its paths, reward = −the task's response latency from the evaluator.
"""

import gymnasium

from cpnopt.envs.base import BatchedEnv, FamilyGymEnv, Observation, Step, evaluator_reward

ENV_IDS = {"clustering": "cpnopt/Clustering-v0", "offloading": "cpnopt/Offloading-v0"}

for _id, _entry in ((ENV_IDS["clustering"], "cpnopt.envs.clustering:ClusteringEnv"),
                    (ENV_IDS["offloading"], "cpnopt.envs.offloading:OffloadingEnv"),
                    ("cpnopt/Routing-v0", "cpnopt.envs.routing:RoutingEnv"),
                    ("cpnopt/Placement-v0", "cpnopt.envs.placement:PlacementEnv"),
                    ("cpnopt/Regional-v0", "cpnopt.envs.regional:RegionalEnv"),):
    if _id not in gymnasium.registry:
        gymnasium.register(id=_id, entry_point=_entry)

__all__ = ["BatchedEnv", "ENV_IDS", "FamilyGymEnv", "Observation", "Step", "evaluator_reward"]
