"""The MILP is exact: it equals brute force, agrees with the evaluator, and bounds under time limits."""

import highspy
import pytest
from conftest import tiny_instance

import cpnopt
from cpnopt.solution import Status


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "fifo,cuts", [("window", True), ("window", False), ("completion", True), ("completion", False)]
)
def test_milp_equals_brute_force_on_tiny_instances(seed, fifo, cuts):
    inst = tiny_instance(seed, n_servers=4 + seed % 2, n_tasks=5 + seed % 2, deadline_s=[1.5, 2.5])
    brute = cpnopt.solve(inst, "enumerate")
    exact = cpnopt.solve(inst, "milp", fifo=fifo, interval_cuts=cuts)
    assert exact.report.status is Status.OPTIMAL
    assert brute.feasible and exact.feasible
    assert exact.report.objective == pytest.approx(brute.report.objective, rel=1e-7, abs=1e-6)


def test_tiny_instances_make_both_constraints_bind():
    """The brute-force check is only worth something if deadlines and rationality both cut."""
    figures = [cpnopt.get_family("clustering").describe(tiny_instance(s, deadline_s=[1.5, 2.5])) for s in range(6)]
    assert min(f["pairs_deadline_feasible"] for f in figures) < 1
    assert min(f["pairs_profitable"] for f in figures) < 1
    served = [
        cpnopt.solve(tiny_instance(s, deadline_s=[1.5, 2.5]), "enumerate").evaluation.metrics["offloading_rate"]
        for s in range(6)
    ]
    assert 0 < max(served) and min(served) < 1


def test_milp_objective_equals_evaluator(default_milp):
    assert default_milp.report.status is Status.OPTIMAL
    assert default_milp.report.model_objective == pytest.approx(default_milp.report.objective, rel=1e-9)
    assert default_milp.report.bound == pytest.approx(default_milp.report.objective, rel=1e-6)
    assert default_milp.report.gap == pytest.approx(0.0, abs=1e-6)


def test_time_limit_keeps_incumbent_and_bound():
    # 10 servers × 20 tasks: not provable in 5 s (over 30 s on this machine), build + root LP < 1.5 s
    # unloaded: the margin keeps a bound when the machine is busy
    inst = cpnopt.generate("clustering", seed=0, n_servers=10, n_slots=4, arrivals_per_slot=5, n_metro_areas=3)
    sol = cpnopt.solve(inst, "milp", time_limit=5.0, threads=1)
    assert sol.report.status is Status.TIME_LIMIT
    assert sol.report.bound is not None
    if sol.decision is not None:
        assert sol.feasible
        assert sol.report.bound >= sol.report.objective - 1e-6
        assert sol.report.gap is not None and sol.report.gap >= 0


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_written_model_resolves_to_the_same_optimum(tmp_path, default_instance, default_milp, suffix):
    path = tmp_path / f"p1{suffix}"
    sol = cpnopt.solve(default_instance, "milp", write_model=str(path))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert abs(h.getInfo().objective_function_value) == pytest.approx(sol.report.objective, rel=1e-7)


def test_enumerate_refuses_large_instances(default_instance):
    with pytest.raises(cpnopt.InputError, match="too large"):
        cpnopt.solve(default_instance, "enumerate")


def test_unknown_option_names_the_option(default_instance):
    with pytest.raises(cpnopt.InputError, match="options.gama"):
        cpnopt.solve(default_instance, "km-rea", gama=0.9)
    with pytest.raises(cpnopt.InputError, match="fifo"):
        cpnopt.solve(default_instance, "milp", fifo="edf")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_study_milp_and_cg_equal_brute_force_at_enumeration_limit(seed):
    """The same check at the largest size enumeration takes (7 servers × 8 tasks); run with -m slow."""
    inst = tiny_instance(seed, n_servers=7, n_tasks=8, max_cluster_size=3, deadline_s=[1.5, 2.5])
    optimum = cpnopt.solve(inst, "enumerate").report.objective
    assert cpnopt.solve(inst, "milp").report.objective == pytest.approx(optimum, abs=1e-6)
    cg = cpnopt.solve(inst, "cg").report
    assert cg.objective - 1e-6 <= optimum <= cg.bound + 1e-6
