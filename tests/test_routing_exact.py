"""The routing MILP is exact: it equals brute force, agrees with the evaluator, keeps a bound under limits."""

import highspy
import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_routing_fixtures import small, tiny

import cpnopt
from cpnopt.formulations.routing.milp import candidate_paths
from cpnopt.solution import Status
from cpnopt.solvers.highs import MatrixProgram, solve_matrix

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


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), variant=st.sampled_from(range(len(VARIANTS))), tuned=st.booleans())
def test_milp_equals_brute_force_on_random_tiny_instances(seed, variant, tuned):
    """Either HiGHS setting (``tuned``: presolve and feasibility jump off) proves the brute-force optimum."""
    inst = tiny(seed, **VARIANTS[variant])
    brute = cpnopt.solve(inst, "enumerate")
    exact = cpnopt.solve(inst, "milp", tuned=tuned)
    assert exact.report.status is Status.OPTIMAL and exact.feasible
    assert exact.report.objective == pytest.approx(brute.report.objective, rel=1e-7, abs=1e-9)
    assert exact.report.model_objective == pytest.approx(exact.report.objective, rel=1e-9, abs=1e-9)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), routers=st.sampled_from([0, 2]), size=st.sampled_from([5.0, 20.0]))
def test_candidate_paths_are_the_simple_paths_that_can_meet_the_bound(seed, routers, size):
    """The pruned depth-first search lists exactly networkx's simple paths whose no-wait arrival meets H_{u,n},
    fastest first per destination (ties by path)."""
    inst = small(seed, n_routers=routers, size_mb=size, max_latency_s=2.5)
    for u in range(inst.n_tasks):
        expected = []
        for n in range(inst.n_nodes):
            horizon = inst.horizon_slots[u, n]
            if horizon < 0:
                continue
            every = {tuple(p) for p in nx.all_simple_paths(inst.graph, inst.access_node(u), n)}
            every |= {(n,)} if n == inst.access_node(u) else set()
            expected += [p for a, p in sorted((inst.no_wait_arrival(u, p), p) for p in every) if a <= horizon]
        assert candidate_paths(inst, u, list(range(inst.n_nodes)))[0] == expected


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


def test_written_models_of_every_frame_resolve_to_the_optimum(tmp_path):
    """Two frames: one LP file per frame (``routing.frame0.lp``, …), their optima sum to the method's."""
    inst = small(1, n_frames=2)
    sol = cpnopt.solve(inst, "milp", write_model=str(tmp_path / "routing.lp"))
    assert sol.report.status is Status.OPTIMAL
    total = 0.0
    for t in range(2):
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(str(tmp_path / f"routing.frame{t}.lp"))
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        total += abs(h.getInfo().objective_function_value)
    assert total == pytest.approx(sol.report.objective, rel=1e-6)


def test_solve_matrix_reports_optimum_incumbent_and_infeasibility():
    """max 3a + 2b + 2c, a + b ≤ 1, a + c ≤ 1 over binaries: b = c = 1 (4); adding a + b + c ≥ 3 is infeasible."""
    columns = dict(starts=np.array([0, 2, 3]), rows=np.array([0, 1, 0, 1]), values=np.ones(4))
    program = MatrixProgram(
        row_lower=np.array([-np.inf, -np.inf]),
        row_upper=np.array([1.0, 1.0]),
        costs=np.array([3.0, 2.0, 2.0]),
        upper=np.ones(3),
        integer=np.ones(3, dtype=bool),
        **columns,
    )
    result, values = solve_matrix(program)
    assert result.status is Status.OPTIMAL and result.objective == pytest.approx(4.0) == result.bound
    assert values.tolist() == pytest.approx([0.0, 1.0, 1.0])
    infeasible = MatrixProgram(
        row_lower=np.array([-np.inf, -np.inf, 3.0]),
        row_upper=np.array([1.0, 1.0, np.inf]),
        costs=program.costs,
        upper=np.ones(3),
        integer=np.ones(3, dtype=bool),
        starts=np.array([0, 3, 5]),
        rows=np.array([0, 1, 2, 0, 2, 1, 2]),
        values=np.ones(7),
    )
    result, values = solve_matrix(infeasible, highs_options={"presolve": "off"})
    assert result.status is Status.INFEASIBLE and values is None


def test_enumerate_refuses_large_instances():
    with pytest.raises(cpnopt.InputError, match="too large for enumerate"):
        cpnopt.solve(cpnopt.generate("routing", seed=0), "enumerate")


def test_instance_where_no_task_meets_its_latency_rejects_all():
    inst = small(0, max_latency_s=0.05)  # shorter than any computation
    for method in ("milp", "fp-qt", "random"):
        sol = cpnopt.solve(inst, method)
        assert sol.feasible and sol.report.objective == 0.0
        assert sol.evaluation.metrics["acceptance_rate"] == 0.0
