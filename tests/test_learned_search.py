"""Test-time search (option ``samples`` of every learned method): never worse than greedy under the evaluator,
repeatable for a seed, ``time_limit`` a budget that still returns a feasible decision; ``samples`` < 1 refused."""

import pytest
from cli_runner import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.errors import InputError
from cpnopt.registry import get_family
from cpnopt.solution import Sense

# (family, method, small-instance parameters): one policy-gradient agent per distribution kind and a Q-network
AGENTS = [
    ("clustering", "dcat", {"n_servers": 6}),  # categorical over clusters
    ("regional", "regional-drl", {"n_tasks": 8}),  # categorical over regions
    ("placement", "gwp", {"n_iterations": 3}),  # joint autoregressive action
    ("offloading", "gnn-dqn", {"n_tasks": 6}),  # Q-network: ε-greedy samples
]


def _no_worse(family: str, sampled: float, greedy: float) -> bool:
    if get_family(family).sense is Sense.MAXIMIZE:
        return sampled >= greedy
    return sampled <= greedy


@pytest.mark.parametrize(("family", "method", "params"), AGENTS, ids=[a[1] for a in AGENTS])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), sample_seed=st.integers(0, 100))
def test_samples_never_worse_than_greedy(family, method, params, seed, sample_seed):
    inst = cpnopt.generate(family, seed=seed, **params)
    greedy = cpnopt.solve(inst, method)
    sampled = cpnopt.solve(inst, method, samples=6, seed=sample_seed)
    assert sampled.evaluation.feasible, sampled.evaluation.violations
    assert sampled.report.info["samples"] == 6
    assert _no_worse(family, sampled.report.objective, greedy.report.objective)
    if sampled.report.info["best_sample"] == 0:  # the greedy rollout kept: exactly the samples=1 decision
        assert sampled.report.objective == greedy.report.objective


def test_sampling_finds_better_than_greedy_somewhere():
    """The search is not greedy in disguise: on some small regional instances a sample beats the greedy decision."""
    better = 0
    for seed in range(4):
        inst = cpnopt.generate("regional", seed=seed, n_tasks=8)
        greedy = cpnopt.solve(inst, "regional-drl").report.objective
        better += cpnopt.solve(inst, "regional-drl", samples=16).report.objective > greedy
    assert better >= 1


@pytest.mark.parametrize(("family", "method", "params"), AGENTS[:2], ids=[a[1] for a in AGENTS[:2]])
def test_same_seed_same_decision(family, method, params):
    inst = cpnopt.generate(family, seed=7, **params)
    first = cpnopt.solve(inst, method, samples=8, seed=3)
    again = cpnopt.solve(inst, method, samples=8, seed=3)
    assert first.decision == again.decision
    assert first.report.info["best_sample"] == again.report.info["best_sample"]


def test_time_limit_is_a_budget_and_the_answer_is_feasible():
    inst = cpnopt.generate("regional", seed=1, n_tasks=8)
    sol = cpnopt.solve(inst, "regional-drl", samples=100_000, time_limit=0.5)
    assert sol.evaluation.feasible, sol.evaluation.violations
    assert 1 <= sol.report.info["samples"] < 100_000
    assert "takes no time limit" not in (sol.report.message or "")


@pytest.mark.parametrize("value", [0, -3])
def test_samples_below_one_is_refused(value):
    inst = cpnopt.generate("regional", seed=1, n_tasks=8)
    with pytest.raises(InputError, match="samples"):
        cpnopt.solve(inst, "regional-drl", samples=value)


def test_cli_samples_option(tmp_path):
    inst = tmp_path / "inst.json"
    assert run_cli(["generate", "regional", "--seed", "2", "--set", "n_tasks=8", "-o", str(inst)]).code == 0
    bad = run_cli(["solve", str(inst), "--method", "regional-drl", "--option", "samples=0"])
    assert bad.code == 2
    assert "samples" in bad.stderr and "Traceback" not in bad.stderr
