"""One deadline tolerance per family: evaluator, exact models, enumerators and heuristics agree on it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import cpnopt
from cpnopt.problems import clustering, regional
from cpnopt.problems.regional import RegionalInstance
from cpnopt.problems.routing import instance as routing


def one_task_finishing_late(late_s: float) -> RegionalInstance:
    """One task whose earliest finish, over every server, is ``late_s`` past its due time (and profitable there).

    The first generator seed whose task is profitable on its fastest server (the price rises
    with a tighter deadline, so the margin is checked on the modified instance)."""
    for seed in range(100):
        base = cpnopt.generate("regional", seed=seed, n_tasks=1)
        finish = base.release_s[0] + base.processing_s[0]
        task = replace(base.tasks[0], deadline_s=float(finish.min()) - late_s - base.tasks[0].arrival_s)
        inst = replace(base, tasks=(task,))
        if inst.margin[0, int(np.argmin(finish))] > 0:
            return inst
    raise AssertionError("no seed gives a profitable fastest server")


def test_regional_task_late_within_the_tolerance_is_served_by_every_exact_method() -> None:
    inst = one_task_finishing_late(1e-8)
    assert 1e-8 < regional.DEADLINE_TOLERANCE_S
    milp = cpnopt.solve(inst, "milp", time_limit=30, threads=1)
    enum = cpnopt.solve(inst, "enumerate")
    assert milp.report.status.value == "optimal"
    assert milp.report.objective > 0
    assert milp.report.objective == enum.report.objective
    for method in ("two-stage", "nearest-region", "cheapest-region", "random"):
        heuristic = cpnopt.solve(inst, method)
        assert heuristic.evaluation.feasible
        assert heuristic.report.objective <= milp.report.objective + 1e-9, method


def test_regional_task_late_beyond_the_tolerance_is_rejected_by_every_method() -> None:
    inst = one_task_finishing_late(10 * regional.DEADLINE_TOLERANCE_S)
    for method in ("milp", "enumerate", "two-stage", "nearest-region", "cheapest-region", "random"):
        assert cpnopt.solve(inst, method).report.objective == 0.0, method


def one_clustering_task_finishing_late(late_s: float) -> clustering.ClusteringInstance:
    """One server, one task finishing ``late_s`` past its due time there (first seed where it is profitable)."""
    for seed in range(100):
        base = cpnopt.generate("clustering", seed=seed, n_servers=1, n_metro_areas=1, n_slots=1, arrivals_per_slot=1)
        terms = base.cluster_terms([0])
        finish = float(terms.release_s[0] + terms.processing_s[0])
        task = replace(base.tasks[0], deadline_s=finish - late_s - float(base.arrival_s[0]))
        inst = replace(base, tasks=(task,))
        if inst.price[0] > inst.cluster_terms([0]).cost[0]:
            return inst
    raise AssertionError("no seed gives a profitable task")


HEURISTICS = ("km-rea", "km-ob-rea", "rand-rea", "rand-ob-rea", "opt-rea")


def test_clustering_task_late_within_the_tolerance_is_served_by_every_exact_method() -> None:
    inst = one_clustering_task_finishing_late(1e-8)
    assert 1e-8 < clustering.DEADLINE_TOLERANCE_S
    exact = [
        cpnopt.solve(inst, m, **opts)
        for m, opts in (("milp", {"threads": 1}), ("cg", {"threads": 1}), ("enumerate", {}))
    ]
    assert all(s.report.status.value == "optimal" for s in exact)
    assert exact[0].report.objective > 0
    assert exact[0].report.objective == exact[1].report.objective == exact[2].report.objective
    for method in HEURISTICS:
        heuristic = cpnopt.solve(inst, method)
        assert heuristic.evaluation.feasible, method
        assert heuristic.report.objective <= exact[0].report.objective + 1e-9, method


def test_clustering_task_late_beyond_the_tolerance_is_rejected_by_every_method() -> None:
    inst = one_clustering_task_finishing_late(10 * clustering.DEADLINE_TOLERANCE_S)
    for method in ("milp", "cg", "enumerate", *HEURISTICS):
        assert cpnopt.solve(inst, method).evaluation.metrics["served_tasks"] == 0, method


def test_routing_slot_horizon_is_the_evaluators_latency_bound() -> None:
    """The last arrival slot every method may use (horizon_slots) meets l_u within the family's
    tolerance, the next one does not, also when l_u − c sits just below a slot boundary."""
    base = cpnopt.generate("routing", seed=0)
    u, node = 0, int(np.flatnonzero(np.isfinite(base.computation_s[0]))[0])
    bound = float(base.computation_s[u, node]) + 3 * base.slot_s - routing.LATENCY_TOLERANCE_S / 2
    inst = replace(base, tasks=(replace(base.tasks[u], max_latency_s=bound), *base.tasks[1:]))
    assert inst.horizon_slots[u, node] == 3
    for task in range(inst.n_tasks):
        limit = inst.tasks[task].max_latency_s + routing.LATENCY_TOLERANCE_S
        for n in np.flatnonzero(inst.horizon_slots[task] >= 0):
            last = int(inst.horizon_slots[task, n])
            assert inst.delay_s(task, int(n), last) <= limit
            assert inst.delay_s(task, int(n), last + 1) > limit
