"""The GWP decomposition ``cg``: exact layer pricing, valid and tight bounds, optima equal to brute force."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from test_placement_exact import _lp_bound, tiny

import cpnopt
from cpnopt.formulations.placement import cg as placement_cg
from cpnopt.formulations.placement.layer_pricing import INF, LayerData, fill, price_layer
from cpnopt.formulations.placement.milp import SCALE, heuristic_starts
from cpnopt.problems.placement import PlacementDecision
from cpnopt.solution import Status


def _brute_fill(total, lo, hi, unit, fixed, optional):
    """Every count vector and level vector: the least Σ (unit n + fixed) over used devices."""
    m, n_levels = unit.shape
    best = INF
    for levels in itertools.product(range(n_levels), repeat=m):
        for counts in itertools.product(range(total + 1), repeat=m):
            if sum(counts) != total:
                continue
            ok = all(
                (n == 0 and optional[i]) or (n > 0 and lo[i, levels[i]] <= n <= hi[i, levels[i]])
                for i, n in enumerate(counts)
            )
            if ok:
                best = min(best, sum(unit[i, v] * n + fixed[i, v] for i, (n, v) in enumerate(zip(counts, levels)) if n))
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    m=st.integers(1, 3),
    n_levels=st.integers(1, 2),
    total=st.integers(1, 6),
    branched=st.booleans(),
)
@example(seed=445, m=3, n_levels=1, total=4, branched=True)  # a must-use device at its lower bound 1
def test_fill_equals_brute_force(seed, m, n_levels, total, branched):
    """The DP (every used device at a bound but one) is the least fill over every count and level vector."""
    rng = np.random.default_rng(seed)
    unit = rng.uniform(0, 3, (m, n_levels))
    fixed = rng.uniform(0, 3, (m, n_levels))
    hi = rng.integers(-1, total + 1, (m, n_levels))
    lo = rng.integers(1, 3, (m, n_levels)) if branched else np.ones((m, n_levels), dtype=np.int64)
    optional = rng.random(m) < (0.7 if branched else 1.0)
    cost, counts, levels = fill(total, lo, hi, unit, fixed, optional)
    brute = _brute_fill(total, lo, hi, unit, fixed, optional)
    assert cost == pytest.approx(brute, rel=1e-9) if brute < INF else cost >= INF
    if cost < INF:
        used = counts > 0
        assert counts.sum() == total and np.all(levels[used] >= 0) and np.all(levels[~used] == -1)
        assert sum(unit[i, levels[i]] * counts[i] + fixed[i, levels[i]] for i in np.flatnonzero(used)) == pytest.approx(
            cost
        )


def _brute_price(layer, unit, fixed):
    best = np.inf
    m, n_levels = unit.shape
    for levels in itertools.product(range(n_levels), repeat=m):
        for counts in itertools.product(*(range(int(c) + 1) for c in layer.cap)):
            if sum(counts) != layer.neurons:
                continue
            n, v = np.array(counts), np.array(levels)
            used = np.flatnonzero(n > 0)
            value = layer.w_time * layer.layer_time(n, v) + float(
                (unit[used, v[used]] * n[used] + fixed[used, v[used]]).sum()
            )
            best = min(best, value)
    return best


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), m=st.integers(1, 3), n_levels=st.integers(1, 2), neurons=st.integers(1, 7))
def test_layer_pricing_equals_brute_force(seed, m, n_levels, neurons):
    """price_layer (bisection over the breakpoints of the layer time) is the least value over every placement;
    the heuristic pricing (near a hint) never goes below it."""
    rng = np.random.default_rng(seed)
    layer = LayerData(
        neurons=neurons,
        time=rng.uniform(0.5, 2, (m, n_levels)),
        input_time=rng.uniform(0, 3, m),
        energy=rng.uniform(0, 1, (m, n_levels)),
        input_energy=rng.uniform(0, 1, (m, n_levels)),
        memory=1.0,
        cap=rng.integers(0, neurons + 1, m),
        w_time=float(rng.uniform(0.1, 3)),
    )
    assume(layer.cap.sum() >= neurons)
    unit, fixed = layer.energy + rng.uniform(0, 1, (m, n_levels)), layer.input_energy + rng.uniform(0, 1, (m, n_levels))
    args = (unit, fixed, np.ones(m, dtype=np.int64), layer.cap, np.ones((m, n_levels), bool), np.ones(m, bool))
    points = layer.breakpoints(layer.cap)
    exact = price_layer(layer, *args, points)
    assert exact.value == pytest.approx(_brute_price(layer, unit, fixed), rel=1e-9)
    counts, levels, value = exact.columns[-1]
    used = counts > 0
    assert counts.sum() == neurons and np.all(counts <= layer.cap)
    assert value == pytest.approx(
        layer.w_time * layer.layer_time(counts, levels)
        + float((unit[used, levels[used]] * counts[used]).sum())
        + float(fixed[used, levels[used]].sum())
    )
    assert price_layer(layer, *args, points, hint=float(points[0]), exact=False).value >= exact.value - 1e-9


MEDIUM = dict(seed=1, n_devices=8, n_layers=4, width_multiplier=0.25, n_iterations=1, frequency_levels=[1.0, 0.8, 0.6])


@pytest.fixture(scope="module")
def medium():
    """8 devices, 3 DVFS levels, the first 4 MobileNet layers at width 1/4 (256 neurons), 1 iteration."""
    return cpnopt.generate("placement", **MEDIUM)


def test_decomposition_bound_is_valid_and_above_the_compact_lp(medium):
    """Column generation alone (no compact MILP): its Lagrangian bound lies between the compact LP relaxation
    and the proven optimum, and its incumbent (price-and-branch) is a placement the evaluator scores alike."""
    start = heuristic_starts(medium)[0]
    result = placement_cg.solve_iteration(medium, 0, start, time_limit=None, mip_rel_gap=1e-6, threads=1, compact=False)
    optimum = cpnopt.solve(medium, "milp", threads=1, time_limit=120)
    assert optimum.report.status is Status.OPTIMAL and result.stats["converged"]
    assert _lp_bound(medium) / SCALE - 1e-9 <= result.result.bound <= optimum.report.objective + 1e-9
    decision = PlacementDecision.from_arrays([result.counts], [result.levels])
    assert cpnopt.evaluate(medium, decision).objective == pytest.approx(result.result.objective, rel=1e-9)


def test_cg_objective_equals_evaluator_and_bounds_every_other_method(medium):
    sol = cpnopt.solve(medium, "cg", threads=1, time_limit=120)
    assert sol.feasible and sol.report.status is Status.OPTIMAL
    assert sol.report.model_objective == pytest.approx(sol.report.objective, rel=1e-7)
    assert sol.report.gap == pytest.approx(0.0, abs=1e-6)
    for method in ("heuristic", "rule", "random", "static"):  # static: milp on the one iteration, kept
        other = cpnopt.solve(medium, method, threads=1) if method == "static" else cpnopt.solve(medium, method)
        assert other.feasible and sol.report.bound <= other.report.objective + 1e-9


def test_cg_bounds_the_learned_agent():
    """The bundled gwp agent (4 devices) on a default-size instance: cg's bound is below its objective."""
    inst = cpnopt.generate("placement", seed=3, n_iterations=1, frequency_levels=[1.0, 0.8, 0.6])
    agent = cpnopt.solve(inst, "gwp")
    sol = cpnopt.solve(inst, "cg", threads=1, time_limit=30)
    assert agent.feasible and sol.feasible and sol.report.bound is not None
    assert sol.report.bound <= agent.report.objective + 1e-9
    assert sol.report.objective <= agent.report.objective + 1e-9 or sol.report.status is Status.TIME_LIMIT


