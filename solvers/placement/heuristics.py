"""The GWP paper's baselines for green workload placement (every device at the top DVFS level).

``random``     each neuron of each layer on a device drawn uniformly at random, every iteration.
``static``     optimise once on the initial state (the per-iteration MILP of iteration 0) and
               keep that placement (and levels) for the whole trace; it lives beside that MILP,
               in :mod:`cpnopt.formulations.placement.milp` (heuristics import no exact model).
``rule``       neurons of each layer proportional to f_{i,k} u_{i,k} (the device's available
               clock), largest-remainder rounding, re-computed every iteration.
``heuristic``  re-plan greedily at the start of every epoch (``epoch_length`` iterations) from
               the current state and keep the plan for the epoch: layer by layer, chunks of
               ⌈N_l/64⌉ neurons go to the device whose marginal Eq. (10) cost is least —
               α/E_ref × the added energy + (1−α)/T_ref × the growth of the layer time,
               the input transfer counted when the device is new to the layer.

Every placement goes through :func:`~cpnopt.problems.placement.split.fit_memory` (shared
with the ``gwp`` environment), which moves neurons off devices whose
memory overflows onto the devices with the most free memory (largest neurons first).
The generator leaves one largest neuron of slack per device, which is what makes this
repair always succeed (see ``generator._devices``); on other instances a baseline that
cannot fit reports an error.
"""

from __future__ import annotations

import math

import numpy as np

from cpnopt.errors import InputError
from cpnopt.problems.placement import PlacementDecision, PlacementInstance
from cpnopt.problems.placement.split import fit_memory, proportional
from cpnopt.registry import Kind, register_method
from cpnopt.solution import MethodOutput, Status

GREEDY_CHUNKS = 64


def _output(instance: PlacementInstance, placements: list[np.ndarray | None], **info: float) -> MethodOutput:
    fitted = [None if p is None else fit_memory(instance, p) for p in placements]
    if any(p is None for p in fitted):
        return MethodOutput(
            decision=None, status=Status.ERROR, message="the placement cannot be fitted into the devices' memory"
        )
    return MethodOutput(decision=PlacementDecision.from_arrays(fitted), status=Status.FEASIBLE, info=dict(info))


@register_method(
    "placement", "random", kind=Kind.HEURISTIC, description="every neuron on a uniformly random device, per iteration"
)
def random_placement(instance: PlacementInstance, seed: int = 0) -> MethodOutput:
    rng = np.random.default_rng(seed)
    uniform = np.full(instance.n_devices, 1.0 / instance.n_devices)
    return _output(
        instance,
        [np.array([rng.multinomial(int(n), uniform) for n in instance.neurons]) for _ in range(instance.n_iterations)],
    )


@register_method(
    "placement", "rule", kind=Kind.HEURISTIC, description="neurons proportional to f·u of each device, per iteration"
)
def rule(instance: PlacementInstance) -> MethodOutput:
    placements = []
    for k in range(instance.n_iterations):
        u, f, _ = instance.state(k)
        placements.append(np.array([proportional(int(n), f * u) for n in instance.neurons]))
    return _output(instance, placements)


def greedy(instance: PlacementInstance, k: int) -> np.ndarray:
    """Least-marginal-cost placement for the state of iteration ``k`` (module docstring)."""
    t = instance.terms(k)
    v = instance.top_level
    w_energy, w_time = instance.objective_weights
    per_neuron = instance.memory_per_neuron_mb
    free = instance.memory_mb.copy()
    counts = np.zeros((instance.n_layers, instance.n_devices), dtype=int)
    for l, total in enumerate(instance.neurons):
        load = np.zeros(instance.n_devices)
        layer_time, left = 0.0, int(total)
        chunk = max(1, math.ceil(total / GREEDY_CHUNKS))
        while left:
            size = min(chunk, left)
            new = counts[l] == 0
            grown = load + size * t.neuron_time_s[v, l] + new * t.input_time_s[l]
            cost = w_energy * (size * t.neuron_energy_j[v, l] + new * t.input_energy_j[v, l]) + w_time * (
                np.maximum(grown, layer_time) - layer_time
            )
            fits = free >= size * per_neuron[l]
            if not fits.any():  # no device takes the chunk: place it anyway, fit_memory moves it
                fits = free == free.max()
            i = int(np.argmin(np.where(fits, cost, np.inf)))
            counts[l, i] += size
            load[i], layer_time = grown[i], max(layer_time, grown[i])
            free[i] -= size * per_neuron[l]
            left -= size
    return counts


@register_method(
    "placement",
    "heuristic",
    kind=Kind.HEURISTIC,
    description="greedy least-marginal-cost placement, re-planned at each epoch start",
)
def heuristic(instance: PlacementInstance, epoch_length: int = 5) -> MethodOutput:
    if epoch_length < 1:
        raise InputError("epoch_length", epoch_length, "must be ≥ 1 iteration")
    placements: list[np.ndarray | None] = []
    for k in range(instance.n_iterations):
        placements.append(greedy(instance, k) if k % epoch_length == 0 else placements[-1])
    return _output(instance, placements, epochs=math.ceil(instance.n_iterations / epoch_length))
