"""``regional-drl``: the paper's DRL stage 1 (task → region) with the profit-aware stage-2 balancing.

Tasks come online in arrival order (:mod:`cpnopt.problems.regional.env`); for each, the actor scores
every region (and "reject") from region-level features — stage 2's margin and slack there,
the pooled cost, transfer time, queued work, the region's share of the remaining demand —
and picks one among the regions where stage 2 can serve the task; stage 2 is the
``two-stage`` heuristic's own :func:`~cpnopt.problems.regional.balancing.balance_within_region`.
The reward is the platform profit the family's evaluator gives the whole schedule.
Training: PPO (:mod:`.ppo`) on the generator's default instances (4 regions × 2 servers,
16 tasks) with seeds ≥ 10⁶, disjoint from the benchmarks' seeds. At solve time the policy
acts greedily; one shared per-candidate scorer, so it runs on any number of regions.
"""

from __future__ import annotations

from functools import partial

from cpnopt.problems.regional import RegionalDecision, RegionalInstance, RegionalParams, generate
from cpnopt.problems.regional.env import N_FEATURES, BatchedRegionalEnv
from cpnopt.rl_env import sample_instance
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.rl.networks import CandidateActorCritic
from cpnopt.solvers.rl.sb3_ppo import register_sb3_ppo
from cpnopt.solvers.rl.serving import AgentSpec, ServingOptions, register_agent, solve_greedily

SPEC = AgentSpec(
    family="regional",
    method="regional-drl",
    algorithm="ppo",
    make_env=BatchedRegionalEnv,
    sample=partial(sample_instance, generate, RegionalParams()),
    make_policy=CandidateActorCritic,
    policy_kwargs={"n_features": N_FEATURES, "hidden": 64},
    config={"n_envs": 16, "n_steps": 16, "learning_rate": 5e-4},
)


@register_agent(
    SPEC,
    description="DRL stage 1 (PPO policy: task → region or reject) + two-stage's profit-aware balancing; bundled checkpoint",
)
def regional_drl(instance: RegionalInstance, serving: ServingOptions) -> MethodOutput:
    """The options are :class:`~cpnopt.solvers.rl.serving.ServingOptions` (``checkpoint``: a ``cpnopt train``
    output, default the bundled one; ``samples``: test-time search)."""
    if instance.n_tasks == 0:
        return MethodOutput(decision=RegionalDecision.rejected(0), status=Status.FEASIBLE)
    return solve_greedily(SPEC, instance, serving)


register_sb3_ppo("regional")  # the off-the-shelf MaskablePPO beside the paper's agent(s)
