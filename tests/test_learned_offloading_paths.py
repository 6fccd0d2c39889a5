"""The offloading agents (``rlms``, ``rlms-mlp``, ``gnn-dqn``, ``gnn-dqn-latency``) at any number of paths and nodes.

The bundled networks are trained at k = 3 candidate paths; every weight acts on one node,
path or (node, path) pair, so they serve instances generated with other ``k_paths`` and
``n_candidates``: feasible decisions the evaluator agrees with, padding-invariant in a batch,
test-time search never worse than greedy, checkpoints that round-trip.
"""

from dataclasses import replace

import numpy as np
import pytest
import torch

import cpnopt
from cpnopt.problems.offloading.env import BatchedOffloadingEnv
from cpnopt.solvers.rl.serving import act_greedily, get_agent, load_policy
from cpnopt.solvers.rl.train import train_agent

AGENTS = ("rlms", "rlms-mlp", "gnn-dqn", "gnn-dqn-latency")


def instance(seed: int, **params):
    return cpnopt.generate("offloading", seed=seed, **{"n_tasks": 8, **params})


@pytest.mark.parametrize("method", AGENTS)
@pytest.mark.parametrize(("k_paths", "n_candidates"), [(1, 5), (2, 3), (5, 5), (4, 8)])
def test_bundled_agent_is_feasible_at_unseen_path_and_node_counts(method, k_paths, n_candidates):
    topology = "sndlib/germany50" if k_paths > 3 else "sndlib/abilene"  # abilene has ≤ 3 link-disjoint paths
    inst = instance(k_paths, k_paths=k_paths, n_candidates=n_candidates, topology=topology)
    sol = cpnopt.solve(inst, method)
    assert sol.feasible, sol.evaluation.violations
    assert sol.report.objective == pytest.approx(cpnopt.evaluate(inst, sol.decision).objective)
    assert max(len(split) for split in sol.decision.splits) <= k_paths


@pytest.mark.parametrize("method", AGENTS)
def test_decisions_do_not_depend_on_the_batchs_padding(method):
    """An instance with 2 paths decides the same alone (2 path slots) and batched with a 5-path one (5 slots)."""
    spec = get_agent("offloading", method)
    policy = load_policy(spec)
    two, five = instance(3, k_paths=2), instance(4, k_paths=5, topology="sndlib/germany50")
    env = spec.make_env(torch.device("cpu"))
    alone = act_greedily(env, policy, [two])[0]
    batched = act_greedily(env, policy, [two, five])
    assert env.k_paths == 5
    assert batched[0].nodes == alone.nodes
    np.testing.assert_allclose(np.concatenate(batched[0].splits), np.concatenate(alone.splits), atol=1e-6)
    assert cpnopt.evaluate(five, batched[1]).feasible


def test_environment_with_fixed_path_slots_pads_fewer_and_refuses_more():
    env = BatchedOffloadingEnv("cpu", 4)
    obs = env.reset([instance(0, k_paths=2)])
    assert obs.features.shape[-1] == env.n_features == 3 + 4 * 3
    assert (obs.features[..., 3 + 2 * 3 :] == 0).all()  # path slots 3 and 4: missing paths
    with pytest.raises(cpnopt.InputError, match="k_paths"):
        env.reset([instance(0, k_paths=5)])
    grown = BatchedOffloadingEnv("cpu")
    grown.reset([instance(0, k_paths=2)])
    with pytest.raises(cpnopt.InputError, match="k_paths"):  # a refilled slot must fit the batch's slots
        grown.reset_slots([0], [instance(1, k_paths=3)])


@pytest.mark.parametrize("method", ["rlms", "gnn-dqn"])
@pytest.mark.parametrize("k_paths", [2, 5])
def test_samples_never_worse_than_greedy_at_unseen_path_counts(method, k_paths):
    inst = instance(11, k_paths=k_paths)
    greedy = cpnopt.solve(inst, method)
    sampled = cpnopt.solve(inst, method, samples=8, seed=1)
    assert sampled.feasible, sampled.evaluation.violations
    assert sampled.report.info["samples"] == 8
    assert sampled.report.objective <= greedy.report.objective


@pytest.mark.parametrize("method", ["rlms-mlp", "gnn-dqn-latency"])
def test_checkpoint_round_trip_serves_other_path_counts(method, tmp_path):
    """A short `cpnopt train` run at k = 3, saved and loaded: the same network, the same decisions at k = 5."""
    bundled = get_agent("offloading", method)
    pool = [cpnopt.generate("offloading", seed=10**6 + s, n_tasks=6) for s in range(2)]
    spec = replace(
        bundled,
        sample=lambda rng: pool[int(rng.integers(len(pool)))],
        config={**bundled.config, "n_envs": 2, "n_steps": 4, **({"learning_starts": 8} if "dqn" in method else {})},
    )
    path = train_agent(spec, 64, seed=0, output=str(tmp_path / "run.pt"), progress=False)
    state = torch.load(path, weights_only=True)
    loaded = load_policy(spec, path)
    assert all(torch.equal(v, state["policy"][k]) for k, v in loaded.state_dict().items())
    inst = instance(5, k_paths=5)
    via_solve = cpnopt.solve(inst, method, checkpoint=str(path))
    assert via_solve.feasible, via_solve.evaluation.violations
    assert via_solve.decision == act_greedily(spec.make_env(torch.device("cpu")), loaded, [inst])[0]


def test_checkpoint_of_the_fixed_path_networks_is_refused_in_one_line(tmp_path):
    spec = get_agent("offloading", "rlms")
    old = spec.make_policy(**spec.policy_kwargs)
    path = tmp_path / "old.pt"
    torch.save({"policy_kwargs": {**spec.policy_kwargs, "k_paths": 3}, "policy": old.state_dict()}, path)
    with pytest.raises(cpnopt.InputError, match="not a checkpoint of offloading/rlms"):
        load_policy(spec, path)
