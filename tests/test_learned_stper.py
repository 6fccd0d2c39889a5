"""STPer agents: the environment (check_env, batched == single, evaluator's reward, padding), the bundled
policies (feasible at any node count, evaluator agrees, fp-qt refinement and samples never worse), checkpoints
round-trip, training improves, the optimum bounds them."""

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
import cpnopt.envs  # registers the environments
from cpnopt.problems.routing.env import N_NODE_FEATURES, BatchedRoutingEnv, RoutingEnv, normalized_adjacency
from cpnopt.problems.routing.firstfit import fastest_path, first_fit
from cpnopt.solvers.rl.serving import act_greedily, get_agent, load_policy
from cpnopt.solvers.rl.train import train_agent

AGENTS = ("stper", "stper-l", "stper-m")
N_NODES = 14  # the generator's default: 10 compute nodes + 4 routers


def instances(seeds, **params):
    return [cpnopt.generate("routing", seed=s, **params) for s in seeds]


def test_check_env_passes():
    env = gymnasium.make("cpnopt.envs:cpnopt/Routing-v0", n_users=3)
    check_env(env.unwrapped, skip_render_check=True)


def test_batched_steps_equal_single_instance_steps():
    """Four instances stepped together give the observations, rewards and decisions of four Gymnasium runs."""
    batch = instances(range(4))
    steps = batch[0].n_tasks
    actions = np.random.default_rng(7).integers(-1, N_NODES + 1, size=(steps, len(batch)))  # masked-out ones too
    assert_batched_equals_single(BatchedRoutingEnv(N_NODES), lambda: RoutingEnv(), batch, actions)


@pytest.mark.parametrize("seed", range(3))
def test_any_action_sequence_is_routed_first_fit_and_the_evaluator_gives_the_reward(seed):
    """Destinations (also masked-out or out-of-range ones) go on their fastest paths, first fit; reward = profit / (p Σ m)."""
    inst = instances([seed], n_users=8, size_mb=25.0)[0]  # big packets: links contend, some tasks miss l_u
    env = BatchedRoutingEnv(N_NODES)
    obs = env.reset([inst])
    rng = np.random.default_rng(seed)
    chosen = []
    for _ in range(inst.n_tasks):
        mask = obs.mask[0].numpy()
        action = int(rng.integers(-1, N_NODES + 1))
        chosen.append(action if 0 <= action < N_NODES and mask[action] else int(np.flatnonzero(mask)[0]))
        assert not (mask & (inst.power_tflops == 0)).any()  # a router is never a destination
        step = env.step(torch.as_tensor([action]))
        obs = step.observation
    assert bool(step.done[0])
    paths = [fastest_path(inst, u, n) for u, n in enumerate(chosen)]
    assert env.decision(0) == first_fit(inst, paths)
    truth = cpnopt.evaluate(inst, env.decision(0))
    assert truth.feasible
    assert float(step.objective[0]) == pytest.approx(truth.objective, rel=1e-5)
    revenue_at_base_price = inst.economics.base_price * sum(t.workload_tflop for t in inst.tasks)
    assert float(step.reward[0]) == pytest.approx(truth.objective / revenue_at_base_price, rel=1e-5)


def test_node_features_read_the_instance():
    """Profit-if-served-now is Eq. (15)'s summand at the first-fit arrival; the adjacency rows are Â."""
    inst = instances([5])[0]
    env = BatchedRoutingEnv(N_NODES)
    features = env.reset([inst]).features[0].numpy()
    scale = inst.economics.base_price * inst.tasks[0].workload_tflop
    for n in np.flatnonzero(features[:, 5]):
        arrival = inst.no_wait_arrival(0, fastest_path(inst, 0, int(n)))  # nothing booked yet: no waiting
        assert features[n, 4] == pytest.approx(inst.profit(0, int(n), arrival) / scale, rel=1e-5)
    np.testing.assert_allclose(
        features[:, N_NODE_FEATURES : N_NODE_FEATURES + N_NODES], normalized_adjacency(inst), rtol=1e-6
    )


@pytest.mark.parametrize("method", AGENTS)
def test_bundled_checkpoint_and_its_record_ship(method):
    spec = get_agent("routing", method)
    assert spec.bundled_checkpoint().is_file()
    record = json.loads(spec.bundled_checkpoint().with_suffix(".json").read_text())
    assert record["commands"][0].startswith(f"cpnopt train routing --method {method} ")
    assert {"seed", "steps", "wall_time_s", "device", "torch", "curve"} <= set(record)


@pytest.mark.parametrize("method", AGENTS)
def test_bundled_policy_gives_feasible_solutions_the_evaluator_agrees_with(method):
    inst = instances([3])[0]  # held out: training seeds are ≥ 10⁶
    sol = cpnopt.solve(inst, method)
    assert sol.feasible, sol.evaluation.violations
    assert sol.report.objective == pytest.approx(cpnopt.evaluate(inst, sol.decision).objective)


