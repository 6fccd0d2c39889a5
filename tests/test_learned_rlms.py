"""``rlms`` / ``rlms-mlp`` and ``cpnopt/Offloading-v0``: environment, joint action head, bundled policies, bounds."""

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
import cpnopt.envs  # registers the environments
from cpnopt.problems.offloading.env import BatchedOffloadingEnv, OffloadingEnv, sparsemax
from cpnopt.solvers.offloading.agents import RLMSActorCritic
from cpnopt.solvers.rl.serving import act_greedily, get_agent
from cpnopt.solvers.rl.train import train_agent

PARAMS = {"n_tasks": 6}
METHODS = ("rlms", "rlms-mlp")


def instances(seeds, **params):
    return [cpnopt.generate("offloading", seed=s, **{**PARAMS, **params}) for s in seeds]


def random_actions(rng, n_steps, batch, k_paths=3):
    """Joint actions [node, z_1..z_k], node indices outside 0..K−1 and huge logits included."""
    nodes = rng.integers(-1, 7, size=(n_steps, batch, 1))
    logits = rng.normal(0, 3, size=(n_steps, batch, k_paths)) * rng.choice([1, 1e6], size=(n_steps, batch, 1))
    return np.concatenate([nodes, logits], axis=-1)


def test_check_env_passes():
    env = gymnasium.make(cpnopt.envs.ENV_IDS["offloading"], **PARAMS)
    check_env(env.unwrapped, skip_render_check=True)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=5))
def test_sparsemax_is_the_projection_onto_the_simplex(z):
    """KKT of min ‖p − z‖² on the simplex: p = max(z − τ, 0) for one τ, Σ p = 1."""
    p = sparsemax(np.array(z))
    assert p.min() >= 0 and p.sum() == pytest.approx(1.0)
    support = p > 0
    tau = (np.array(z)[support] - p[support]).mean()
    np.testing.assert_allclose(p[support], np.array(z)[support] - tau, atol=1e-6)
    assert (np.array(z)[~support] <= tau + 1e-6).all()


def test_batched_steps_equal_single_instance_steps():
    """Three instances stepped together, in lockstep with three Gymnasium runs: same observations, rewards, decisions."""
    batch = instances(range(3))
    env, singles = BatchedOffloadingEnv(), [OffloadingEnv(split="continuous", **PARAMS) for _ in batch]
    obs = env.reset(batch)
    gym_obs = [single.reset(options={"instance": inst})[0] for single, inst in zip(singles, batch)]
    for row in random_actions(np.random.default_rng(3), PARAMS["n_tasks"], len(batch)):
        for slot, one in enumerate(gym_obs):
            np.testing.assert_allclose(
                obs.features[slot].numpy(), one["features"].reshape(obs.features[slot].shape), rtol=1e-6, atol=1e-6
            )
            np.testing.assert_array_equal(obs.mask[slot].numpy(), one["action_mask"].astype(bool))
        step = env.step(torch.as_tensor(row))
        gym_steps = [single.step({"node": int(a[0]), "split_logits": a[1:]}) for single, a in zip(singles, row)]
        np.testing.assert_allclose(step.reward.numpy(), [r for _, r, *_ in gym_steps], rtol=1e-6)
        assert step.done.tolist() == [d for _, _, d, *_ in gym_steps]
        obs, gym_obs = step.observation, [o for o, *_ in gym_steps]
    assert [single.batched.decision(0) for single in singles] == [env.decision(slot) for slot in range(len(batch))]


@pytest.mark.parametrize("seed", range(3))
def test_any_action_gives_a_feasible_decision_and_the_rewards_are_the_evaluators_latencies(seed):
    inst = instances([seed], n_tasks=10)[0]
    env = BatchedOffloadingEnv()
    env.reset([inst])
    total, objective = 0.0, None
    for row in random_actions(np.random.default_rng(seed), inst.n_tasks, 1):
        step = env.step(torch.as_tensor(row))
        total += float(step.reward[0])
        objective = float(step.objective[0])
    truth = cpnopt.evaluate(inst, env.decision(0))
    assert truth.feasible, truth.violations
    assert objective == pytest.approx(truth.objective, rel=1e-6)
    assert -total * env.scales[0] / inst.n_tasks == pytest.approx(truth.objective, rel=1e-5)


def test_joint_distribution_ignores_missing_paths_and_its_mode_is_the_greedy_action():
    policy = RLMSActorCritic()
    obs = BatchedOffloadingEnv().reset(instances([0]))
    dist, _ = policy(obs)
    action = dist.sample()
    node = int(action[0, 0])
    missing = obs.features[0, node, 3:].unflatten(-1, (3, 3))[:, -1] < 0.5
    changed = action.clone()
    changed[0, 1:][missing] += 5.0
    assert torch.allclose(dist.log_prob(changed), dist.log_prob(action))
    assert int(dist.mode[0, 0]) == int(dist.nodes.probs[0].argmax())


@pytest.mark.parametrize("method", METHODS)
def test_bundled_checkpoint_and_its_record_ship(method):
    spec = get_agent("offloading", method)
    assert spec.bundled_checkpoint().is_file()
    record = json.loads(spec.bundled_checkpoint().with_suffix(".json").read_text())
    assert record["commands"][0].startswith(f"cpnopt train offloading --method {method}")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed, params", [(0, {}), (1, {"topology": "gabriel", "gabriel_nodes": 15, "n_tasks": 8})])
def test_bundled_policy_gives_feasible_solutions_the_evaluator_agrees_with(method, seed, params):
    inst = cpnopt.generate("offloading", seed=seed, **params)
    sol = cpnopt.solve(inst, method)
    assert sol.feasible, sol.evaluation.violations
    assert sol.report.objective == pytest.approx(cpnopt.evaluate(inst, sol.decision).objective)


def test_short_training_improves_on_the_untrained_policy(tmp_path):
    """A2C for a few thousand steps lowers the greedy policy's mean latency on fixed held-out instances."""
    bundled = get_agent("offloading", "rlms")
    pool = [cpnopt.generate("offloading", seed=10**6 + s) for s in range(8)]  # training seeds, disjoint from held_out
    spec = replace(
        bundled,
        sample=lambda rng: pool[int(rng.integers(len(pool)))],
        config={**bundled.config, "n_envs": 8, "n_steps": 10},
    )
    held_out = instances(range(6), n_tasks=20)

    def mean_latency(policy):
        decisions = act_greedily(BatchedOffloadingEnv(), policy, held_out)
        return np.mean([cpnopt.evaluate(i, d).objective for i, d in zip(held_out, decisions)])

    torch.manual_seed(0)
    untrained = mean_latency(spec.make_policy(**spec.policy_kwargs).eval())
    path = train_agent(spec, 3000, seed=0, output=str(tmp_path / "short.pt"), progress=False)
    state = torch.load(path, weights_only=True)
    trained = spec.make_policy(**state["policy_kwargs"])
    trained.load_state_dict(state["policy"])
    assert mean_latency(trained.eval()) < untrained


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_tasks=st.integers(2, 8))
def test_sequence_bound_bounds_the_agents(seed, n_tasks):
    inst = cpnopt.generate("offloading", seed=seed, n_tasks=n_tasks, arrival_rate_per_s=20.0)
    bound = cpnopt.solve(inst, "milp").report.bound
    for method in METHODS:
        sol = cpnopt.solve(inst, method)
        assert sol.feasible, sol.evaluation.violations
        assert bound <= sol.report.objective + 1e-9
