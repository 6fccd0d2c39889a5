"""``gwp`` and ``cpnopt/Placement-v0``: Gymnasium's checks, batched = single steps, Eq. (17) rewards from the
evaluator, feasibility by construction, the bundled policy, short training, and the optimum bounding the agent."""

import json
from dataclasses import replace

import gymnasium
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpnopt
import cpnopt.envs
from cpnopt.problems.placement.env import WEIGHT_LEVELS, BatchedPlacementEnv, PlacementEnv
from cpnopt.solvers.rl.serving import act_greedily, get_agent, load_policy
from cpnopt.solvers.rl.train import train_agent

SMALL = {"n_layers": 4, "width_multiplier": 0.25, "n_iterations": 3}  # 4 devices (the policy's size)


def small(seed, **params):
    return cpnopt.generate("placement", seed=seed, **{**SMALL, **params})


def test_check_env_passes():
    env = gymnasium.make("cpnopt/Placement-v0", **SMALL)
    check_env(env.unwrapped, skip_render_check=True)
    assert isinstance(env.action_space, gymnasium.spaces.MultiDiscrete)


def test_batched_steps_equal_single_instance_steps():
    """Four instances stepped together give the observations, rewards and decisions of four Gymnasium runs."""
    batch = [small(s) for s in range(4)]
    rng = np.random.default_rng(3)
    actions = rng.integers(-1, len(WEIGHT_LEVELS) + 1, size=(SMALL["n_iterations"], 4, 4))  # out of range too
    env = BatchedPlacementEnv()
    obs = env.reset(batch)
    batched = [(obs.features.numpy(), np.zeros(4), np.zeros(4, dtype=bool))]
    for row in actions:
        step = env.step(torch.as_tensor(row))
        batched.append((step.observation.features.numpy(), step.reward.numpy(), step.done.numpy()))
    for slot, inst in enumerate(batch):
        single = PlacementEnv(**SMALL)
        obs, _ = single.reset(options={"instance": inst})
        trace = [(obs, 0.0, False)]
        for row in actions:
            obs, reward, done, truncated, _ = single.step(row[slot])
            trace.append((obs, reward, done))
            assert not truncated
        for (features, rewards, dones), (obs, reward, done) in zip(batched, trace):
            np.testing.assert_allclose(
                features[slot], obs["features"].reshape(features[slot].shape), rtol=1e-6, atol=1e-6
            )
            assert rewards[slot] == pytest.approx(reward, rel=1e-6) and dones[slot] == done
        assert single.batched.decision(0) == env.decision(slot)


@pytest.mark.parametrize("levels", [[0, 0, 0, 0], [3, 0, 0, 0], [1, 2, 3, 2], [2, 2, 2, 2]])
def test_any_action_is_feasible_and_the_rewards_sum_to_the_evaluators_objective(levels):
    """Eq. (17): each step pays −K × the iteration's Eq. (10) contribution; they add up to the evaluator's objective."""
    inst = small(5, memory_slack=1.2)  # tight memory: fit_memory has to move neurons
    env = PlacementEnv(**SMALL)
    env.reset(options={"instance": inst})
    total, done = 0.0, False
    while not done:
        _, reward, done, _, info = env.step(np.array(levels))
        total += reward
    truth = cpnopt.evaluate(inst, env.batched.decision(0))
    assert truth.feasible, truth.violations
    assert info["objective"] == pytest.approx(truth.objective)
    assert -total / inst.n_iterations == pytest.approx(truth.objective, rel=1e-5)


def test_a_zero_weight_leaves_a_device_out():
    inst = small(2, memory_slack=8.0)  # memory never forces neurons onto the left-out device
    env = PlacementEnv(**SMALL)
    env.reset(options={"instance": inst})
    env.step(np.array([2, 2, 0, 2]))
    counts = env.batched.counts[0][0]
    assert counts[:, 2].sum() == 0 and (counts.sum(axis=1) == inst.neurons).all()


def test_bundled_checkpoint_and_its_record_ship():
    spec = get_agent("placement", "gwp")
    assert spec.bundled_checkpoint().is_file()
    record = json.loads(spec.bundled_checkpoint().with_suffix(".json").read_text())
    assert {"commands", "seed", "steps", "wall_time_s", "device", "torch"} <= set(record)
    assert record["commands"][0].startswith("cpnopt train placement --method gwp")


@pytest.mark.parametrize("seed, params", [(0, {}), (3, {"alpha": 0.9, "n_iterations": 4})])
def test_bundled_policy_gives_feasible_solutions_the_evaluator_agrees_with(seed, params):
    inst = cpnopt.generate("placement", seed=seed, **params)  # held-out seeds (training uses ≥ 10⁶)
    sol = cpnopt.solve(inst, "gwp")
    assert sol.feasible, sol.evaluation.violations
    assert sol.report.objective == pytest.approx(cpnopt.evaluate(inst, sol.decision).objective)


def test_a_policy_for_four_devices_refuses_six():
    with pytest.raises(cpnopt.InputError, match="devices"):
        cpnopt.solve(small(0, n_devices=6), "gwp")


def test_short_training_beats_the_untrained_policy(tmp_path):
    """On one fixed instance, 320 steps of PPO lower the greedy policy's Eq. (10) objective."""
    fixed = small(11, n_iterations=4)
    spec = replace(
        get_agent("placement", "gwp"),
        sample=lambda rng: fixed,
        config={"n_envs": 8, "n_steps": 4, "gamma": 0.0, "learning_rate": 3e-3},
    )

    def objective(policy):
        return cpnopt.evaluate(fixed, act_greedily(BatchedPlacementEnv(), policy, [fixed])[0]).objective

    torch.manual_seed(0)
    untrained = objective(spec.make_policy(**spec.policy_kwargs).eval())
    path = train_agent(spec, steps=320, seed=0, output=str(tmp_path / "g.pt"), progress=False)
    assert objective(load_policy(spec, path)) < untrained


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), alpha=st.sampled_from([0.2, 0.5, 0.8]))
def test_exact_optimum_bounds_gwp(seed, alpha):
    inst = small(seed, alpha=alpha, n_iterations=2)
    optimum = cpnopt.solve(inst, "milp").report
    assert optimum.status is cpnopt.Status.OPTIMAL
    sol = cpnopt.solve(inst, "gwp")
    assert sol.feasible, sol.evaluation.violations
    assert sol.report.objective >= optimum.objective - 1e-6
