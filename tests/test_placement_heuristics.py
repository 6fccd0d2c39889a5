"""GWP baselines: feasible, bounded by the exact optimum (property test), and each doing what it says."""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.solution import Status
from cpnopt.solvers.placement.heuristics import fit_memory, proportional

BASELINES = ("random", "static", "rule", "heuristic")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_devices=st.integers(2, 4),
    n_layers=st.integers(1, 4),
    alpha=st.floats(0.0, 1.0),
    dvfs=st.booleans(),
)
def test_exact_optimum_bounds_every_baseline(seed, n_devices, n_layers, alpha, dvfs):
    inst = cpnopt.generate(
        "placement",
        seed=seed,
        n_devices=n_devices,
        n_layers=n_layers,
        width_multiplier=0.125,
        n_iterations=3,
        alpha=alpha,
        frequency_levels=[1.0, 0.7] if dvfs else [1.0],
        memory_slack=1.3,
    )
    exact = cpnopt.solve(inst, "milp", time_limit=30)
    assert exact.report.status in (Status.OPTIMAL, Status.TIME_LIMIT) and exact.report.bound is not None
    for method in BASELINES:
        sol = cpnopt.solve(inst, method)
        assert sol.feasible, (method, sol.evaluation.violations)
        assert sol.report.objective >= exact.report.bound - 1e-6 * abs(exact.report.bound), method


@pytest.fixture(scope="module")
def inst():
    return cpnopt.generate("placement", seed=4, n_devices=4, n_layers=4, width_multiplier=0.5, n_iterations=6)


def test_static_is_optimal_when_the_state_never_changes(inst):
    small = cpnopt.generate("placement", seed=4, n_devices=3, n_layers=4, width_multiplier=0.25, n_iterations=3)
    frozen = dataclasses.replace(small, trace=(small.trace[0],) * small.n_iterations)
    assert cpnopt.solve(frozen, "static").report.objective == pytest.approx(
        cpnopt.solve(frozen, "milp").report.objective, rel=1e-6
    )
    static = cpnopt.solve(inst, "static").decision.neurons
    assert all(it == static[0] for it in static)


def test_rule_splits_in_proportion_to_available_clock():
    roomy = cpnopt.generate("placement", seed=3, n_devices=5, n_layers=6, n_iterations=3, memory_slack=20.0)
    decision = cpnopt.solve(roomy, "rule").decision
    for k in range(roomy.n_iterations):
        u, f, _ = roomy.state(k)
        share = np.array(decision.neurons[k]) / roomy.neurons[:, None]
        assert np.all(np.abs(share - f * u / (f * u).sum()) < 1.0 / roomy.neurons[:, None])


def test_heuristic_replans_only_at_epoch_starts(inst):
    by_epoch = cpnopt.solve(inst, "heuristic", epoch_length=3).decision.neurons
    assert by_epoch[0] == by_epoch[1] == by_epoch[2] and by_epoch[3] == by_epoch[4] == by_epoch[5]
    every = cpnopt.solve(inst, "heuristic", epoch_length=1).decision.neurons
    assert every[3] == by_epoch[3] and len(set(every)) > 1
    with pytest.raises(cpnopt.InputError, match="epoch_length"):
        cpnopt.solve(inst, "heuristic", epoch_length=0)


def test_random_depends_on_its_seed(inst):
    assert cpnopt.solve(inst, "random", seed=1).decision != cpnopt.solve(inst, "random", seed=2).decision
    assert cpnopt.solve(inst, "random", seed=1).decision == cpnopt.solve(inst, "random", seed=1).decision


@given(total=st.integers(0, 2000), weights=st.lists(st.floats(0.01, 10.0), min_size=1, max_size=8))
def test_proportional_places_every_neuron_within_one_of_its_share(total, weights):
    w = np.array(weights)
    counts = proportional(total, w)
    assert counts.sum() == total and np.all(np.abs(counts - total * w / w.sum()) < 1 + 1e-9)


@given(seed=st.integers(0, 10_000), m=st.integers(1, 9))
def test_proportional_by_rows_equals_one_call_per_row(seed, m):
    """The row-wise form (the gwp environment's, all layers at once) splits each row as the 1-D call."""
    rng = np.random.default_rng(seed)
    totals = rng.integers(0, 3000, size=12)
    weights = rng.choice([0.0, 0.5, 1.0, 2.0], size=m) / rng.uniform(1e-6, 1e-3, size=(12, m))
    weights[:, 0] += 1.0  # never an all-zero row
    expected = np.array([proportional(int(t), w) for t, w in zip(totals, weights)])
    assert np.array_equal(proportional(totals, weights), expected)


def test_fit_memory_moves_neurons_off_a_full_device(inst):
    counts = np.zeros((inst.n_layers, inst.n_devices), dtype=int)
    counts[:, 0] = inst.neurons
    fitted = fit_memory(inst, counts)
    assert np.array_equal(fitted.sum(axis=1), inst.neurons)
    assert np.all(inst.memory_per_neuron_mb @ fitted <= inst.memory_mb * (1 + 1e-9))
