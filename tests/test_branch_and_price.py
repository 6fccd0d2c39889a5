"""Branch-and-price (method ``bp``, both families): exact pricing, exact optimum, valid bounds, every incumbent feasible."""

import csv
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_instance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.errors import InputError
from cpnopt.fifo import fifo_schedule
from cpnopt.formulations.clustering import bp as clustering_bp
from cpnopt.formulations.clustering.cg import Column, decision_from_columns
from cpnopt.formulations.common.branch_and_price import BranchAndPrice
from cpnopt.formulations.common.fifo_pricing import FORBIDDEN, FORCED, FREE, QueueTable, price
from cpnopt.formulations.regional import bp as regional_bp
from cpnopt.problems.regional import RegionalDecision
from cpnopt.registry import methods
from cpnopt.solution import Status


def tiny_regional(seed, n_tasks=6):
    return cpnopt.generate(
        "regional", seed=seed, n_east=1, n_west=1, servers_per_region=2, n_tasks=n_tasks, arrivals_per_s=4.0
    )


def tiny_clustering(seed, n_servers=4, n_tasks=6):
    return tiny_instance(seed, n_servers=n_servers, n_tasks=n_tasks, max_cluster_size=3, deadline_s=[1.5, 2.5])


# ---------------------------------------------------------------------- pricing
@settings(max_examples=150, deadline=None)
@given(n=st.integers(0, 8), data=st.data())
def test_compiled_pricing_equals_enumeration_of_subsets_with_forbidden_and_forced_tasks(n, data):
    floats = lambda lo, hi: st.lists(st.floats(lo, hi), min_size=n, max_size=n)
    release = np.array(sorted(data.draw(floats(0.0, 3.0))))
    processing = np.array(data.draw(floats(0.1, 2.0)))
    due = release + processing + np.array(data.draw(floats(0.0, 3.0)))
    margin = np.array(data.draw(floats(-5.0, 10.0)))
    dual = np.array(data.draw(floats(0.0, 4.0)))
    state = np.array(
        data.draw(st.lists(st.sampled_from([FREE, FREE, FREE, FORBIDDEN, FORCED]), min_size=n, max_size=n)),
        dtype=np.int8,
    )
    table = QueueTable.build([np.arange(n)], [release], [processing], [due], [margin])
    priced = price(table, np.array([0]), dual, state)
    weight = margin - dual
    best = -np.inf
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            s = list(subset)
            if any(state[j] == FORBIDDEN for j in s) or any(state[j] == FORCED and j not in s for j in range(n)):
                continue
            if np.all(fifo_schedule(release[s], processing[s]).completion_s <= due[s] + 1e-9):
                best = max(best, float(weight[s].sum()))
    assert priced.values[0] == pytest.approx(best, abs=1e-7)
    if np.isfinite(best):
        s = list(priced.tasks(0))
        assert priced.values[0] == pytest.approx(float(weight[s].sum()), abs=1e-7)
        assert np.all(fifo_schedule(release[s], processing[s]).completion_s <= due[s] + 1e-9)
        assert all(state[j] != FORBIDDEN for j in s) and all(j in s for j in range(n) if state[j] == FORCED)


# ---------------------------------------------------------------------- exactness
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_servers=st.integers(3, 5), n_tasks=st.integers(4, 7))
def test_clustering_bp_equals_milp_and_enumeration(seed, n_servers, n_tasks):
    inst = tiny_clustering(seed, n_servers, n_tasks)
    brute = cpnopt.solve(inst, "enumerate").report.objective
    milp = cpnopt.solve(inst, "milp").report.objective
    bp = cpnopt.solve(inst, "bp")
    assert bp.feasible and bp.report.status is Status.OPTIMAL
    assert bp.report.objective == pytest.approx(brute, rel=1e-7, abs=1e-6)
    assert bp.report.objective == pytest.approx(milp, rel=1e-7, abs=1e-6)
    assert bp.report.model_objective == pytest.approx(bp.report.objective, rel=1e-9, abs=1e-6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_tasks=st.integers(4, 6))
def test_regional_bp_equals_milp_and_enumeration(seed, n_tasks):
    inst = tiny_regional(seed, n_tasks)
    brute = cpnopt.solve(inst, "enumerate").report.objective
    milp = cpnopt.solve(inst, "milp").report.objective
    bp = cpnopt.solve(inst, "bp")
    assert bp.feasible and bp.report.status is Status.OPTIMAL
    assert bp.report.objective == pytest.approx(brute, rel=1e-7, abs=1e-6)
    assert bp.report.objective == pytest.approx(milp, rel=1e-7, abs=1e-6)
    assert bp.report.model_objective == pytest.approx(bp.report.objective, rel=1e-9, abs=1e-6)


