"""The exact optimum bounds every routing heuristic; fp-qt ascends and never falls below its start."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_routing_fixtures import small

import cpnopt
from cpnopt.formulations.routing.fpqt import CompiledSchedule, build_schedule
from cpnopt.solution import Status

HEURISTICS = ["fp-qt", "fp-qt-nearest", "fp-qt-cheapest", "fp-qt-random", "random", "nearest", "cheapest"]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), users=st.integers(2, 5), size=st.sampled_from([5.0, 15.0]))
def test_milp_bounds_fpqt_and_fpqt_beats_its_baseline(seed, users, size):
    inst = small(seed, n_users=users, size_mb=size)
    exact = cpnopt.solve(inst, "milp")
    assert exact.report.status is Status.OPTIMAL
    found = {m: cpnopt.solve(inst, m, **({"seed": seed} if "random" in m else {})) for m in HEURISTICS}
    for name, sol in found.items():
        assert sol.feasible, (name, sol.evaluation.violations)
        assert sol.report.objective <= exact.report.objective + 1e-6, name
    for rule in ("random", "nearest", "cheapest"):
        assert found[f"fp-qt-{rule}"].report.objective >= found[rule].report.objective - 1e-9
        assert found[f"fp-qt-{rule}"].report.info["history"][0] == pytest.approx(found[rule].report.objective)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000), rule=st.sampled_from(["milp", "nearest", "cheapest", "random"]))
def test_fpqt_objective_never_decreases(seed, rule):
    inst = small(seed, n_users=5, size_mb=15.0)
    sol = cpnopt.solve(inst, "fp-qt", destinations=rule, seed=seed, max_iter=10)
    history = sol.report.info["history"]
    assert 1 <= len(history) <= 11
    assert all(b >= a - 1e-9 * max(1.0, abs(a)) for a, b in zip(history, history[1:]))
    assert sol.report.objective == pytest.approx(history[-1])


def test_fpqt_reuses_one_compiled_problem_with_parameters():
    inst = small(3)
    tasks = list(range(inst.n_tasks))
    compiled = CompiledSchedule(build_schedule(inst, tasks, {u: [n for n in range(inst.n_nodes)] for u in tasks}).model)
    assert compiled.problem.is_dpp() and len(compiled.problem.parameters()) == 2
    objective = {0: 1.0}
    first = compiled.solve(objective)
    second = compiled.solve({0: -1.0})
    assert (
        first is not None and second is not None and first[0] == pytest.approx(1.0) and second[0] == pytest.approx(0.0)
    )


def test_random_depends_on_seed_and_first_fit_never_overlaps():
    inst = cpnopt.generate("routing", seed=2, n_users=10, n_frames=2)
    runs = [cpnopt.solve(inst, "random", seed=s) for s in range(4)]
    assert all(r.feasible for r in runs)
    assert len({tuple(r.decision.routes) for r in runs}) > 1
    assert any(r.evaluation.metrics["mean_offset_s"] > 0 for r in runs)


def test_unknown_destination_rule_is_named():
    with pytest.raises(cpnopt.InputError, match="destinations"):
        cpnopt.solve(small(0), "fp-qt", destinations="best")
