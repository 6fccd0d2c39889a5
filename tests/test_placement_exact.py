"""The GWP MILP is exact: it equals brute force, agrees with the evaluator, and per-iteration = offline."""

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cpnopt
from cpnopt.formulations.placement import milp as placement_milp
from cpnopt.formulations.placement.milp import SCALE, add_iteration, capacities, least_makespans
from cpnopt.solution import Status
from cpnopt.solvers.highs import solve_pyomo
from cpnopt.solvers.placement.enumerate import MAX_COMBINATIONS, candidates_per_iteration, compositions


def tiny(seed, n_devices=3, n_layers=2, levels=(1.0,), **params):
    """2–3 devices, 1–2 layers of 2–4 neurons (MobileNet's first layers at width 1/16), 2 iterations."""
    return cpnopt.generate(
        "placement",
        seed=seed,
        n_devices=n_devices,
        n_layers=n_layers,
        width_multiplier=0.0625,
        n_iterations=2,
        frequency_levels=list(levels),
        **params,
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("levels", [(1.0,), (1.0, 0.7)])
def test_milp_equals_brute_force_on_tiny_instances(seed, levels):
    inst = tiny(
        seed,
        n_devices=2 + seed % 2,
        n_layers=1 + (seed // 2) % 2,
        levels=levels,
        alpha=0.2 + 0.2 * seed,
        memory_slack=1.2,
    )
    brute = cpnopt.solve(inst, "enumerate")
    exact = cpnopt.solve(inst, "milp")
    assert exact.report.status is Status.OPTIMAL and brute.feasible and exact.feasible
    assert exact.report.objective == pytest.approx(brute.report.objective, rel=1e-6)


@pytest.mark.parametrize("method", ["milp", "cg"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_devices=st.integers(2, 3),
    n_layers=st.integers(1, 2),
    dvfs=st.booleans(),
    alpha=st.floats(0.0, 1.0),
    memory_slack=st.floats(1.0, 2.0),
)
def test_exact_equals_brute_force_property(method, seed, n_devices, n_layers, dvfs, alpha, memory_slack):
    """Random tiny instances (memory from tight to loose, with and without DVFS): milp's and cg's proven
    optimum is brute force's, and their bound lies below it."""
    inst = tiny(
        seed,
        n_devices=n_devices,
        n_layers=n_layers,
        levels=(1.0, 0.7) if dvfs else (1.0,),
        alpha=alpha,
        memory_slack=memory_slack,
    )
    assume(candidates_per_iteration(inst) <= MAX_COMBINATIONS)
    brute = cpnopt.solve(inst, "enumerate")
    exact = cpnopt.solve(inst, method, threads=1)
    assert exact.report.status is Status.OPTIMAL and exact.feasible
    assert exact.report.objective == pytest.approx(brute.report.objective, rel=1e-6, abs=1e-9)
    assert exact.report.model_objective == pytest.approx(exact.report.objective, rel=1e-7, abs=1e-9)
    assert exact.report.bound <= brute.report.objective + 1e-9


def _least_layer_time(inst, k, l):
    """Brute force: the least time of layer l over every split (per-layer memory caps, fastest levels)."""
    terms, cap, m = inst.terms(k), capacities(inst), inst.n_devices
    tau, tau_in = terms.neuron_time_s[:, l, :].min(axis=0), terms.input_time_s[l]
    return min(
        max(tau[i] * split[i] + tau_in[i] for i in range(m) if split[i] > 0)
        for split in compositions(int(inst.neurons[l]), m)
        if all(split[i] <= cap[l, i] for i in range(m))
    )


@pytest.mark.parametrize("seed", range(4))
def test_least_makespans_equal_brute_force(seed):
    """L_l of the epigraph rows is the least layer time (so a valid bound, and a tight one)."""
    inst = tiny(seed, n_devices=3, n_layers=2, memory_slack=1.0 + 0.3 * seed)
    for k in range(inst.n_iterations):
        floors = least_makespans(inst, k)
        brute = [_least_layer_time(inst, k, l) for l in range(inst.n_layers)]
        assert floors == pytest.approx(brute, rel=1e-8)
        assert np.all(floors <= brute)


def _lp_bound(inst):
    model = pyo.ConcreteModel()
    model.it = pyo.Block()
    add_iteration(model.it, inst, 0)
    model.obj = pyo.Objective(expr=model.it.cost)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    return solve_pyomo(model).objective


def test_makespan_floors_lift_the_lp_relaxation(monkeypatch):
    """The disjunctive epigraph rows are what lifts the LP relaxation (L_l = 0: Eq. 5's plain rows)."""
    inst = cpnopt.generate("placement", seed=0, n_devices=8, n_iterations=1, frequency_levels=[1.0, 0.8, 0.6])
    lifted = _lp_bound(inst)
    monkeypatch.setattr(placement_milp, "least_makespans", lambda i, k: np.zeros(i.n_layers))
    plain = _lp_bound(inst)
    assert lifted > 1.05 * plain


def test_tiny_instances_exercise_distribution_and_dvfs():
    """Brute force is only a check if the optimum splits layers, and DVFS sometimes picks a lower level."""
    splits = lowered = 0
    for seed in range(4):
        decision = cpnopt.solve(tiny(seed, levels=(1.0, 0.7)), "enumerate").decision
        splits += sum(sum(n > 0 for n in row) > 1 for it in decision.neurons for row in it)
        lowered += sum(
            max(counts) > 0 and level == 1
            for it, lv in zip(decision.neurons, decision.levels)
            for counts, level in zip(zip(*it), lv)
        )
    assert splits > 0 and lowered > 0


@pytest.fixture(scope="module")
def default_dvfs():
    return cpnopt.generate(
        "placement",
        seed=0,
        n_devices=3,
        n_layers=3,
        width_multiplier=0.125,
        n_iterations=2,
        frequency_levels=[1.0, 0.8, 0.6],
    )


@pytest.mark.parametrize("method", ["milp", "offline"])
def test_model_objective_equals_evaluator(default_dvfs, method):
    sol = cpnopt.solve(default_dvfs, method)
    assert sol.report.status is Status.OPTIMAL and sol.feasible
    assert sol.report.model_objective == pytest.approx(sol.report.objective, rel=1e-7)
    assert sol.report.gap == pytest.approx(0.0, abs=1e-6)


def test_per_iteration_optimum_equals_offline_optimum(default_dvfs):
    per_iteration = cpnopt.solve(default_dvfs, "milp").report.objective
    offline = cpnopt.solve(default_dvfs, "offline").report.objective
    assert per_iteration == pytest.approx(offline, rel=2e-6)


def test_time_limit_keeps_incumbent_and_bound():
    inst = cpnopt.generate("placement", seed=0, n_devices=8, n_iterations=1, frequency_levels=[1.0, 0.8, 0.6])
    sol = cpnopt.solve(inst, "milp", time_limit=1.0, threads=1)
    assert sol.report.status is Status.TIME_LIMIT
    assert sol.report.bound is not None
    if sol.decision is not None:
        assert sol.feasible and sol.report.bound <= sol.report.objective + 1e-9


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_written_model_resolves_to_the_same_optimum(tmp_path, suffix):
    inst = tiny(1, levels=(1.0, 0.7))
    path = tmp_path / f"gwp{suffix}"
    sol = cpnopt.solve(inst, "offline", write_model=str(path))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert h.getInfo().objective_function_value / SCALE == pytest.approx(sol.report.objective, rel=1e-7)


@pytest.mark.parametrize("method", ["milp", "cg"])
def test_per_iteration_written_models_resolve_to_the_same_optimum(tmp_path, method):
    """milp and cg write one model per iteration (cg: its restricted master over the column pool and the
    incumbent); re-solved by HiGHS, their optima sum to the method's proven objective."""
    inst = tiny(2, levels=(1.0, 0.7), memory_slack=1.2)
    sol = cpnopt.solve(inst, method, write_model=str(tmp_path / "gwp.mps"))
    assert sol.report.status is Status.OPTIMAL
    total = 0.0
    for k in range(inst.n_iterations):
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(str(tmp_path / f"gwp.iteration{k}.mps"))
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        total += h.getInfo().objective_function_value / SCALE
    assert total == pytest.approx(sol.report.objective, rel=1e-7)


def test_milp_incumbent_never_worse_than_its_start_heuristics():
    """16 devices × 3 DVFS levels with 1 s: HiGHS finds no incumbent of its own (or is stopped while the model
    loads); the MIP start keeps one."""
    inst = cpnopt.generate("placement", seed=0, n_devices=16, n_iterations=1, frequency_levels=[1.0, 0.8, 0.6])
    sol = cpnopt.solve(inst, "milp", time_limit=1.0, threads=1)
    assert sol.decision is not None and sol.feasible
    assert sol.report.model_objective == pytest.approx(sol.report.objective, rel=1e-7)
    for method in ("heuristic", "rule"):
        baseline = cpnopt.solve(inst, method, epoch_length=1) if method == "heuristic" else cpnopt.solve(inst, method)
        assert sol.report.objective <= baseline.report.objective + 1e-9
    assert sol.report.bound is None or sol.report.bound <= sol.report.objective


def test_enumerate_refuses_large_instances():
    with pytest.raises(cpnopt.InputError, match="too large for enumerate"):
        cpnopt.solve(cpnopt.generate("placement", seed=0, n_layers=2, width_multiplier=0.25), "enumerate")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_study_milp_equals_brute_force_at_enumeration_limit(seed):
    """Three devices, three layers, two DVFS levels: near enumerate's limit; run with -m slow."""
    inst = cpnopt.generate(
        "placement",
        seed=seed,
        n_devices=3,
        n_layers=3,
        width_multiplier=0.05,
        n_iterations=2,
        frequency_levels=[1.0, 0.6],
        memory_slack=1.2,
    )
    brute = cpnopt.solve(inst, "enumerate")
    assert cpnopt.solve(inst, "milp").report.objective == pytest.approx(brute.report.objective, rel=1e-6)


def _with_memory(instance, devices_mb=None, layer0_mb_per_neuron=None):
    from cpnopt.files import instance_from_dict, instance_to_dict

    data = instance_to_dict(instance)
    for i, mb in (devices_mb or {}).items():
        data["devices"][i]["memory_mb"] = mb
    if layer0_mb_per_neuron is not None:
        data["layers"][0]["memory_mb_per_neuron"] = layer0_mb_per_neuron
    return instance_from_dict(data)


@pytest.mark.parametrize("method", ["milp", "offline", "static", "cg"])
def test_device_that_holds_no_neuron_is_left_out_of_the_model(method):
    """A device too small for one neuron of any layer got a memory row over an empty sum (a Pyomo error)."""
    base = cpnopt.generate("placement", seed=0, n_devices=10, n_layers=2, width_multiplier=0.1, n_iterations=1)
    inst = _with_memory(base, devices_mb={1: 0.001})
    solution = cpnopt.solve(inst, method)
    brute = cpnopt.solve(inst, "heuristic")
    assert solution.feasible and brute.feasible
    assert all(n == 0 for it in solution.decision.neurons for row in it for n in [row[1]])
    if method != "static":
        assert solution.report.status is Status.OPTIMAL
        assert solution.report.objective <= brute.report.objective + 1e-9


@pytest.mark.parametrize("method", ["milp", "offline", "static", "cg"])
def test_layer_that_fits_no_device_is_a_clean_verdict(method):
    """One neuron of layer 0 bigger than every device: no placement; exact methods say so, no traceback."""
    base = cpnopt.generate("placement", seed=0, n_devices=10, n_layers=2, width_multiplier=0.1, n_iterations=1)
    inst = _with_memory(base, layer0_mb_per_neuron=max(d.memory_mb for d in base.devices) * 1.01)
    solution = cpnopt.solve(inst, method)
    assert not solution.feasible and solution.decision is None
    assert solution.report.status in (Status.INFEASIBLE, Status.ERROR)
    assert "layer(s) [0]" in solution.report.message


def test_written_model_scale_is_documented():
    """The written model's objective is Eq. (10) × SCALE: the family page and --write-model's help say so."""
    import subprocess
    import sys
    from pathlib import Path

    assert SCALE == 1000
    page = (Path(__file__).parents[1] / "docs" / "families" / "placement.md").read_text()
    assert "Eq. (10) **× 1000**" in page
    help_text = subprocess.run(
        [sys.executable, "-c", "from cpnopt.cli import main; main()", "solve", "--help"], capture_output=True, text=True
    ).stdout
    assert "× 1000" in " ".join(help_text.split())