# ---------------------------------------------------------------------- bounds
@pytest.mark.parametrize("family", ["clustering", "regional"])
def test_bp_bound_is_at_least_every_heuristic_and_learned_method(family):
    inst = cpnopt.generate(family, seed=3)
    bp = cpnopt.solve(inst, "bp")
    assert bp.report.status is Status.OPTIMAL
    others = [m.name for m in methods(family).values() if m.kind in ("heuristic", "learned") and m.available()]
    assert others
    for name in others:
        result = cpnopt.solve(inst, name)
        assert result.feasible, name
        assert bp.report.bound >= result.report.objective - 1e-6, name


class RecordingBranchAndPrice(BranchAndPrice):
    """The engine, keeping every plan it accepts as an incumbent."""

    def offer(self, chosen):
        before = self.incumbent_value
        super().offer(chosen)
        if self.incumbent_value > before:
            self.history.append((list(self.incumbent), self.incumbent_value))


def test_every_clustering_incumbent_passes_the_evaluator():
    inst = cpnopt.generate("clustering", seed=1)  # root LP fractional: incumbents from the tree too
    problem, clusters, terms = clustering_bp.packing_problem(inst)
    solver = RecordingBranchAndPrice(problem, time_limit=30)
    solver.history = []
    starts = [
        clustering_bp.start_columns(solver, clusters, cpnopt.solve(inst, name).decision)
        for name in clustering_bp.WARM_START_HEURISTICS
    ]
    result = solver.solve(starts)
    assert result.proven and len(solver.history) >= 2
    for plan, value in solver.history:
        decision = decision_from_columns(inst, clusters, terms, [Column(c.queue, c.tasks, c.profit) for c in plan])
        evaluation = cpnopt.evaluate(inst, decision)
        assert evaluation.feasible, evaluation.violations
        assert evaluation.objective == pytest.approx(value, rel=1e-9)


def test_every_regional_incumbent_passes_the_evaluator():
    inst = cpnopt.generate("regional", seed=0, servers_per_region=3, n_tasks=30)
    solver = RecordingBranchAndPrice(regional_bp.packing_problem(inst), time_limit=30)
    solver.history = []
    result = solver.solve([])
    assert result.proven and len(solver.history) >= 2
    for plan, value in solver.history:
        assignment = [None] * inst.n_tasks
        for c in plan:
            for n in c.tasks:
                assignment[n] = c.queue
        evaluation = cpnopt.evaluate(inst, RegionalDecision(tuple(assignment)))
        assert evaluation.feasible, evaluation.violations
        assert evaluation.objective == pytest.approx(value, rel=1e-9)


# ---------------------------------------------------------------------- the tree
@pytest.mark.parametrize("family,seed", [("clustering", 1), ("regional", 0)])
def test_branching_closes_a_fractional_root(family, seed):
    """The root LP bound is above the optimum, so only branching can prove it."""
    inst = cpnopt.generate(family, seed=seed)
    milp = cpnopt.solve(inst, "milp")
    bp = cpnopt.solve(inst, "bp", warm_start_heuristics=False)
    info = bp.report.info
    assert info["root_bound"] > milp.report.objective * (1 + 1e-5)
    assert info["nodes"] > 1
    assert bp.report.status is Status.OPTIMAL
    assert bp.report.objective == pytest.approx(milp.report.objective, rel=1e-6)


@pytest.mark.parametrize("family,seed", [("clustering", 1), ("regional", 0)])
def test_stopped_search_keeps_a_valid_bound_and_incumbent(family, seed):
    inst = cpnopt.generate(family, seed=seed)
    optimum = cpnopt.solve(inst, "milp").report.objective
    bp = cpnopt.solve(inst, "bp", max_nodes=1, warm_start_heuristics=False)
    assert bp.report.status is Status.TIME_LIMIT
    assert bp.feasible
    assert bp.report.objective <= optimum + 1e-6 <= bp.report.bound + 2e-6
    assert bp.report.info["open_nodes"] >= 1


