"""Heuristics are feasible, bounded by the exact optimum, and REA obeys Theorem 2."""

import numpy as np
import pytest
from conftest import tiny_instance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.problems.clustering.auction import reverse_auction
from cpnopt.problems.clustering.evaluate import cluster_violations
from cpnopt.solvers.clustering.heuristics import kmeans_clustering, random_clustering

HEURISTICS = ["rand-rea", "rand-ob-rea", "km-rea", "km-ob-rea", "opt-rea"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_servers=st.integers(2, 5),
    n_tasks=st.integers(1, 6),
    r_max=st.sampled_from([60.0, 150.0, 300.0]),
    gamma=st.floats(0.5, 0.99),
)
def test_exact_optimum_bounds_every_heuristic(seed, n_servers, n_tasks, r_max, gamma):
    inst = tiny_instance(seed, n_servers=n_servers, n_tasks=n_tasks, max_cluster_size=3, r_max_km=r_max)
    optimum = cpnopt.solve(inst, "milp").report
    assert optimum.status is cpnopt.Status.OPTIMAL
    assert optimum.objective == pytest.approx(cpnopt.solve(inst, "enumerate").report.objective, abs=1e-6)
    cg = cpnopt.solve(inst, "cg").report
    assert cg.objective - 1e-6 <= optimum.objective <= cg.bound + 1e-6
    runs = [(name, {"gamma": gamma, "seed": seed}) for name in HEURISTICS if name != "opt-rea"]
    runs += [("opt-rea", {"gamma": gamma, "exact": exact}) for exact in ("milp", "cg")]
    for name, options in runs:
        sol = cpnopt.solve(inst, name, **options)
        assert sol.feasible, (name, sol.evaluation.violations)
        assert sol.report.objective <= optimum.objective + 1e-6, name


@pytest.mark.parametrize("seed", range(5))
def test_heuristic_clusterings_respect_rmax_and_size(seed):
    inst = cpnopt.generate("clustering", seed=seed, n_servers=20, n_metro_areas=5, r_max_km=100.0)
    rng = np.random.default_rng(seed)
    for clusters in (random_clustering(inst, rng), kmeans_clustering(inst, rng)):
        assert cluster_violations(inst, clusters) == []


@given(
    costs=st.lists(st.floats(1.0, 1000.0), min_size=2, max_size=8, unique=True),
    margin=st.floats(0.0, 1.0, exclude_max=True),
    headroom=st.floats(1.0, 3.0),
)
def test_rea_theorem_2(costs, margin, headroom):
    """γ above c₁/c₂ → the task is assigned to the cheapest cluster, paying < c₂ and ≥ c₁."""
    c1, c2 = sorted(costs)[:2]
    gamma = c1 / c2 + margin * (1 - c1 / c2)
    if gamma <= c1 / c2 or gamma >= 1:
        return
    outcome = reverse_auction(costs, start_offer=headroom * c2, gamma=gamma)
    assert outcome.winner == costs.index(c1)
    assert c1 <= outcome.payment
    assert outcome.payment - c1 <= c2 - c1


def test_rea_fails_as_written_when_gamma_skips_past_both_costs():
    # offers 100 (both qualify) → 50 (neither): the task fails although two could serve it
    assert reverse_auction([90.0, 95.0], start_offer=100.0, gamma=0.5).winner is None
    # a tie can never leave exactly one qualified cluster
    assert reverse_auction([80.0, 80.0], start_offer=100.0, gamma=0.99).winner is None
    assert reverse_auction([80.0], start_offer=100.0, gamma=0.5).payment == 100.0


def test_rea_gamma_out_of_range_is_an_input_error(default_instance):
    with pytest.raises(cpnopt.InputError, match="gamma"):
        cpnopt.solve(default_instance, "km-rea", gamma=1.5)


@pytest.mark.parametrize("method", ["km-rea", "km-ob-rea"])
def test_kmeans_with_one_server_is_one_cluster(method):
    inst = cpnopt.generate("clustering", seed=7, n_servers=1, n_metro_areas=1)
    solution = cpnopt.solve(inst, method)
    assert solution.report.status is cpnopt.Status.FEASIBLE
    assert solution.decision.clusters == ((0,),)


def test_kmeans_keeps_servers_that_fit_in_one_cluster_together():
    inst = cpnopt.generate("clustering", seed=9, n_servers=3, n_metro_areas=1, r_max_km=1e5)
    assert inst.max_cluster_size == 3
    assert kmeans_clustering(inst, np.random.default_rng(0)) == ((0, 1, 2),)
    assert cpnopt.solve(inst, "km-rea").decision.clusters == ((0, 1, 2),)


@pytest.mark.parametrize("n_servers", [1, 2, 3, 4, 7])
def test_kmeans_partitions_the_servers_into_nonempty_fitting_clusters(n_servers):
    for seed in range(5):
        inst = cpnopt.generate("clustering", seed=seed, n_servers=n_servers, n_metro_areas=1)
        clusters = kmeans_clustering(inst, np.random.default_rng(seed))
        assert all(clusters) and cluster_violations(inst, clusters) == []
