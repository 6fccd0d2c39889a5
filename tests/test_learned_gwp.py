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


def test_a_padded_batch_of_mixed_device_counts_steps_as_each_instance_alone():
    """pad_to: 3- and 5-device instances in one batch get the rewards and decisions of unpadded runs."""
    batch = [small(1, n_devices=3), small(2, n_devices=5)]
    levels = np.array([[1, 3, 0, 2, 2], [2, 0, 1, 3, 1]])  # the 3-device row's last two levels are padding
    padded = BatchedPlacementEnv(pad_to=5)
    obs = padded.reset(batch)
    assert obs.mask.tolist() == [[True] * 3 + [False] * 2, [True] * 5]
    for _ in range(SMALL["n_iterations"]):
        step = padded.step(torch.as_tensor(levels))
    for slot, inst in enumerate(batch):
        alone = BatchedPlacementEnv()
        alone.reset([inst])
        for _ in range(SMALL["n_iterations"]):
            single = alone.step(torch.as_tensor(levels[slot : slot + 1, : inst.n_devices]))
        assert float(step.reward[slot]) == pytest.approx(float(single.reward[0]))
        assert padded.decision(slot) == alone.decision(0)


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


@pytest.mark.parametrize("n_devices", [2, 7, 12])
def test_bundled_policy_is_feasible_at_device_counts_never_seen_in_training(n_devices):
    """Trained on 4 devices, one set of weights serves any count; the evaluator accepts every decision."""
    inst = small(n_devices, n_devices=n_devices)
    sol = cpnopt.solve(inst, "gwp")
    assert sol.feasible, sol.evaluation.violations
    assert len(sol.decision.neurons[0][0]) == n_devices
    sampled = cpnopt.solve(inst, "gwp", samples=4, seed=1)
    assert sampled.feasible and sampled.report.objective <= sol.report.objective


def test_the_policy_ignores_the_order_of_the_devices_in_its_value_and_first_choice():
    """The context pools over devices: permuting them permutes nothing the critic sees."""
    policy = load_policy(get_agent("placement", "gwp"))
    obs = BatchedPlacementEnv().reset([small(3, n_devices=6)])
    flipped = type(obs)(obs.features.flip(1), obs.mask.flip(1))
    with torch.no_grad():
        torch.testing.assert_close(policy(obs)[1], policy(flipped)[1])


def test_checkpoint_round_trip_gives_the_same_decisions(tmp_path):
    """A trained policy written by `cpnopt train` and read back acts exactly as before, at 4 and at 9 devices."""
    spec = replace(get_agent("placement", "gwp"), config={"n_envs": 4, "n_steps": 2, "gamma": 0.0})
    path = train_agent(spec, steps=8, seed=0, output=str(tmp_path / "g.pt"), progress=False)
    state = torch.load(path, weights_only=True)
    policy = spec.make_policy(**state["policy_kwargs"])
    policy.load_state_dict(state["policy"])
    again = load_policy(spec, path)
    for inst in (small(1), small(2, n_devices=9)):
        first, second = (act_greedily(BatchedPlacementEnv(), p.eval(), [inst])[0] for p in (policy, again))
        assert first == second


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