def test_fpqt_refinement_never_lowers_the_profit():
    inst = instances([1])[0]
    plain = cpnopt.solve(inst, "stper")
    refined = cpnopt.solve(inst, "stper", refine=True)
    assert refined.feasible, refined.evaluation.violations
    assert refined.report.objective >= plain.report.objective - 1e-6


# node counts the bundled policies were not trained on (10–30 nodes): 50 and 80 Gabriel nodes, a real backbone
UNSEEN = [{"n_nodes": 46}, {"n_nodes": 76, "n_users": 3}, {"topology": "sndlib/geant"}]


@pytest.mark.parametrize("method", AGENTS)
@pytest.mark.parametrize("params", UNSEEN, ids=["50-nodes", "80-nodes", "geant"])
def test_bundled_policies_serve_node_counts_never_seen(method, params):
    inst = cpnopt.generate("routing", seed=4, **params)
    sol = cpnopt.solve(inst, method)
    assert sol.feasible, sol.evaluation.violations
    assert sol.report.objective == pytest.approx(cpnopt.evaluate(inst, sol.decision).objective)
    assert sol.report.objective > 0  # it serves tasks, not only rejects them


@pytest.mark.parametrize("n_compute", [6, 26])
def test_padding_changes_no_decision(n_compute):
    """An instance padded to a wider batch (masked nodes, zero adjacency) gets the decision it gets alone."""
    inst = instances([8], n_nodes=n_compute)[0]
    policy = load_policy(get_agent("routing", "stper"))
    alone = act_greedily(BatchedRoutingEnv(), policy, [inst])[0]
    padded_env = BatchedRoutingEnv(40)
    other = instances([9], n_nodes=20)[0]
    assert padded_env.reset([inst, other]).features.shape[1] == 40
    assert act_greedily(padded_env, policy, [inst, other])[0] == alone


def test_a_batch_refuses_instances_above_its_width():
    with pytest.raises(cpnopt.InputError, match="at most 14 nodes"):
        BatchedRoutingEnv(N_NODES).reset(instances([0], n_nodes=16))


@pytest.mark.parametrize("method", AGENTS)
def test_samples_never_worse_than_greedy_at_an_unseen_size(method):
    inst = cpnopt.generate("routing", seed=11, n_nodes=46, size_mb=25.0)
    greedy = cpnopt.solve(inst, method)
    sampled = cpnopt.solve(inst, method, samples=8, seed=3)
    assert sampled.feasible, sampled.evaluation.violations
    assert sampled.report.objective >= greedy.report.objective


def test_checkpoint_round_trip(tmp_path):
    """A trained checkpoint reloads into a policy with the same weights, serving the same decisions at any size."""
    spec = replace(get_agent("routing", "stper"), config={"n_envs": 4, "n_steps": 4, "minibatches": 2})
    path = train_agent(spec, steps=32, seed=1, output=str(tmp_path / "s.pt"), progress=False)
    saved = torch.load(path, weights_only=True)
    loaded = load_policy(spec, path)
    for name, tensor in loaded.state_dict().items():
        assert torch.equal(tensor, saved["policy"][name])
    inst = instances([2], n_nodes=16)[0]
    direct = cpnopt.solve(inst, "stper", checkpoint=str(path))
    assert direct.feasible
    assert direct.decision == act_greedily(BatchedRoutingEnv(), loaded, [inst])[0]


def test_short_training_beats_the_untrained_policy(tmp_path):
    """On one fixed instance, a short PPO run raises the greedy policy's profit."""
    fixed = instances([2])[0]  # 10 tasks: one episode per slot and rollout
    spec = replace(
        get_agent("routing", "stper-m"),
        sample=lambda rng: fixed,
        config={"n_envs": 8, "n_steps": fixed.n_tasks, "learning_rate": 3e-3},
    )
    profit = lambda policy: cpnopt.evaluate(fixed, act_greedily(BatchedRoutingEnv(), policy, [fixed])[0]).objective  # noqa: E731
    torch.manual_seed(0)  # the initialisation the training run starts from
    untrained = profit(spec.make_policy(**spec.policy_kwargs).eval())
    path = train_agent(spec, steps=640, seed=0, output=str(tmp_path / "s.pt"), progress=False)
    assert profit(load_policy(spec, path)) > untrained
    log = torch.load(path, weights_only=True)["log"]
    assert {"episode_reward", "objective", "explained_variance"} <= set(log[-1])


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    users=st.integers(1, 3),
    size=st.sampled_from([5.0, 25.0]),
    method=st.sampled_from(AGENTS),
)
def test_exact_optimum_bounds_the_agents(seed, users, size, method):
    inst = cpnopt.generate("routing", seed=seed, n_users=users, n_frames=1, size_mb=size)
    optimum = cpnopt.solve(inst, "milp", time_limit=60).report
    assert optimum.status is cpnopt.Status.OPTIMAL
    sol = cpnopt.solve(inst, method)
    assert sol.feasible, sol.evaluation.violations
    assert sol.report.objective <= optimum.objective + 1e-6
