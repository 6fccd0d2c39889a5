"""Column generation: its bound bounds the optimum, its incumbent is feasible, its pricing DP is exact."""

import itertools

import numpy as np
import pytest
from conftest import tiny_instance
from hypothesis import given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.fifo import fifo_schedule
from cpnopt.formulations.clustering.cg import best_task_set
from cpnopt.solution import Status


@pytest.mark.parametrize("seed", range(6))
def test_cg_bound_and_incumbent_bracket_the_brute_force_optimum(seed):
    inst = tiny_instance(seed, n_servers=4 + seed % 2, n_tasks=6, max_cluster_size=3, deadline_s=[1.5, 2.5])
    optimum = cpnopt.solve(inst, "enumerate").report.objective
    cg = cpnopt.solve(inst, "cg")
    assert cg.feasible
    assert cg.report.model_objective == pytest.approx(cg.report.objective, abs=1e-6)
    assert cg.report.objective <= optimum + 1e-6 <= cg.report.bound + 2e-6
    if cg.report.status is Status.OPTIMAL:
        assert cg.report.objective == pytest.approx(optimum, abs=1e-6)


def test_cg_bound_is_at_least_the_milp_optimum(default_instance, default_milp):
    cg = cpnopt.solve(default_instance, "cg")
    assert cg.report.info["converged"]
    assert cg.report.bound >= default_milp.report.objective - 1e-6
    assert cg.report.objective <= default_milp.report.objective + 1e-6


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 7),
    data=st.data(),
)
def test_pricing_dp_equals_enumeration_of_subsets(n, data):
    floats = lambda lo, hi: st.lists(st.floats(lo, hi), min_size=n, max_size=n)
    release = np.array(sorted(data.draw(floats(0.0, 3.0))))
    processing = np.array(data.draw(floats(0.1, 2.0)))
    due = release + processing + np.array(data.draw(floats(0.0, 3.0)))
    weight = np.array(data.draw(floats(-5.0, 10.0)))
    queue = list(range(n))
    value, tasks = best_task_set(release, processing, due, weight, queue)
    best = 0.0
    for size in range(1, n + 1):
        for subset in itertools.combinations(queue, size):
            s = list(subset)
            if np.all(fifo_schedule(release[s], processing[s]).completion_s <= due[s] + 1e-9):
                best = max(best, float(weight[s].sum()))
    assert value == pytest.approx(best, abs=1e-7)
    s = list(tasks)
    assert value == pytest.approx(float(weight[s].sum()) if s else 0.0, abs=1e-7)
    if s:
        assert np.all(fifo_schedule(release[s], processing[s]).completion_s <= due[s] + 1e-9)
