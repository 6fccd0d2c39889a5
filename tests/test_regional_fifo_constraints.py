"""The shared FIFO encodings stay exact when a queue spans much more than one deadline (both families)."""

import pytest

import cpnopt


@pytest.mark.parametrize("seed", range(4))
def test_regional_encodings_equal_brute_force_with_spread_arrivals(seed):
    # 0.5 tasks/s and deadlines of 3–6 s: many pairs with d_m ≤ r_n, where a negative big-M would bind
    inst = cpnopt.generate(
        "regional", seed=seed, n_east=1, n_west=1, servers_per_region=2, n_tasks=6, arrivals_per_s=0.5
    )
    optimum = cpnopt.solve(inst, "enumerate").report.objective
    for fifo in ("window", "completion"):
        assert cpnopt.solve(inst, "milp", fifo=fifo).report.objective == pytest.approx(optimum, abs=1e-6), fifo


@pytest.mark.parametrize("seed", range(2))
def test_clustering_encodings_agree_over_many_slots(seed):
    # six slots of 1 s, deadlines 2–3 s: the completion encoding was infeasible here before the fix
    inst = cpnopt.generate("clustering", seed=seed, n_servers=4, n_slots=6, arrivals_per_slot=1, n_metro_areas=2)
    window = cpnopt.solve(inst, "milp", fifo="window").report
    completion = cpnopt.solve(inst, "milp", fifo="completion").report
    assert completion.status is cpnopt.Status.OPTIMAL
    assert completion.objective == pytest.approx(window.objective, abs=1e-6)
