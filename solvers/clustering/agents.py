"""``dcat``: DCAT's A2C agent (Algorithm 1) for P1 — the clustering by a policy, the pricing by REA.

Each cycle (one instance, see :mod:`cpnopt.problems.clustering.env`) the actor places the servers
into clusters one at a time, choosing among the clusters the mask allows (diameter ≤ R_max,
Eq. 10c, and the size limit), so the partition is feasible by construction; the tasks of
every slot are then priced by the REA reverse auction (Algorithm 2, the same
:func:`~cpnopt.problems.clustering.auction.auction_tasks` as ``rand-rea`` and ``km-rea``)
and the reward is the platform profit (Eq. 6) the evaluator computes. Training: A2C
(:mod:`.a2c`) on instances from the generator's defaults (8 servers, 2 slots × 6 tasks)
with seeds ≥ 10⁶, disjoint from the benchmarks' seeds. At solve time the policy acts
greedily (most probable allowed action); the network takes any number of servers.
"""

from __future__ import annotations

from functools import partial

import torch

from cpnopt.problems.clustering import ClusteringInstance, ClusteringParams, generate
from cpnopt.problems.clustering.auction import check_gamma
from cpnopt.problems.clustering.env import N_FEATURES, BatchedClusteringEnv
from cpnopt.rl_env import sample_instance
from cpnopt.solution import MethodOutput
from cpnopt.solvers.rl.networks import CandidateActorCritic
from cpnopt.solvers.rl.sb3_ppo import register_sb3_ppo
from cpnopt.solvers.rl.serving import AgentSpec, ServingOptions, register_agent, solve_greedily

REA_GAMMA = 0.8  # REA's γ during training, the heuristics' default


def _make_env(device: torch.device, gamma: float = REA_GAMMA) -> BatchedClusteringEnv:
    return BatchedClusteringEnv(device, gamma=gamma)


SPEC = AgentSpec(
    family="clustering",
    method="dcat",
    algorithm="a2c",
    make_env=_make_env,
    sample=partial(sample_instance, generate, ClusteringParams()),
    make_policy=CandidateActorCritic,
    policy_kwargs={"n_features": N_FEATURES, "hidden": 64},
)


@register_agent(
    SPEC,
    description="DCAT (Alg. 1): A2C policy builds the clusters (R_max by masking) + REA pricing; bundled checkpoint",
)
def dcat(instance: ClusteringInstance, serving: ServingOptions, gamma: float = REA_GAMMA) -> MethodOutput:
    """``gamma``: REA's γ; the other options are :class:`~cpnopt.solvers.rl.serving.ServingOptions`."""
    check_gamma(gamma)
    return solve_greedily(SPEC, instance, serving, gamma=gamma)


register_sb3_ppo("clustering")  # the off-the-shelf MaskablePPO beside the paper's agent(s)
