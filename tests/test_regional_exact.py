"""Regional MILP is exact: it equals brute force, agrees with the evaluator, keeps a bound under a time limit."""

import highspy
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.solution import Status

HEURISTICS = ["two-stage", "nearest-region", "cheapest-region", "random"]


def tiny(seed, n_east=1, n_west=1, servers_per_region=2, n_tasks=6, **params):
    """A tiny East-to-West instance that enumeration solves, busy enough for queues to matter."""
    return cpnopt.generate(
        "regional",
        seed=seed,
        n_east=n_east,
        n_west=n_west,
        servers_per_region=servers_per_region,
        n_tasks=n_tasks,
        arrivals_per_s=4.0,
        **params,
    )


@pytest.fixture(scope="module")
def default_instance():
    return cpnopt.generate("regional", seed=0)


@pytest.fixture(scope="module")
def default_milp(default_instance):
    return cpnopt.solve(default_instance, "milp")


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    "fifo,cuts", [("window", True), ("window", False), ("completion", True), ("completion", False)]
)
def test_milp_equals_brute_force_on_tiny_instances(seed, fifo, cuts):
    inst = tiny(seed, n_tasks=5 + seed % 2)
    brute = cpnopt.solve(inst, "enumerate")
    exact = cpnopt.solve(inst, "milp", fifo=fifo, interval_cuts=cuts)
    assert exact.report.status is Status.OPTIMAL
    assert brute.feasible and exact.feasible
    assert exact.report.objective == pytest.approx(brute.report.objective, rel=1e-7, abs=1e-6)


def test_tiny_instances_make_deadlines_profit_and_queueing_bind():
    """The brute-force check is only worth something if every constraint cuts somewhere."""
    instances = [tiny(seed, n_tasks=5 + seed % 2) for seed in range(5)]
    figures = [cpnopt.get_family("regional").describe(inst) for inst in instances]
    assert min(f["pairs_deadline_feasible"] for f in figures) < 1
    assert min(f["pairs_profitable"] for f in figures) < 1
    # queueing binds: on some instance the optimum is below every task on its best server alone
    alone = [float(np.where(inst.eligible, inst.margin, 0).max(axis=1).sum()) for inst in instances]
    optimum = [cpnopt.solve(inst, "enumerate").report.objective for inst in instances]
    assert any(o < a - 1e-6 for o, a in zip(optimum, alone))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_east=st.integers(1, 2),
    n_west=st.integers(0, 2),
    servers_per_region=st.integers(1, 2),
    n_tasks=st.integers(0, 6),
    east_demand_share=st.floats(0.5, 1.0),
)
def test_exact_optimum_bounds_every_heuristic(seed, n_east, n_west, servers_per_region, n_tasks, east_demand_share):
    if (n_east + n_west) * servers_per_region > 4:
        servers_per_region = 1
    inst = tiny(
        seed,
        n_east=n_east,
        n_west=n_west,
        servers_per_region=servers_per_region,
        n_tasks=n_tasks,
        east_demand_share=east_demand_share,
    )
    optimum = cpnopt.solve(inst, "milp").report
    assert optimum.status is Status.OPTIMAL
    assert optimum.objective == pytest.approx(cpnopt.solve(inst, "enumerate").report.objective, abs=1e-6)
    for name, options in [(name, {}) for name in HEURISTICS] + [("two-stage", {"estimate": "best"})]:
        sol = cpnopt.solve(inst, name, **options)
        assert sol.feasible, (name, options, sol.evaluation.violations)
        assert sol.report.objective <= optimum.objective + 1e-6, (name, options)


def test_milp_objective_equals_evaluator(default_milp):
    assert default_milp.report.status is Status.OPTIMAL
    assert default_milp.report.model_objective == pytest.approx(default_milp.report.objective, rel=1e-9)
    assert default_milp.report.bound == pytest.approx(default_milp.report.objective, rel=1e-6)
    assert default_milp.report.gap == pytest.approx(0.0, abs=1e-6)


def test_optimum_bounds_the_heuristics_on_the_default_instance(default_instance, default_milp):
    for name in HEURISTICS:
        sol = cpnopt.solve(default_instance, name)
        assert sol.feasible and sol.report.objective <= default_milp.report.objective + 1e-6, name


def test_time_limit_keeps_incumbent_and_bound():
    # 12 servers × 40 tasks: built in 1–4 s, root LP well under a second, not provable in 60 s
    # on this machine (benchmarks/results/regional.md); 6 s leave HiGHS time for a bound
    inst = cpnopt.generate("regional", seed=0, servers_per_region=3, n_tasks=40)
    sol = cpnopt.solve(inst, "milp", time_limit=6.0, threads=1, warm_start="two-stage")
    assert sol.report.status is Status.TIME_LIMIT
    assert sol.feasible  # the two-stage start is an incumbent
    assert sol.report.objective >= cpnopt.solve(inst, "two-stage").report.objective - 1e-6
    assert sol.report.bound is not None and sol.report.bound >= sol.report.objective - 1e-6


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_written_model_resolves_to_the_same_optimum(tmp_path, default_instance, default_milp, suffix):
    path = tmp_path / f"regional{suffix}"
    cpnopt.solve(default_instance, "milp", write_model=str(path))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert abs(h.getInfo().objective_function_value) == pytest.approx(default_milp.report.objective, rel=1e-7)


def test_nothing_servable_is_optimal_with_profit_zero():
    inst = tiny(0, deadline_s=[0.1, 0.2])  # no task can finish in 0.2 s
    sol = cpnopt.solve(inst, "milp")
    assert sol.report.status is Status.OPTIMAL and sol.report.objective == 0.0
    assert sol.evaluation.metrics["acceptance_rate"] == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_study_milp_equals_brute_force_at_enumeration_limit(seed):
    """The same check at 4 servers × 8 tasks (5^8 assignments); run with -m slow."""
    inst = tiny(seed, n_east=2, n_west=2, servers_per_region=1, n_tasks=8)
    optimum = cpnopt.solve(inst, "enumerate").report.objective
    assert cpnopt.solve(inst, "milp").report.objective == pytest.approx(optimum, abs=1e-6)


@pytest.mark.parametrize("fifo", ["window", "completion"])
def test_warm_start_keeps_the_optimum(fifo):
    inst = tiny(1, n_tasks=6)
    optimum = cpnopt.solve(inst, "enumerate").report.objective
    assert cpnopt.solve(inst, "milp", fifo=fifo, warm_start="two-stage").report.objective == pytest.approx(
        optimum, abs=1e-6
    )
