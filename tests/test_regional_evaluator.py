"""The regional evaluator scores feasible plans and flags each planted violation."""

import numpy as np
import pytest

import cpnopt
from cpnopt.problems.regional import RegionalDecision, evaluate


@pytest.fixture(scope="module")
def instance():
    return cpnopt.generate("regional", seed=0)


@pytest.fixture(scope="module")
def optimum(instance):
    return cpnopt.solve(instance, "milp")


def test_optimal_plan_is_feasible_and_objective_is_price_minus_cost(instance, optimum):
    ev = evaluate(instance, optimum.decision)
    assert ev.feasible, ev.violations
    served = [(n, i) for n, i in enumerate(optimum.decision.assignment) if i is not None]
    expected = sum(instance.price[n] - instance.cost[n, i] for n, i in served)
    assert ev.objective == pytest.approx(expected)
    assert ev.metrics["acceptance_rate"] == pytest.approx(len(served) / instance.n_tasks)
    delays = ev.metrics["mean_delay_s"]
    assert ev.metrics["mean_transmission_s"] + ev.metrics["mean_queueing_s"] < delays


def test_rejecting_every_task_is_feasible_with_profit_zero(instance):
    ev = evaluate(instance, RegionalDecision.rejected(instance.n_tasks))
    assert ev.feasible and ev.objective == 0.0 and ev.metrics["acceptance_rate"] == 0.0


def test_deadline_miss_is_flagged(instance):
    slow = int(np.argmin(instance.power_ghz))  # every task on the slowest server: its queue must overflow
    ev = evaluate(instance, RegionalDecision(assignment=(slow,) * instance.n_tasks))
    assert not ev.feasible
    assert any("deadline" in v and f"server {slow}" in v for v in ev.violations)


def test_transmission_alone_can_break_a_deadline(instance):
    """A task whose data cannot cross to some region in time is flagged there even on an empty server."""
    late = instance.release_s + instance.processing_s > instance.due_s[:, None]
    n, i = (int(k) for k in np.argwhere(late)[0])
    assignment = [None] * instance.n_tasks
    assignment[n] = i
    ev = evaluate(instance, RegionalDecision(assignment=tuple(assignment)))
    assert not ev.feasible and any(v.startswith(f"task {n} on server {i}") for v in ev.violations)


def test_unknown_server_and_wrong_length_are_flagged(instance):
    ev = evaluate(instance, RegionalDecision(assignment=(instance.n_servers,) + (None,) * (instance.n_tasks - 1)))
    assert not ev.feasible and any("does not exist" in v for v in ev.violations)
    ev = evaluate(instance, RegionalDecision(assignment=(None,) * (instance.n_tasks + 1)))
    assert not ev.feasible and any("entries for" in v for v in ev.violations)


def test_a_loss_making_assignment_is_feasible_and_costs_profit(instance):
    on_time = instance.release_s + instance.processing_s <= instance.due_s[:, None]
    n, i = (int(k) for k in np.argwhere((instance.margin < 0) & on_time)[0])
    assignment = [None] * instance.n_tasks
    assignment[n] = i
    ev = evaluate(instance, RegionalDecision(assignment=tuple(assignment)))
    assert ev.feasible
    assert ev.objective == pytest.approx(instance.margin[n, i]) and ev.objective < 0


def test_solve_marks_a_rejected_plan_as_error(monkeypatch, instance):
    from cpnopt import registry
    from cpnopt.solution import MethodOutput, Status

    slow = int(np.argmin(instance.power_ghz))
    bad = RegionalDecision(assignment=(slow,) * instance.n_tasks)
    registry.methods("regional")
    method = registry.Method("regional", "planted", "heuristic", lambda inst: MethodOutput(bad, Status.FEASIBLE), "")
    monkeypatch.setitem(registry._methods["regional"], "planted", method)
    sol = cpnopt.solve(instance, "planted")
    assert sol.report.status is Status.ERROR and not sol.feasible
