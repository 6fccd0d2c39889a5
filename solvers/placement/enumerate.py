"""Brute force for tiny GWP instances: every split of every layer, every DVFS level, per iteration.

Independent of the MILP on purpose (no model, no epigraph): for each iteration it walks all
compositions of each N_l into |M| device counts and every level vector, drops those that
break memory, and scores the rest with the evaluator's own :func:`iteration_cost`.
Iterations are independent (docs/families/placement.md), so the optimum is the per-iteration
optima together. Exponential: refused above ``MAX_COMBINATIONS`` candidates per iteration.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from cpnopt.errors import InputError
from cpnopt.problems.placement import PlacementDecision, PlacementInstance, iteration_cost
from cpnopt.problems.placement.evaluate import TOLERANCE, objective_of
from cpnopt.registry import Kind, register_method
from cpnopt.solution import MethodOutput, Status

MAX_COMBINATIONS = 50_000


def compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """All ways to write ``total`` as an ordered sum of ``parts`` integers ≥ 0."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in compositions(total - first, parts - 1):
            yield (first,) + rest


def candidates_per_iteration(instance: PlacementInstance) -> int:
    m = instance.n_devices
    splits = math.prod(math.comb(int(n) + m - 1, m - 1) for n in instance.neurons)
    return splits * instance.n_levels**m


@register_method(
    "placement",
    "enumerate",
    kind=Kind.EXACT,
    description=f"brute force over every split and DVFS level per iteration (≤ {MAX_COMBINATIONS:,} candidates per iteration)",
)
def enumerate_all(instance: PlacementInstance) -> MethodOutput:
    size = candidates_per_iteration(instance)
    if size > MAX_COMBINATIONS:
        raise InputError(
            "instance", f"{size:,} candidates per iteration", f"too large for enumerate (≤ {MAX_COMBINATIONS:,})"
        )
    splits = [list(compositions(int(n), instance.n_devices)) for n in instance.neurons]
    level_vectors = [np.array(v) for v in itertools.product(range(instance.n_levels), repeat=instance.n_devices)]
    memory_per_neuron, memory = instance.memory_per_neuron_mb, instance.memory_mb
    best_counts, best_levels, total = [], [], 0.0
    for k in range(instance.n_iterations):
        best = (math.inf, None, None)
        for split in itertools.product(*splits):
            counts = np.array(split, dtype=int)
            if np.any(memory_per_neuron @ counts > memory * (1 + TOLERANCE)):
                continue
            for levels in level_vectors:
                cost = iteration_cost(instance, k, counts, levels)
                value = objective_of(instance, cost.energy_j, cost.time_s)
                if value < best[0] - 1e-12:
                    best = (value, counts, levels)
        if best[1] is None:
            return MethodOutput(
                decision=None, status=Status.INFEASIBLE, message=f"no split of iteration {k} fits memory"
            )
        total += best[0]
        best_counts.append(best[1])
        best_levels.append(best[2])
    return MethodOutput(
        decision=PlacementDecision.from_arrays(best_counts, best_levels),
        status=Status.OPTIMAL,
        bound=total,
        model_objective=total,
        info={"candidates_per_iteration": size},
    )
