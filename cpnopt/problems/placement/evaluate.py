"""The GWP evaluator: the single source of truth for every placement method.

It checks that every neuron of every layer is placed exactly once in every iteration and
that each device's memory holds what it is given, then computes the layer times (Eq. 5),
the job time T (Eq. 6), the energy E (Eq. 7–9), the objective of Eq. (10) and the time
fast devices spend waiting for the slowest one in each layer (Fig. 5b).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cpnopt.problems.placement.decision import PlacementDecision
from cpnopt.problems.placement.instance import PlacementInstance
from cpnopt.solution import Evaluation

TOLERANCE = 1e-9
"""Relative memory tolerance: a device holding at most mem_i (1 + TOLERANCE) is within its memory.
The family's one capacity tolerance (placement has no deadlines), also used by the memory
repair (``split.fit_memory``) and ``enumerate``."""


@dataclass(frozen=True)
class IterationCost:
    """What one iteration's placement costs."""

    energy_j: float  # Σ_l Σ_i energy, Eq. (7)–(9)
    time_s: float  # Σ_l t_l, Eq. (6) for one iteration
    waiting_s: float  # Σ_l Σ_{i used} (t_l − t_{i,l}), Fig. 5b
    layer_time_s: np.ndarray  # t_l, Eq. (5)
    devices_used: int  # devices running at least one neuron


def iteration_cost(instance: PlacementInstance, k: int, counts: np.ndarray, levels: np.ndarray) -> IterationCost:
    """Cost of the [l, i] neuron ``counts`` with device ``levels`` in iteration ``k`` (no checks)."""
    t = instance.terms(k)
    devices = np.arange(instance.n_devices)
    used = counts > 0
    device_time = counts * t.neuron_time_s[levels, :, devices].T + used * t.input_time_s  # [l, i] Eq. (4)
    energy = counts * t.neuron_energy_j[levels, :, devices].T + used * t.input_energy_j[levels, :, devices].T
    layer_time = device_time.max(axis=1)  # Eq. (5)
    waiting = ((layer_time[:, None] - device_time) * used).sum()
    return IterationCost(
        energy_j=float(energy.sum()),
        time_s=float(layer_time.sum()),
        waiting_s=float(waiting),
        layer_time_s=layer_time,
        devices_used=int(used.any(axis=0).sum()),
    )


def objective_of(instance: PlacementInstance, energy_j: float, time_s: float) -> float:
    """Eq. (10): α E / E_ref + (1 − α) T / T_ref."""
    w_energy, w_time = instance.objective_weights
    return w_energy * energy_j + w_time * time_s


def decision_levels(instance: PlacementInstance, decision: PlacementDecision) -> list[np.ndarray]:
    """Per-iteration level vectors (the top level everywhere when the decision names none)."""
    if decision.levels is None:
        return [np.full(instance.n_devices, instance.top_level)] * instance.n_iterations
    return [np.array(v, dtype=int) for v in decision.levels]


def shape_violations(instance: PlacementInstance, decision: PlacementDecision) -> list[str]:
    """Sizes, integrality and level indices: what must hold before anything can be computed."""
    found: list[str] = []
    k_, l_, m_ = instance.n_iterations, instance.n_layers, instance.n_devices
    if len(decision.neurons) != k_:
        return [f"neurons has {len(decision.neurons)} iterations, the trace has {k_}"]
    for k, counts in enumerate(decision.neurons):
        if len(counts) != l_:
            found.append(f"iteration {k}: neurons has {len(counts)} layers, the model has {l_}")
            continue
        for l, row in enumerate(counts):
            if len(row) != m_:
                found.append(f"iteration {k} layer {l}: {len(row)} device counts for {m_} devices")
            elif any(
                not isinstance(x, (int, np.integer)) or isinstance(x, bool) or not 0 <= x <= instance.neurons[l]
                for x in row
            ):
                found.append(
                    f"iteration {k} layer {l}: neuron counts must be integers in 0..{instance.neurons[l]}, "
                    f"the layer's width (got {list(row)})"
                )
    if decision.levels is not None:
        if len(decision.levels) != k_:
            found.append(f"levels has {len(decision.levels)} iterations, the trace has {k_}")
        else:
            for k, row in enumerate(decision.levels):
                if len(row) != m_ or any(not 0 <= v < instance.n_levels for v in row):
                    found.append(
                        f"iteration {k}: levels must be {m_} indices in 0..{instance.n_levels - 1} (got {list(row)})"
                    )
    return found


def evaluate(instance: PlacementInstance, decision: PlacementDecision) -> Evaluation:
    """Check placement and memory, then compute E, T, Eq. (10) and the waiting time."""
    violations = shape_violations(instance, decision)
    if violations:
        return Evaluation(feasible=False, objective=0.0, metrics={}, violations=violations)
    levels = decision_levels(instance, decision)
    metrics: dict[str, float] = {}
    energy = time = waiting = used = 0.0
    for k in range(instance.n_iterations):
        counts = np.array(decision.neurons[k], dtype=int)
        placed = counts.sum(axis=1)
        for l in np.flatnonzero(placed != instance.neurons):
            violations.append(
                f"iteration {k} layer {l}: {placed[l]} neurons placed, the layer has {instance.neurons[l]} "
                "(each neuron exactly once)"
            )
        memory = instance.memory_per_neuron_mb @ counts
        for i in np.flatnonzero(memory > instance.memory_mb * (1 + TOLERANCE)):
            violations.append(f"iteration {k} device {i}: {memory[i]:.3f} MB > memory {instance.memory_mb[i]:.3f} MB")
        cost = iteration_cost(instance, k, counts, levels[k])
        energy += cost.energy_j
        time += cost.time_s
        waiting += cost.waiting_s
        used += cost.devices_used
        metrics[f"time_s_iter{k}"] = cost.time_s
    e_ref, t_ref = instance.reference
    objective = objective_of(instance, energy, time)
    metrics = {
        "objective": objective,
        "energy_j": energy,
        "time_s": time,
        "energy_norm": energy / e_ref,
        "time_norm": time / t_ref,
        "waiting_s": waiting,
        "devices_used_mean": used / instance.n_iterations,
        **metrics,
    }
    return Evaluation(feasible=not violations, objective=objective, metrics=metrics, violations=violations)