def test_time_limit_returns_bound_and_incumbent_and_writes_the_trace(tmp_path):
    inst = cpnopt.generate("regional", seed=0, servers_per_region=6, n_tasks=100)
    path = tmp_path / "trace.csv"
    bp = cpnopt.solve(inst, "bp", time_limit=4, threads=1, trace=str(path))
    assert bp.report.status is Status.TIME_LIMIT and bp.feasible
    two_stage = cpnopt.solve(inst, "two-stage").report.objective
    assert bp.report.bound >= bp.report.objective >= two_stage - 1e-6
    assert bp.report.runtime_s < 30
    rows = list(csv.DictReader(path.open()))
    assert rows and [float(r["incumbent"]) for r in rows] == sorted(float(r["incumbent"]) for r in rows)
    bounds = [float(r["bound"]) for r in rows]
    assert bounds == sorted(bounds, reverse=True)
    assert float(rows[-1]["incumbent"]) == pytest.approx(bp.report.objective, rel=1e-9)


def test_time_limit_bounds_the_search_not_the_pricing_dp_compilation(tmp_path):
    # A fresh numba cache forces a compilation (seconds) inside a fresh process; the time
    # limit (1 s, ample for this instance once compiled) must count the search only.
    script = (
        "import cpnopt; from conftest import tiny_instance;"
        "inst = tiny_instance(0, n_servers=4, n_tasks=6, max_cluster_size=3, deadline_s=[1.5, 2.5]);"
        "r = cpnopt.solve(inst, 'bp', time_limit=1, threads=1).report;"
        "print(r.status.value, r.info['pricing_s'])"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).parent)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    status, pricing_s = run.stdout.split()
    assert status == "optimal" and float(pricing_s) < 1.0
    assert list(tmp_path.rglob("*.nbi"))  # the run did compile into the fresh cache


def test_bad_option_names_the_field():
    inst = tiny_regional(0)
    with pytest.raises(InputError, match="smoothing"):
        cpnopt.solve(inst, "bp", smoothing=1.5)


def test_cli_writes_the_trace_keeps_stdout_clean_and_rejects_bad_options(tmp_path):
    inst_path, trace = tmp_path / "inst.json", tmp_path / "trace.csv"
    cli = lambda *args: subprocess.run([sys.executable, "-m", "cpnopt.cli", *args], capture_output=True, text=True)
    assert cli("generate", "clustering", "--seed", "1", "-o", str(inst_path)).returncode == 0
    run = cli("solve", str(inst_path), "--method", "bp", "--threads", "1", "--json", "--option", f"trace={trace}")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)  # one JSON object: no solver banner on stdout
    assert summary["status"] == "optimal" and summary["feasible"]
    assert trace.read_text().startswith("time_s,incumbent,bound")
    bad = cli("solve", str(inst_path), "--method", "bp", "--option", "smoothing=2")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "smoothing" in bad.stderr


@pytest.mark.parametrize("family", ["clustering", "regional"])
def test_written_master_re_solves_to_the_bp_optimum(family, tmp_path):
    import highspy

    inst = cpnopt.generate(family, seed=0)
    path = tmp_path / "master.mps"
    solved = cpnopt.solve(inst, "bp", write_model=str(path), threads=1)
    assert solved.report.status is Status.OPTIMAL
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.readModel(str(path))
    highs.run()
    assert highs.getInfo().objective_function_value == pytest.approx(solved.report.objective, rel=1e-6)


def test_a_root_cut_by_the_time_limit_still_searches_the_generated_columns():
    """At 60 servers on a loaded machine the root's column generation used the whole limit and bp
    returned its warm start while its column pool held a far better plan (cg's). The root now
    stops at 1 − ROOT_RESERVE of the limit and the rest goes to the pool's restricted master."""
    inst = cpnopt.generate("clustering", seed=0, n_servers=40, n_slots=4, arrivals_per_slot=40, n_metro_areas=5)
    bp = cpnopt.solve(inst, "bp", time_limit=3, threads=1)
    info = bp.report.info
    assert info["root_cut"] and info["mip_runs"] >= 1 and info["nodes"] == 1
    assert bp.report.status is Status.TIME_LIMIT and bp.feasible
    assert bp.report.bound >= bp.report.objective
    starts = [cpnopt.solve(inst, m).report.objective for m in ("km-rea", "km-ob-rea", "rand-ob-rea")]
    assert bp.report.objective > 1.5 * max(starts)  # the pool's plan, not the warm start (≈ 2.4× here)
