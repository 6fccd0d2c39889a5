"""Exact offloading methods: LP == water-filling, oracle == brute force, the MILP bounds every method."""

import itertools

import highspy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.formulations.offloading.milp import split_lp, waterfill
from cpnopt.problems.offloading import NetworkState, evaluate, run_policy
from cpnopt.problems.offloading.evaluate import transmission_s
from cpnopt.solution import Status

paths = st.integers(1, 4).flatmap(
    lambda k: st.tuples(
        st.floats(0.1, 100.0),
        st.lists(st.floats(1.0, 1000.0), min_size=k, max_size=k),
        st.lists(st.floats(0.0, 0.05), min_size=k, max_size=k),
    )
)


@settings(max_examples=30, deadline=None)
@given(paths)
def test_lp_equals_water_filling(case):
    data, bw, delay = case[0], np.array(case[1]), np.array(case[2])
    lp, wf = split_lp(data, bw, delay), waterfill(data, bw, delay)
    assert lp.transmission_s == pytest.approx(wf.transmission_s, rel=1e-6, abs=1e-9)
    for result in (lp, wf):  # the reported T is what the evaluator's formula gives for the split
        assert sum(result.split) == pytest.approx(1.0) and min(result.split) >= 0
        assert transmission_s(data, result.split, bw, delay) == pytest.approx(result.transmission_s, rel=1e-6, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(paths, st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4))
def test_water_filling_beats_any_split(case, weights):
    data, bw, delay = case[0], np.array(case[1]), np.array(case[2])
    w = np.array(weights[: len(bw)])
    if w.sum() == 0:
        w[0] = 1.0
    best = waterfill(data, bw, delay).transmission_s
    assert best <= transmission_s(data, w / w.sum(), bw, delay) + 1e-12


def simplex_grid(k: int, steps: int):
    for point in itertools.product(range(steps + 1), repeat=k - 1):
        if sum(point) <= steps:
            yield np.array(list(point) + [steps - sum(point)]) / steps


@pytest.mark.parametrize("seed", range(4))
def test_oracle_equals_brute_force_on_the_first_decision(seed):
    """Brute force over every candidate node × a simplex grid of step h brackets the oracle's latency."""
    inst = cpnopt.generate("offloading", seed=seed, n_tasks=1, n_candidates=4)
    view = NetworkState(inst).view()
    steps = 50
    brute, slack = np.inf, 0.0
    for cand in view.candidates:
        for split in simplex_grid(len(cand.paths), steps):
            brute = min(
                brute, cand.computation_s + transmission_s(view.data_mb, split, cand.bandwidth_mbps, cand.delay_s)
            )
        slack = max(slack, view.data_mb / steps / cand.bandwidth_mbps.min())
    for split in ("lp", "waterfill"):
        oracle = cpnopt.solve(inst, "oracle", split=split).report.objective
        assert oracle <= brute + 1e-9
        assert oracle >= brute - slack


def first_task_latency(inst, decision):
    state = NetworkState(inst)
    comp, tx, found = state.commit(state.view(), decision.nodes[0], decision.splits[0])
    assert not found
    return comp + tx


METHODS = ("oracle", "base1", "base2", "base3", "base4")


@settings(max_examples=4, deadline=None)
@given(st.integers(0, 10_000))
def test_milp_bounds_every_method_and_oracle_wins_each_first_decision(seed):
    inst = cpnopt.generate("offloading", seed=seed, n_tasks=6, arrival_rate_per_s=40.0, n_candidates=4)
    bound = cpnopt.solve(inst, "milp").report.bound
    oracle = cpnopt.solve(inst, "oracle", split="waterfill")
    for method in METHODS:
        sol = oracle if method == "oracle" else cpnopt.solve(inst, method)
        assert sol.feasible
        assert bound <= sol.report.objective + 1e-9, method
        assert first_task_latency(inst, oracle.decision) <= first_task_latency(inst, sol.decision) + 1e-9, method


@pytest.mark.parametrize("seed", range(3))
def test_milp_bound_is_below_brute_force_over_all_node_sequences(seed):
    """Every node sequence, each task split optimally on the state it meets: the MILP stays below all."""
    inst = cpnopt.generate("offloading", seed=seed, n_tasks=4, arrival_rate_per_s=60.0, n_candidates=3)
    milp = cpnopt.solve(inst, "milp")
    best = np.inf
    for nodes in itertools.product(*inst.candidates):

        def policy(view, nodes=nodes):
            cand = next(c for c in view.candidates if c.compute == nodes[view.index])
            return cand.compute, waterfill(view.data_mb, cand.bandwidth_mbps, cand.delay_s).split

        best = min(best, evaluate(inst, run_policy(inst, policy)).objective)
    assert milp.report.bound <= best + 1e-9
    assert best <= milp.report.objective + 1e-9  # its decision is one of the enumerated sequences


