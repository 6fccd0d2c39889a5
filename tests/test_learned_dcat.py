"""``dcat``: the bundled policy loads and gives feasible solutions the evaluator agrees with; the optimum bounds it."""

import json

import numpy as np
import pytest
from conftest import tiny_instance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.problems.clustering.auction import auction_tasks
from cpnopt.problems.clustering.evaluate import cluster_violations
from cpnopt.solvers.rl.serving import get_agent


def test_bundled_checkpoint_and_its_record_ship():
    spec = get_agent("clustering", "dcat")
    assert spec.bundled_checkpoint().is_file()
    record = json.loads(spec.bundled_checkpoint().with_suffix(".json").read_text())
    assert {"commands", "seed", "steps", "wall_time_s", "device", "torch"} <= set(record)
    assert record["commands"][0].startswith("cpnopt train clustering --method dcat")


@pytest.mark.parametrize(
    "seed, params",
    [
        (0, {}),  # the training size, held-out seeds (training uses seeds ≥ 10⁶)
        (5, {}),
        (1, {"n_servers": 20, "n_metro_areas": 5, "r_max_km": 100.0, "arrivals_per_slot": 10}),  # another size
    ],
)
def test_bundled_policy_gives_feasible_solutions_the_evaluator_agrees_with(seed, params):
    inst = cpnopt.generate("clustering", seed=seed, **params)
    sol = cpnopt.solve(inst, "dcat")
    assert sol.feasible, sol.evaluation.violations
    assert cluster_violations(inst, sol.decision.clusters) == []
    truth = cpnopt.evaluate(inst, sol.decision)
    assert sol.report.objective == pytest.approx(truth.objective)
    assert sol.report.status is cpnopt.Status.FEASIBLE


def test_dcat_prices_with_rea_like_the_heuristics():
    """Same clusters, same auction: dcat's payments are those of REA on its clusters."""
    inst = cpnopt.generate("clustering", seed=4)
    sol = cpnopt.solve(inst, "dcat", gamma=0.9)
    again = auction_tasks(inst, sol.decision.clusters, "rea", 0.9, np.random.default_rng(0))
    assert again == sol.decision


def test_bad_gamma_is_an_input_error():
    with pytest.raises(cpnopt.InputError, match="gamma"):
        cpnopt.solve(cpnopt.generate("clustering", seed=0), "dcat", gamma=1.5)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_servers=st.integers(2, 6),
    n_tasks=st.integers(1, 6),
    r_max=st.sampled_from([60.0, 150.0, 300.0]),
)
def test_exact_optimum_bounds_dcat(seed, n_servers, n_tasks, r_max):
    inst = tiny_instance(seed, n_servers=n_servers, n_tasks=n_tasks, max_cluster_size=3, r_max_km=r_max)
    optimum = cpnopt.solve(inst, "milp").report
    assert optimum.status is cpnopt.Status.OPTIMAL
    sol = cpnopt.solve(inst, "dcat")
    assert sol.feasible, sol.evaluation.violations
    assert sol.report.objective <= optimum.objective + 1e-6
