"""Routing's exact methods on long latency horizons: refused up front when too large (the MILP
grows with the square of l_u/slot), the time limit counts the building, and fp-qt falls back
to a heuristic destination set when the MILP gives none."""

import pytest

import cpnopt
from cpnopt.formulations.routing.milp import MAX_COEFFICIENTS, candidate_paths, schedule_size
from cpnopt.solution import Status


def one_task(max_latency_s):
    """One 1 Mb task on 4 nodes: the horizon is max_latency_s / 0.1 s slots."""
    return cpnopt.generate(
        "routing", seed=0, n_nodes=4, n_routers=0, n_users=1, n_frames=1, size_mb=1.0, max_latency_s=max_latency_s
    )


def test_milp_refuses_a_model_too_large_before_building_it():
    """max_latency_s=100 took 1.08 GB and 71 s; 1000 was a MemoryError, 10000 killed by the OS."""
    for latency in (100.0, 10000.0):
        with pytest.raises(cpnopt.InputError, match="routing model is too large"):
            cpnopt.solve(one_task(latency), "milp", time_limit=10)
    with pytest.raises(cpnopt.InputError, match="too large for enumerate"):
        cpnopt.solve(one_task(100.0), "enumerate")


def test_size_estimate_is_the_built_model_and_small_horizons_pass():
    from cpnopt.formulations.routing.milp import frame_model

    inst = one_task(10.0)
    paths = {0: candidate_paths(inst, 0, list(range(inst.n_nodes)))[0]}
    schedule = frame_model(inst, 0)
    written = sum(len(coefs) for coefs, _, _ in schedule.model.rows)
    assert written <= schedule_size(inst, paths) <= 3 * written
    assert schedule_size(inst, paths) < MAX_COEFFICIENTS
    exact, brute = cpnopt.solve(inst, "milp"), cpnopt.solve(inst, "enumerate")
    assert exact.report.status is Status.OPTIMAL
    assert exact.report.objective == pytest.approx(brute.report.objective, rel=1e-9)


def test_time_limit_counts_the_building():
    """--time-limit 10 took 19.2 s there: the build ran past it unchecked. A horizon of 95 s is a
    model of about 900,000 coefficients (below the refusal), far more than 0.05 s of building."""
    solution = cpnopt.solve(one_task(95.0), "milp", time_limit=0.05)
    assert solution.report.status is Status.TIME_LIMIT and "while building" in solution.report.message
    assert solution.feasible and solution.report.objective == 0.0 and solution.report.bound is None


def test_fpqt_falls_back_to_cheapest_destinations_without_a_milp_incumbent():
    """fp-qt returned 0 when its destination MILP found no incumbent in the time limit."""
    inst = one_task(50.0)
    fallback = cpnopt.solve(inst, "fp-qt", time_limit=0.05)
    cheapest = cpnopt.solve(inst, "fp-qt-cheapest")
    assert fallback.report.info["destinations"].startswith("cheapest")
    assert cheapest.report.objective > 0
    assert fallback.feasible and fallback.report.objective == pytest.approx(cheapest.report.objective)
    assert cpnopt.solve(one_task(10.0), "fp-qt").report.info["destinations"] == "milp"


def test_thirty_tasks_on_a_path_rich_graph_are_accepted():
    """Seed 3's graph (≈ 150 candidate paths per task): 30 tasks in one frame are 732,014 coefficients, refused
    by the 500,000 limit sized for the Pyomo route; the matrix route proves them (benchmarks/RESULTS.md)."""
    inst = cpnopt.generate("routing", seed=3, n_users=30, n_frames=1)
    paths = {u: candidate_paths(inst, u, list(range(inst.n_nodes)))[0] for u in range(inst.n_tasks)}
    assert 500_000 < schedule_size(inst, paths) < MAX_COEFFICIENTS
