"""Gymnasium environments, one per family, over a batched PyTorch step (see :mod:`cpnopt.envs.base`).

Registered ids (``gymnasium.make(id, **generator_params)``):

- ``cpnopt/Clustering-v0`` — P1 / DCAT: place servers into clusters one at a time (R_max
  respected by masking), REA prices the tasks, reward = platform profit from the evaluator.
- ``cpnopt/Routing-v0`` — STPer: one task per step, its destination compute node; the fast
  scheduler (fastest path + first-fit slots) routes it, reward = Eq. (15) profit from the evaluator.
- ``cpnopt/Placement-v0`` — GWP: one iteration per step, the partition of every layer over the
  devices, reward Eq. (17) from the evaluator's objective.
- ``cpnopt/Regional-v0`` — multistage regional: one task per step, its region (stage 1); the
  profit-aware balancing places it (stage 2), reward = profit from the evaluator.
- ``cpnopt/Offloading-v0`` — RLMS-CPN: one task per step, a candidate compute node and a
  sparsemax split over its paths, reward = −the task's response latency from the evaluator.
"""

import gymnasium

from cpnopt.envs.base import BatchedEnv, FamilyGymEnv, Observation, Step, evaluator_reward

ENV_IDS = {family: f"cpnopt/{family.capitalize()}-v0"
           for family in ("clustering", "routing", "placement", "regional", "offloading")}

for _family, _id in ENV_IDS.items():
    if _id not in gymnasium.registry:
        gymnasium.register(id=_id, entry_point=f"cpnopt.envs.{_family}:{_family.capitalize()}Env")

__all__ = ["BatchedEnv", "ENV_IDS", "FamilyGymEnv", "Observation", "Step", "evaluator_reward"]
