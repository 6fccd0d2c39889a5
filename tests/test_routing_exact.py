"""The routing MILP is exact: it equals brute force, agrees with the evaluator, keeps a bound under limits."""

import highspy
import pytest
from test_routing_fixtures import small, tiny

import cpnopt
from cpnopt.solution import Status

VARIANTS = [
    {},  # 3 users in one frame
    {"n_users": 2, "n_frames": 2},  # 2 users, 2 frames
    {"n_routers": 0},  # users at compute nodes: computing at the access node competes with routing
    {"switch_slots": 0, "size_mb": 12.0},  # no switching delay, longer link occupations
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("variant", range(len(VARIANTS)))
def test_milp_equals_brute_force_on_tiny_instances(seed, variant):
    inst = tiny(seed, **VARIANTS[variant])
    brute = cpnopt.solve(inst, "enumerate")
    exact = cpnopt.solve(inst, "milp")
    assert exact.report.status is Status.OPTIMAL
    assert brute.feasible and exact.feasible, (brute.evaluation.violations, exact.evaluation.violations)
    assert exact.report.objective == pytest.approx(brute.report.objective, rel=1e-7, abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("routers", [2, 0])
def test_milp_equals_brute_force_at_the_enumeration_limit(seed, routers):
    """7 nodes, 4 tasks per frame, 2 frames, the paper's 0.1 s slots and 2 s bound (20 slots)."""
    inst = small(seed, n_nodes=7 - routers, n_routers=routers, n_frames=2, size_mb=10.0)
    brute = cpnopt.solve(inst, "enumerate")
    exact = cpnopt.solve(inst, "milp")
    assert exact.report.status is Status.OPTIMAL and exact.feasible
    assert exact.report.objective == pytest.approx(brute.report.objective, rel=1e-7, abs=1e-9)


def test_tiny_instances_make_links_and_latency_bind():
    """Brute force = MILP only means something if tasks wait for links and some are rejected."""
    metrics = [cpnopt.solve(tiny(s, **VARIANTS[v]), "enumerate").evaluation.metrics for s in range(4) for v in range(2)]
    assert max(m["mean_offset_s"] for m in metrics) > 0
    assert min(m["acceptance_rate"] for m in metrics) < 1
    assert max(m["mean_transmission_s"] for m in metrics) > 0


@pytest.fixture(scope="module")
def default_milp():
    inst = cpnopt.generate("routing", seed=0, n_frames=1)
    return inst, cpnopt.solve(inst, "milp")


def test_milp_objective_equals_evaluator(default_milp):
    _, sol = default_milp
    assert sol.report.status is Status.OPTIMAL
    assert sol.report.model_objective == pytest.approx(sol.report.objective, rel=1e-9)
    assert sol.report.bound == pytest.approx(sol.report.objective, rel=1e-6)


def test_cut_path_set_reports_feasible_without_bound(default_milp):
    inst, full = default_milp
    cut = cpnopt.solve(inst, "milp", k_paths=1)
    assert cut.feasible
    assert cut.report.status is Status.FEASIBLE and cut.report.bound is None
    assert cut.report.info["path_restricted_bound"] == pytest.approx(cut.report.objective, rel=1e-6)
    assert cut.report.objective <= full.report.objective + 1e-9


def test_time_limit_keeps_a_feasible_incumbent_and_bound():
    inst = cpnopt.generate("routing", seed=0, n_users=8, n_frames=1)  # the model build alone outlasts the limit
    sol = cpnopt.solve(inst, "milp", time_limit=0.01, threads=1)
    assert sol.report.status is Status.TIME_LIMIT
    assert sol.feasible
    if sol.report.bound is not None:
        assert sol.report.bound >= sol.report.objective - 1e-6


def test_written_model_resolves_to_the_same_optimum(tmp_path):
    inst = small(0)
    path = tmp_path / "routing.mps"
    sol = cpnopt.solve(inst, "milp", write_model=str(path))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert abs(h.getInfo().objective_function_value) == pytest.approx(sol.report.objective, rel=1e-6)


def test_enumerate_refuses_large_instances():
    with pytest.raises(cpnopt.InputError, match="too large for enumerate"):
        cpnopt.solve(cpnopt.generate("routing", seed=0), "enumerate")


def test_instance_where_no_task_meets_its_latency_rejects_all():
    inst = small(0, max_latency_s=0.05)  # shorter than any computation
    for method in ("milp", "fp-qt", "random"):
        sol = cpnopt.solve(inst, method)
        assert sol.feasible and sol.report.objective == 0.0
        assert sol.evaluation.metrics["acceptance_rate"] == 0.0
