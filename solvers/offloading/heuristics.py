"""RLMS-CPN's baselines (Sec. 4.1.3): a node rule × a path-split rule, decided task by task.

Node rules (among the task's candidates, ties by candidate rank)
    min-compute  least computation latency L_c (Base1, Base3)
    nearest      least propagation delay of the shortest access-point→node path (Base2, Base4)
Split rules
    ECMP     equal shares over the (up to) 3 shortest candidate paths (Base1, Base2)
    min-MLU  the LP  min U  s.t.  (cap_e − residual_e + s_k D / slot_s) / cap_e ≤ U  for every
             link e of every candidate path k, Σ s_k = 1, s ≥ 0 — the classic traffic-engineering
             objective with the task's data as a rate over one slot; solved by HiGHS (Base3, Base4)

The paper's learned agents (``rlms``, ``rlms-mlp`` and its ``gnn-dqn`` baseline) are in :mod:`cpnopt.solvers.offloading.agents`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyomo.environ as pyo

from cpnopt.problems.offloading import OffloadingInstance, TaskView, run_policy
from cpnopt.problems.offloading.evaluate import CandidateView
from cpnopt.registry import Kind, register_method
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import solve_pyomo

ECMP_PATHS = 3
NodeRule = Callable[[OffloadingInstance, TaskView], CandidateView]
SplitRule = Callable[[OffloadingInstance, TaskView, CandidateView], Sequence[float]]


def min_compute(instance: OffloadingInstance, view: TaskView) -> CandidateView:
    return min(view.candidates, key=lambda c: c.computation_s)


def nearest(instance: OffloadingInstance, view: TaskView) -> CandidateView:
    return min(view.candidates, key=lambda c: instance.nearest_delay_s[view.access_point, c.compute])


def ecmp(instance: OffloadingInstance, view: TaskView, candidate: CandidateView) -> Sequence[float]:
    order = np.argsort(candidate.delay_s, kind="stable")[:ECMP_PATHS]
    split = np.zeros(len(candidate.paths))
    split[order] = 1.0 / len(order)
    return tuple(float(s) for s in split)


def min_mlu(instance: OffloadingInstance, view: TaskView, candidate: CandidateView) -> Sequence[float]:
    capacity = np.repeat([link.capacity_mbps for link in instance.links], 2)
    rate = view.data_mb / instance.slot_s
    m = pyo.ConcreteModel()
    m.K = pyo.RangeSet(0, len(candidate.paths) - 1)
    m.s = pyo.Var(m.K, bounds=(0.0, 1.0))
    m.U = pyo.Var()
    m.util = pyo.ConstraintList()
    for k, path in enumerate(candidate.paths):
        for e in path.links:
            m.util.add((capacity[e] - view.residual_mbps[e] + rate * m.s[k]) / capacity[e] <= m.U)
    m.simplex = pyo.Constraint(expr=sum(m.s[k] for k in m.K) == 1)
    m.obj = pyo.Objective(expr=m.U, sense=pyo.minimize)
    result = solve_pyomo(m)
    if result.status is not Status.OPTIMAL:
        raise RuntimeError(f"HiGHS did not solve the min-MLU LP: {result.message}")
    split = np.array([max(pyo.value(m.s[k]), 0.0) for k in m.K])
    return tuple(float(s) for s in split / split.sum())


def baseline(instance: OffloadingInstance, node_rule: NodeRule, split_rule: SplitRule) -> MethodOutput:
    def choose(view: TaskView) -> tuple[int, Sequence[float]]:
        candidate = node_rule(instance, view)
        return candidate.compute, split_rule(instance, view, candidate)

    return MethodOutput(decision=run_policy(instance, choose), status=Status.FEASIBLE)


@register_method(
    "offloading",
    "base1",
    Kind.HEURISTIC,
    description="Base1: least computation latency node + ECMP over 3 shortest paths",
)
def base1(instance: OffloadingInstance) -> MethodOutput:
    return baseline(instance, min_compute, ecmp)


@register_method("offloading", "base2", Kind.HEURISTIC, description="Base2: nearest node + ECMP over 3 shortest paths")
def base2(instance: OffloadingInstance) -> MethodOutput:
    return baseline(instance, nearest, ecmp)


@register_method(
    "offloading",
    "base3",
    Kind.HEURISTIC,
    description="Base3: least computation latency node + LP min max-link-utilisation (HiGHS)",
)
def base3(instance: OffloadingInstance) -> MethodOutput:
    return baseline(instance, min_compute, min_mlu)


@register_method(
    "offloading", "base4", Kind.HEURISTIC, description="Base4: nearest node + LP min max-link-utilisation (HiGHS)"
)
def base4(instance: OffloadingInstance) -> MethodOutput:
    return baseline(instance, nearest, min_mlu)
