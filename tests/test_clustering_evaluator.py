"""The evaluator rejects planted infeasible solutions and scores feasible ones."""

import dataclasses

import numpy as np
import pytest

import cpnopt
from cpnopt.problems.clustering import ClusteringDecision, evaluate


def test_optimal_solution_is_feasible_and_objective_is_profit(default_instance, default_milp):
    ev = evaluate(default_instance, default_milp.decision)
    assert ev.feasible, ev.violations
    served = [n for n, k in enumerate(default_milp.decision.assignment) if k is not None]
    expected = sum(default_instance.price[n] - default_milp.decision.payments[n] for n in served)
    assert ev.objective == pytest.approx(expected)
    assert ev.metrics["offloading_rate"] == pytest.approx(len(served) / default_instance.n_tasks)


def _far_pair(instance):
    d = instance.server_distance_km
    i, j = np.unravel_index(np.argmax(d), d.shape)
    assert d[i, j] > instance.r_max_km
    return int(i), int(j)


def test_rmax_violation_is_flagged(default_instance):
    i, j = _far_pair(default_instance)
    rest = tuple((s,) for s in range(default_instance.n_servers) if s not in (i, j))
    decision = ClusteringDecision.unserved(((i, j),) + rest, default_instance.n_tasks)
    ev = evaluate(default_instance, decision)
    assert not ev.feasible
    assert any("R_max" in v for v in ev.violations)


def test_server_in_two_clusters_and_missing_server_are_flagged(default_instance):
    s = default_instance.n_servers
    clusters = tuple((i,) for i in range(s - 1)) + ((0,),)
    ev = evaluate(default_instance, ClusteringDecision.unserved(clusters, default_instance.n_tasks))
    assert not ev.feasible
    assert any("server 0 is in cluster 0 and cluster" in v for v in ev.violations)
    assert any(f"servers [{s - 1}] are in no cluster" in v for v in ev.violations)


def test_deadline_miss_is_flagged(default_instance):
    # every task on the slowest singleton cluster: its FIFO queue must break deadlines
    inst = default_instance
    slow = int(np.argmin(inst.power_ghz))
    clusters = ((slow,),) + tuple((i,) for i in range(inst.n_servers) if i != slow)
    cost = inst.cluster_terms((slow,)).cost
    decision = ClusteringDecision(clusters, (0,) * inst.n_tasks, tuple(float(max(c, 0)) for c in cost))
    ev = evaluate(inst, decision)
    assert not ev.feasible
    assert any("Eq. 10b" in v for v in ev.violations)


def test_payment_outside_cost_and_price_is_flagged(default_instance, default_milp):
    decision = default_milp.decision
    n = next(n for n, k in enumerate(decision.assignment) if k is not None)
    too_high = list(decision.payments)
    too_high[n] = float(default_instance.price[n]) * 1.01
    ev = evaluate(default_instance, dataclasses.replace(decision, payments=tuple(too_high)))
    assert not ev.feasible and any("> price" in v for v in ev.violations)
    too_low = list(decision.payments)
    too_low[n] = decision.payments[n] * 0.99
    ev = evaluate(default_instance, dataclasses.replace(decision, payments=tuple(too_low)))
    assert not ev.feasible and any("< cost" in v for v in ev.violations)


def test_cluster_size_limit_is_enforced():
    inst = cpnopt.generate("clustering", seed=1, n_servers=4, n_metro_areas=1, metro_spread_km=5.0, max_cluster_size=2)
    decision = ClusteringDecision.unserved(((0, 1, 2), (3,)), inst.n_tasks)
    ev = evaluate(inst, decision)
    assert not ev.feasible and any("max_cluster_size" in v for v in ev.violations)


def test_solve_marks_a_rejected_solution_as_error(monkeypatch, default_instance):
    """A method whose decision the evaluator rejects is reported as an error, not a success."""
    from cpnopt import registry
    from cpnopt.solution import MethodOutput, Status

    inst = default_instance
    i, j = _far_pair(inst)
    rest = tuple((s,) for s in range(inst.n_servers) if s not in (i, j))
    bad = ClusteringDecision.unserved(((i, j),) + rest, inst.n_tasks)
    registry.methods("clustering")
    method = registry.Method(
        "clustering", "planted", "heuristic", lambda instance: MethodOutput(bad, Status.FEASIBLE), ""
    )
    monkeypatch.setitem(registry._methods["clustering"], "planted", method)
    sol = cpnopt.solve(inst, "planted")
    assert sol.report.status is Status.ERROR and not sol.feasible
