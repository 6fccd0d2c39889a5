"""The two stages do what the module docstring says; stage 1 takes any allocator."""

import numpy as np
import pytest

import cpnopt
from cpnopt.problems.regional.balancing import Plan, balance_within_region, pooled_unit_cost, schedule
from cpnopt.solvers.regional.heuristics import cheapest_region


@pytest.fixture(scope="module")
def instance():
    return cpnopt.generate("regional", seed=3, n_east=2, n_west=2, servers_per_region=3, n_tasks=30)


def _regions_used(instance, decision):
    return {int(instance.server_region[i]) for i in decision.assignment if i is not None}


def test_a_plugged_stage_1_is_obeyed(instance):
    decision = schedule(instance, lambda plan, n: 1 if n % 2 else None)
    assert _regions_used(instance, decision) <= {1}
    assert all(i is None for n, i in enumerate(decision.assignment) if n % 2 == 0)
    assert cpnopt.evaluate(instance, decision).feasible


def test_stage_2_takes_the_most_profitable_on_time_server(instance):
    plan = Plan(instance)
    for n in range(instance.n_tasks):
        region = int(instance.origin[n])
        chosen = balance_within_region(plan, n, region)
        ok = [int(i) for i in instance.servers_in(region) if instance.margin[n, i] > 0 and plan.fits(n, int(i))]
        if chosen is None:
            assert ok == []
            continue
        assert instance.margin[n, chosen] == pytest.approx(max(instance.margin[n, i] for i in ok))
        plan.accept(n, chosen)
    assert cpnopt.evaluate(instance, plan.decision()).feasible


def test_nearest_region_keeps_tasks_home_and_cheapest_uses_one_region(instance):
    near = cpnopt.solve(instance, "nearest-region")
    assert near.evaluation.metrics["migration_rate"] == 0.0
    cheap = cpnopt.solve(instance, "cheapest-region")
    target = cheapest_region(Plan(instance), 0)
    assert _regions_used(instance, cheap.decision) == {target}
    assert pooled_unit_cost(instance, target) == min(pooled_unit_cost(instance, r) for r in range(instance.n_regions))


def test_two_stage_moves_work_west_and_beats_staying_home(instance):
    two = cpnopt.solve(instance, "two-stage").evaluation.metrics
    near = cpnopt.solve(instance, "nearest-region").evaluation.metrics
    assert two["cheap_region_work_share"] > near["cheap_region_work_share"]
    assert two["profit"] > near["profit"]


def test_random_is_reproducible_by_seed(instance):
    runs = [cpnopt.solve(instance, "random", seed=s).decision for s in (4, 4, 5)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_heuristics_are_feasible_at_large_sizes():
    inst = cpnopt.generate(
        "regional", seed=0, n_east=4, n_west=4, servers_per_region=5, n_tasks=400, arrivals_per_s=10.0
    )
    for name in ("two-stage", "nearest-region", "cheapest-region", "random"):
        sol = cpnopt.solve(inst, name)
        assert sol.feasible, name
        assert np.isfinite(sol.report.objective)