def test_time_limit_keeps_incumbent_and_bound():
    """16 devices × 3 levels in 3 s: stopped, with a placement at least as good as the start heuristics and
    a bound below it, or no bound at all when no exact pricing round finished (never −inf)."""
    inst = cpnopt.generate("placement", seed=0, n_devices=16, n_iterations=1, frequency_levels=[1.0, 0.8, 0.6])
    sol = cpnopt.solve(inst, "cg", time_limit=3.0, threads=1)
    assert sol.feasible and sol.report.status is Status.TIME_LIMIT
    assert sol.report.bound is None or -np.inf < sol.report.bound <= sol.report.objective
    assert (sol.report.gap is None) == (sol.report.bound is None)
    heuristic = cpnopt.solve(inst, "heuristic", epoch_length=1)
    assert sol.report.objective <= heuristic.report.objective + 1e-9


def test_trace_rows_are_whole_instance_figures():
    """Two iterations: every trace row is an incumbent and a bound of the whole instance (the earlier
    iterations' results added, as milp's), ending at the reported objective and bound."""
    inst = tiny(1, levels=(1.0, 0.7))
    sol = cpnopt.solve(inst, "cg", threads=1)
    trace = sol.report.info["trace"]
    assert trace and trace[-1][1:] == pytest.approx([sol.report.objective, sol.report.bound])
    for _, incumbent, bound in trace:
        assert incumbent >= sol.report.objective - 1e-9
        assert bound is None or bound <= sol.report.objective + 1e-9


@pytest.mark.parametrize("option, value", [("time_limit", -1.0), ("threads", 0), ("write_model", "gwp.txt")])
def test_bad_options_are_one_line(option, value):
    with pytest.raises(cpnopt.InputError, match=option):
        cpnopt.solve(tiny(0), "cg", **{option: value})
