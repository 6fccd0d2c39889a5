"""``regional-drl`` and ``cpnopt/Regional-v0``: Gymnasium's checks, batched = single steps, the mask = where stage 2
serves, reward = the evaluator's profit, the bundled policy, short training, and the optimum bounding the agent."""

import json
from dataclasses import replace

import gymnasium
import numpy as np
import pytest
import torch
from env_checks import assert_batched_equals_single
from gymnasium.utils.env_checker import check_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpnopt
import cpnopt.envs
from cpnopt.problems.regional.balancing import Plan, balance_within_region
from cpnopt.problems.regional.env import BatchedRegionalEnv, RegionalEnv
from cpnopt.solvers.rl.serving import act_greedily, get_agent, load_policy
from cpnopt.solvers.rl.train import train_agent

SMALL = {"n_tasks": 8}


def test_check_env_passes():
    env = gymnasium.make("cpnopt/Regional-v0", **SMALL)
    check_env(env.unwrapped, skip_render_check=True)


def test_batched_steps_equal_single_instance_steps():
    """Four instances stepped together give the observations, masks, rewards and decisions of four Gymnasium runs."""
    batch = [cpnopt.generate("regional", seed=s, **SMALL) for s in range(4)]
    k = batch[0].n_regions + 1
    actions = np.random.default_rng(5).integers(-1, k + 1, size=(SMALL["n_tasks"], 4))  # masked-out, out of range too
    assert_batched_equals_single(BatchedRegionalEnv(), lambda: RegionalEnv(**SMALL), batch, actions)


@pytest.mark.parametrize("seed", range(3))
def test_mask_is_where_stage_2_serves_and_the_reward_is_the_evaluators_profit(seed):
    """Random allowed regions: each allowed region is one where two-stage's balancing places the task."""
    inst = cpnopt.generate("regional", seed=seed, **SMALL)
    env = RegionalEnv(**SMALL)
    obs, _ = env.reset(options={"instance": inst})
    rng = np.random.default_rng(seed)
    done = False
    while not done:
        batched = env.batched
        plan, n = batched.plans[0], batched.orders[0][int(batched.t[0])]
        served = [balance_within_region(plan, n, r) is not None for r in range(inst.n_regions)]
        np.testing.assert_array_equal(obs["action_mask"][:-1].astype(bool), served)
        assert obs["action_mask"][-1] == 1  # reject is always allowed
        obs, reward, done, _, info = env.step(int(rng.choice(np.flatnonzero(obs["action_mask"]))))
    truth = cpnopt.evaluate(inst, env.batched.decision(0))
    assert truth.feasible, truth.violations
    assert info["objective"] == pytest.approx(truth.objective)
    assert reward == pytest.approx(truth.objective / inst.price.mean(), rel=1e-5)


def test_always_the_first_allowed_region_replays_the_two_stage_mechanism():
    """The environment's stage 2 is ``balancing.schedule``'s: the same allocator gives the same schedule."""
    from cpnopt.problems.regional.balancing import schedule

    inst = cpnopt.generate("regional", seed=7, **SMALL)

    def first_allowed(plan: Plan, n: int):
        return next((r for r in range(inst.n_regions) if balance_within_region(plan, n, r) is not None), None)

    env = RegionalEnv(**SMALL)
    obs, _ = env.reset(options={"instance": inst})
    done = False
    while not done:
        obs, _, done, _, _ = env.step(int(np.flatnonzero(obs["action_mask"])[0]))
    assert env.batched.decision(0) == schedule(inst, first_allowed)


def test_bundled_checkpoint_and_its_record_ship():
    spec = get_agent("regional", "regional-drl")
    assert spec.bundled_checkpoint().is_file()
    record = json.loads(spec.bundled_checkpoint().with_suffix(".json").read_text())
    assert {"commands", "seed", "steps", "wall_time_s", "device", "torch"} <= set(record)
    assert record["commands"][0].startswith("cpnopt train regional --method regional-drl")


@pytest.mark.parametrize("seed, params", [(0, {}), (4, {}), (1, {"n_east": 3, "n_west": 3, "n_tasks": 24})])
def test_bundled_policy_gives_feasible_solutions_the_evaluator_agrees_with(seed, params):
    inst = cpnopt.generate("regional", seed=seed, **params)  # held-out seeds (training uses ≥ 10⁶); another size
    sol = cpnopt.solve(inst, "regional-drl")
    assert sol.feasible, sol.evaluation.violations
    assert sol.report.objective == pytest.approx(cpnopt.evaluate(inst, sol.decision).objective)


def test_short_training_beats_the_untrained_policy(tmp_path):
    """On one fixed instance, 640 steps of PPO raise the greedy policy's profit."""
    fixed = cpnopt.generate("regional", seed=11, **SMALL)
    spec = replace(
        get_agent("regional", "regional-drl"),
        sample=lambda rng: fixed,
        config={"n_envs": 8, "n_steps": 8, "learning_rate": 3e-3},
    )

    def profit(policy):
        return cpnopt.evaluate(fixed, act_greedily(BatchedRegionalEnv(), policy, [fixed])[0]).objective

    torch.manual_seed(0)
    untrained = profit(spec.make_policy(**spec.policy_kwargs).eval())
    path = train_agent(spec, steps=640, seed=0, output=str(tmp_path / "r.pt"), progress=False)
    assert profit(load_policy(spec, path)) > untrained


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_tasks=st.integers(1, 8), servers=st.integers(1, 2))
def test_exact_optimum_bounds_regional_drl(seed, n_tasks, servers):
    inst = cpnopt.generate("regional", seed=seed, n_tasks=n_tasks, servers_per_region=servers)
    optimum = cpnopt.solve(inst, "milp").report
    assert optimum.status is cpnopt.Status.OPTIMAL
    sol = cpnopt.solve(inst, "regional-drl")
    assert sol.feasible, sol.evaluation.violations
    assert sol.report.objective <= optimum.objective + 1e-6
