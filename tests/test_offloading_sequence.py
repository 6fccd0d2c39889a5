"""``seq-opt``: the exact optimum of a whole offloading task sequence under the evaluator's dynamics.

Brute force here is the evaluator itself: every node sequence × a grid of splits, replayed task
by task on the evaluator's own :class:`NetworkState` — no code of ``seq-opt`` is reused.
"""

import copy
import itertools

import highspy
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.formulations.offloading.sequence import bounded_fill
from cpnopt.problems.offloading import NetworkState
from cpnopt.registry import get_method
from cpnopt.solution import Status

TINY = {"n_tasks": 2, "n_candidates": 2, "k_paths": 2, "arrival_rate_per_s": 40.0}
STEPS = 40  # split grid of the brute force


def grid_brute_force(inst, steps: int = STEPS) -> float:
    """Least total latency over every node sequence × split grid (step 1/steps), replayed by the evaluator."""

    def best_from(state: NetworkState) -> float:
        if state.next_task == inst.n_tasks:
            return 0.0
        view, best = state.view(), np.inf
        for cand in view.candidates:
            grid = [[i / steps, 1 - i / steps] for i in range(steps + 1)] if len(cand.paths) == 2 else [[1.0]]
            for split in grid:
                after = copy.copy(state)  # the instance is shared, the held flowlets are not
                after._active = list(state._active)
                comp, tx, found = after.commit(view, cand.compute, split)
                if not found:
                    best = min(best, comp + tx + best_from(after))
        return best

    return best_from(NetworkState(inst)) / inst.n_tasks


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_seq_opt_is_at_least_as_good_as_every_grid_decision(seed):
    inst = cpnopt.generate("offloading", seed=seed, **TINY)
    sol = cpnopt.solve(inst, "seq-opt")
    assert sol.report.status is Status.OPTIMAL and sol.feasible
    assert sol.report.objective <= grid_brute_force(inst) + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_seq_opt_equals_brute_force_on_tiny_instances(seed):
    """The grid's best is within the grid's resolution of seq-opt's optimum (from above)."""
    inst = cpnopt.generate("offloading", seed=seed, **TINY)
    opt = cpnopt.solve(inst, "seq-opt").report.objective
    brute = grid_brute_force(inst, 100)
    view = NetworkState(inst).view()
    resolution = max(view.data_mb / 100 / c.bandwidth_mbps.min() for c in view.candidates) * 2
    assert opt <= brute + 1e-9
    assert brute <= opt + resolution


@pytest.mark.parametrize("seed", range(3))
def test_objective_is_the_evaluators_and_the_search_value(seed):
    inst = cpnopt.generate("offloading", seed=seed, n_tasks=8)
    sol = cpnopt.solve(inst, "seq-opt", time_limit=120, threads=1)
    assert sol.report.status is Status.OPTIMAL and sol.feasible
    assert sol.report.objective == pytest.approx(cpnopt.evaluate(inst, sol.decision).objective, rel=1e-12)
    assert sol.report.bound == pytest.approx(sol.report.objective, rel=1e-9)
    if sol.report.model_objective is not None:  # the patterns' split LP, solved by HiGHS
        assert sol.report.model_objective == pytest.approx(sol.report.objective, rel=1e-6)


METHODS = (
    "oracle",
    "base1",
    "base2",
    "base3",
    "base4",
    "milp",
    "rlms",
    "rlms-mlp",
    "gnn-dqn",
    "gnn-dqn-latency",
    "sb3-ppo",
)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(2, 5))
def test_seq_opt_bounds_every_heuristic_and_learned_method(seed, n_tasks):
    inst = cpnopt.generate("offloading", seed=seed, n_tasks=n_tasks, arrival_rate_per_s=10.0)
    opt = cpnopt.solve(inst, "seq-opt", time_limit=120, threads=1)
    assert opt.report.status is Status.OPTIMAL
    for method in [m for m in METHODS if get_method("offloading", m).available()]:
        sol = cpnopt.solve(inst, method)
        assert opt.report.objective <= sol.report.objective + 1e-9, method
        if method == "milp":  # the relaxation's bound stays below the true optimum
            assert sol.report.bound <= opt.report.objective + 1e-9


