"""``warm_start=METHOD`` on the exact methods of clustering and regional: never changes the optimum, the MIP start
is the one HiGHS reports at time 0, the starting plan is in cg's master, a bad name is one clear line."""

import pytest
from cli_runner import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.errors import InputError
from cpnopt.solution import Status

SMALL = {
    "clustering": {"n_servers": 5, "arrivals_per_slot": 4},
    "regional": {"n_east": 1, "n_west": 1, "servers_per_region": 2, "n_tasks": 6},
}
STARTS = {"clustering": ("km-rea", "dcat"), "regional": ("two-stage", "regional-drl")}
EXACT = ("milp", "cg", "bp")


@pytest.mark.parametrize("family", list(SMALL))
@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_warm_starts_never_change_the_optimum(family, seed):
    inst = cpnopt.generate(family, seed=seed, **SMALL[family])
    optimum = cpnopt.solve(inst, "milp").report
    assert optimum.status is Status.OPTIMAL
    for method in EXACT:
        if family == "regional" and method == "cg":
            continue  # regional has no cg
        for start in STARTS[family]:
            sol = cpnopt.solve(inst, method, warm_start=start)
            assert sol.feasible
            assert sol.report.info["warm_start"] == start
            assert sol.report.objective == pytest.approx(optimum.objective, rel=1e-6, abs=1e-6), (method, start)


def test_the_mip_start_is_the_incumbent_highs_reports_at_time_zero(capsys):
    """HiGHS's log (``verbose``) reports the start as feasible, at the objective the evaluator gives the start's plan."""
    inst = cpnopt.generate("regional", seed=1)
    sol = cpnopt.solve(inst, "milp", warm_start="two-stage", verbose=True)
    log = capsys.readouterr().out
    start = sol.report.info["warm_start_objective"]
    assert start == pytest.approx(cpnopt.solve(inst, "two-stage").report.objective)
    line = next(line for line in log.splitlines() if line.startswith("MIP start solution is feasible"))
    assert float(line.rsplit(" ", 1)[1]) == pytest.approx(start, rel=1e-6)


def test_without_a_warm_start_highs_gets_no_mip_start(capsys):
    cpnopt.solve(cpnopt.generate("regional", seed=1), "milp", verbose=True)
    assert "MIP start" not in capsys.readouterr().out


def test_clustering_mip_start_is_feasible_for_the_model(capsys):
    """Payment = cost in the model: HiGHS values dcat's clusters and served tasks at their margins; the start is feasible."""
    inst = cpnopt.generate("clustering", seed=0, n_servers=6)
    cpnopt.solve(inst, "milp", warm_start="dcat", fifo="completion", verbose=True)
    assert "MIP start solution is feasible" in capsys.readouterr().out


def test_cg_master_holds_the_starting_plan():
    """A limit too short to price anything: the master has the singletons, and with a warm start the start's plan."""
    inst = cpnopt.generate("clustering", seed=2, n_servers=6)
    cold = cpnopt.solve(inst, "cg", time_limit=1e-3).report
    warm = cpnopt.solve(inst, "cg", time_limit=1e-3, warm_start="dcat").report
    assert cold.info["iterations"] == warm.info["iterations"] == 0
    assert cold.objective == 0.0 < warm.objective


@pytest.mark.parametrize(("family", "method"), [("clustering", "milp"), ("clustering", "cg"), ("regional", "bp")])
@pytest.mark.parametrize("name", ["no-such-method", "enumerate"])
def test_a_bad_warm_start_is_an_input_error(family, method, name):
    inst = cpnopt.generate(family, seed=0, **SMALL[family])
    with pytest.raises(InputError, match="warm_start") as info:
        cpnopt.solve(inst, method, warm_start=name)
    assert STARTS[family][0] in str(info.value)  # the valid names are listed


def test_cli_bad_warm_start_is_one_line_exit_2(tmp_path):
    path = tmp_path / "inst.json"
    assert run_cli(["generate", "regional", "--seed", "1", "-o", str(path)]).code == 0
    bad = run_cli(["solve", str(path), "--method", "milp", "--option", "warm_start=milp"])
    assert bad.code == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "warm_start" in bad.stderr
