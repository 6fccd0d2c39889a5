"""The Gymnasium environments: check_env, batched == single-instance steps, reward = the evaluator's."""

import gymnasium
import numpy as np
import pytest
import torch
from env_checks import assert_batched_equals_single
from gymnasium.utils.env_checker import check_env

import cpnopt
import cpnopt.envs  # registers the environments
from cpnopt.problems.clustering.env import BatchedClusteringEnv, ClusteringEnv
from cpnopt.problems.clustering.evaluate import cluster_violations

PARAMS = {"n_servers": 6, "n_slots": 2, "arrivals_per_slot": 4}


def instances(seeds, **params):
    return [cpnopt.generate("clustering", seed=s, **{**PARAMS, **params}) for s in seeds]


def test_check_env_passes():
    env = gymnasium.make(cpnopt.envs.ENV_IDS["clustering"], **PARAMS)
    check_env(env.unwrapped, skip_render_check=True)


def test_batched_steps_equal_single_instance_steps():
    """Four instances stepped together give the observations, rewards and decisions of four Gymnasium runs."""
    batch = instances(range(4))
    rng = np.random.default_rng(7)
    actions = rng.integers(0, PARAMS["n_servers"], size=(PARAMS["n_servers"], len(batch)))  # masked-out ones too
    assert_batched_equals_single(BatchedClusteringEnv(), lambda: ClusteringEnv(**PARAMS), batch, actions)


@pytest.mark.parametrize("seed", range(3))
def test_any_action_sequence_builds_a_feasible_clustering_and_the_evaluator_gives_the_reward(seed):
    """R_max and the size limit hold by construction, also for actions outside the mask."""
    inst = instances([seed], n_servers=10, r_max_km=80.0)[0]
    env = BatchedClusteringEnv()
    env.reset([inst])
    rng = np.random.default_rng(seed)
    for _ in range(inst.n_servers):
        step = env.step(torch.as_tensor([int(rng.integers(-1, inst.n_servers + 1))]))
    assert bool(step.done[0])
    decision = env.decision(0)
    assert cluster_violations(inst, decision.clusters) == []
    truth = cpnopt.evaluate(inst, decision)
    assert truth.feasible
    assert float(step.objective[0]) == pytest.approx(truth.objective, rel=1e-5)
    assert float(step.reward[0]) == pytest.approx(truth.objective / inst.price.mean(), rel=1e-5)


def test_cost_feature_is_eq8_of_the_instance():
    """The candidates' cost-per-Gcycle feature reads the instance's own Eq. (8) cost."""
    inst = instances([3])[0]
    env = BatchedClusteringEnv()
    env.reset([inst])
    env.step(torch.tensor([0]))  # server 0 opens cluster 0
    obs = env.observe()
    for k in np.flatnonzero(obs.mask[0].numpy()):
        members = [0, 1] if k == 0 else [1]
        expected = inst.cluster_terms(members).cost / inst.workload_gcycles / inst.economics.base_price
        assert float(obs.features[0, k, 3]) == pytest.approx(expected[0], rel=1e-5)


def test_refilled_slot_equals_a_fresh_episode():
    first, second, third = instances(range(3))
    env = BatchedClusteringEnv()
    env.reset([first, second])
    env.step(torch.tensor([0, 0]))
    refilled = env.reset_slots([1], [third])
    fresh = BatchedClusteringEnv().reset([third])
    torch.testing.assert_close(refilled.features[1], fresh.features[0])
    assert int(env.ptr[0]) == 1 and int(env.ptr[1]) == 0


def test_a_batch_of_different_sizes_is_refused():
    with pytest.raises(cpnopt.InputError, match="instances"):
        BatchedClusteringEnv().reset(instances([0]) + instances([1], n_servers=7))