@pytest.mark.parametrize("seed", range(3))
def test_milp_is_exact_when_tasks_do_not_overlap(seed):
    """Tasks 20 s apart never share bandwidth: the bound, the MILP's decision and the oracle coincide."""
    inst = cpnopt.generate("offloading", seed=seed, n_tasks=5, arrival_rate_per_s=0.05)
    milp = cpnopt.solve(inst, "milp")
    oracle = cpnopt.solve(inst, "oracle", split="waterfill")
    assert milp.report.model_objective == pytest.approx(milp.report.objective, rel=1e-7)
    assert milp.report.bound == pytest.approx(oracle.report.objective, rel=1e-6)
    assert milp.report.gap == pytest.approx(0.0, abs=1e-6)


def test_milp_bound_is_strictly_informative_under_load():
    """With heavy overlap the coupling rows (R3) lift the bound above the sum of isolated optima."""
    inst = cpnopt.generate("offloading", seed=8, n_tasks=4, arrival_rate_per_s=100.0, n_candidates=3)
    milp = cpnopt.solve(inst, "milp")
    isolated = np.mean(
        [
            min(
                inst.computation_s[j, c]
                + waterfill(
                    t.data_mb,
                    np.array(
                        [
                            inst.flow_share * inst.available_mbps[inst.slot_of(t.arrival_s)][list(p.links)].min()
                            for p in inst.paths(t.access_point, c)
                        ]
                    ),
                    np.array([p.delay_s for p in inst.paths(t.access_point, c)]),
                ).transmission_s
                for c in inst.candidates[j]
            )
            for j, t in enumerate(inst.tasks)
        ]
    )
    assert milp.report.info["pair_binaries"] > 0
    assert milp.report.bound > isolated + 1e-6
    assert milp.report.status is Status.FEASIBLE


def test_time_limit_keeps_a_decision_and_a_valid_bound():
    inst = cpnopt.generate("offloading", seed=2, n_tasks=12, arrival_rate_per_s=50.0)
    sol = cpnopt.solve(inst, "milp", time_limit=0.001, threads=1)
    assert sol.report.status is Status.TIME_LIMIT and sol.feasible
    assert sol.report.bound >= sol.report.info["isolated_bound"]
    assert sol.report.bound <= cpnopt.solve(inst, "oracle", split="waterfill").report.objective + 1e-9
    assert sol.report.bound <= sol.report.objective + 1e-9


def test_written_model_resolves_to_the_bound(tmp_path):
    inst = cpnopt.generate("offloading", seed=1, n_tasks=4, arrival_rate_per_s=40.0)
    path = tmp_path / "bound.mps"
    sol = cpnopt.solve(inst, "milp", write_model=str(path))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(sol.report.bound, rel=1e-6)


def test_bad_options_name_the_option():
    inst = cpnopt.generate("offloading", seed=0, n_tasks=2)
    with pytest.raises(cpnopt.InputError, match="split"):
        cpnopt.solve(inst, "oracle", split="greedy")
    with pytest.raises(cpnopt.InputError, match="time_limit"):
        cpnopt.solve(inst, "milp", time_limit=-1)


@pytest.mark.slow
@pytest.mark.parametrize("topology", ["sndlib/abilene", "sndlib/geant", "gabriel"])
@pytest.mark.parametrize("seed", range(5))
def test_study_milp_bound_below_brute_force_and_every_method(topology, seed):
    """The brute-force and bound checks on 5 tasks × 3 candidates at heavy load, three topologies; run with -m slow."""
    inst = cpnopt.generate(
        "offloading", seed=seed, topology=topology, n_tasks=5, arrival_rate_per_s=80.0, n_candidates=3
    )
    bound = cpnopt.solve(inst, "milp").report.bound
    for nodes in itertools.product(*inst.candidates):

        def policy(view, nodes=nodes):
            cand = next(c for c in view.candidates if c.compute == nodes[view.index])
            return cand.compute, waterfill(view.data_mb, cand.bandwidth_mbps, cand.delay_s).split

        assert bound <= evaluate(inst, run_policy(inst, policy)).objective + 1e-9
    for method in METHODS:
        assert bound <= cpnopt.solve(inst, method).report.objective + 1e-9
