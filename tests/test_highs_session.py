"""The HiGHS runner's process-wide guards: thread scheduler and stdout.

highspy 1.16 keeps one global task scheduler per process and fails a solve that asks for
another thread count than the first one did; it also prints a banner on stdout at the first
``Highs()``. Both broke the suite once; these tests fail if either comes back.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import cpnopt
from cpnopt.solution import Status


def test_consecutive_solves_with_any_thread_counts():
    small = cpnopt.generate("clustering", seed=0)
    larger = cpnopt.generate("clustering", seed=0, n_servers=10, arrivals_per_slot=5, n_slots=4)
    runs = [
        (small, "milp", {}),
        (larger, "milp", {"time_limit": 3, "threads": 1}),
        (small, "milp", {"threads": 2}),
        (small, "cg", {}),
        (small, "cg", {"threads": 1}),
        (small, "milp", {}),
    ]
    for instance, method, options in runs:
        solution = cpnopt.solve(instance, method, **options)
        assert solution.report.status in (Status.OPTIMAL, Status.TIME_LIMIT), (method, options, solution.report)
        # a loaded machine may stop the 3 s solve before its first incumbent; what must never happen is
        # HiGHS failing the solve ("unknown") because the thread count changed
        if solution.report.status is Status.OPTIMAL or solution.decision is not None:
            assert solution.feasible


def test_fpqt_after_a_one_thread_milp():
    routing = cpnopt.generate("routing", seed=0)
    first = cpnopt.solve(routing, "milp", threads=1, time_limit=60)
    after = cpnopt.solve(routing, "fp-qt-cheapest")
    assert first.report.status is Status.OPTIMAL
    assert after.report.status is not Status.ERROR and after.evaluation.feasible


@pytest.mark.parametrize(
    ("family", "method"),
    [("clustering", "cg"), ("clustering", "milp"), ("routing", "fp-qt-cheapest")],
)
def test_json_output_is_only_json(family, method, tmp_path):
    """A fresh process (the banner comes once per process) prints one JSON object, nothing else."""
    instance = tmp_path / "inst.json"
    generated = subprocess.run(
        [sys.executable, "-m", "cpnopt.cli", "generate", family, "--seed", "0", "-o", str(instance)],
        capture_output=True,
        text=True,
    )
    assert generated.returncode == 0, generated.stderr
    done = subprocess.run(
        [sys.executable, "-m", "cpnopt.cli", "solve", str(instance), "--method", method, "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "HiGHS" not in done.stdout
    report = json.loads(done.stdout)
    assert report["method"] == method and report["feasible"]


def test_loading_the_model_into_highs_counts_against_the_time_limit():
    """The Pyomo → HiGHS translation is part of the solve's time limit (a limit it uses up
    returns ``time_limit`` with no incumbent, never a solve that overruns)."""
    import pyomo.environ as pyo

    from cpnopt.solvers.highs import ExactOptions, solve_pyomo

    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(2000), domain=pyo.Binary)
    model.cap = pyo.Constraint(expr=sum(model.x[i] for i in range(2000)) <= 7)
    model.obj = pyo.Objective(expr=sum(model.x[i] for i in range(2000)), sense=pyo.maximize)
    stopped = solve_pyomo(model, ExactOptions(time_limit=1e-9))
    assert stopped.status is Status.TIME_LIMIT and not stopped.has_solution
    assert "loading" in stopped.message
    solved = solve_pyomo(model, ExactOptions(time_limit=60))
    assert solved.status is Status.OPTIMAL and solved.objective == pytest.approx(7)