def test_seq_opt_beats_the_myopic_oracle_when_tasks_overlap():
    """Seed 1, 6 tasks at 5/s: finishing a flowlet before the next arrival pays off (found by seq-opt)."""
    inst = cpnopt.generate("offloading", seed=1, n_tasks=6)
    opt = cpnopt.solve(inst, "seq-opt").report.objective
    oracle = cpnopt.solve(inst, "oracle", split="waterfill").report.objective
    assert opt < oracle * (1 - 0.01)


def test_written_model_resolves_to_the_optimum(tmp_path):
    inst = cpnopt.generate("offloading", seed=0, n_tasks=6)
    path = tmp_path / "seq.mps"
    sol = cpnopt.solve(inst, "seq-opt", write_model=str(path))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(sol.report.objective, rel=1e-7)


def test_time_limit_keeps_the_best_sequence_and_a_valid_bound():
    inst = cpnopt.generate("offloading", seed=1, n_tasks=20)
    sol = cpnopt.solve(inst, "seq-opt", time_limit=0.5, threads=1)
    oracle = cpnopt.solve(inst, "oracle", split="waterfill").report.objective
    assert sol.report.status is Status.TIME_LIMIT and sol.feasible
    assert sol.report.objective <= oracle + 1e-12
    assert sol.report.bound <= sol.report.objective + 1e-12


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 3).flatmap(
        lambda k: st.tuples(
            st.lists(st.floats(1.0, 500.0), min_size=k, max_size=k),
            st.lists(st.floats(0.0, 0.05), min_size=k, max_size=k),
            st.lists(st.floats(0.0, 0.2), min_size=k, max_size=k),
            st.lists(st.floats(0.0, 0.3), min_size=k, max_size=k),
        )
    ),
    st.floats(0.5, 50.0),
)
def test_bounded_fill_is_feasible_and_beats_a_grid(case, data):
    """Σ bw τ = D, lo ≤ τ ≤ hi, and no grid point of the box does better."""
    bw, delay, lo, width = (list(x) for x in case)
    hi = [a + b for a, b in zip(lo, width)]
    fill = bounded_fill(data, bw, delay, lo, hi)
    feasible = sum(b * x for b, x in zip(bw, lo)) <= data <= sum(b * x for b, x in zip(bw, hi))
    assert (fill is not None) == feasible
    if fill is None:
        return
    assert sum(b * t for b, t in zip(bw, fill.durations)) == pytest.approx(data, rel=1e-9, abs=1e-9)
    assert all(a - 1e-12 <= t <= b + 1e-12 for a, t, b in zip(lo, fill.durations, hi))
    assert fill.transmission_s == pytest.approx(max(t + d for t, d in zip(fill.durations, delay)), abs=1e-12)
    for point in itertools.product(*(np.linspace(a, b, 9) for a, b in zip(lo[:-1], hi[:-1]))):
        last = (data - sum(b * t for b, t in zip(bw, point))) / bw[-1]
        if lo[-1] <= last <= hi[-1]:
            assert fill.transmission_s <= max(t + d for t, d in zip([*point, last], delay)) + 1e-9


def test_model_is_written_also_when_the_oracle_is_optimal(tmp_path):
    """Tasks 20 s apart never share bandwidth: the oracle's sequence is optimal, and the model still comes out."""
    inst = cpnopt.generate("offloading", seed=0, n_tasks=4, arrival_rate_per_s=0.05)
    path = tmp_path / "seq.lp"
    sol = cpnopt.solve(inst, "seq-opt", write_model=str(path))
    oracle = cpnopt.solve(inst, "oracle", split="waterfill").report.objective
    assert sol.report.status is Status.OPTIMAL
    assert sol.report.objective == pytest.approx(oracle, rel=1e-9)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(sol.report.objective, rel=1e-7)
