"""Splitting a layer's neurons among devices and fitting a placement into the devices' memory.

Shared by the baselines (``cpnopt.solvers.placement.heuristics``) and the ``gwp`` agent's
environment (``cpnopt.problems.placement.env``): both turn per-device weights into integer neuron
counts with :func:`proportional` and repair memory overflows with :func:`fit_memory`. The
generator leaves one largest neuron of slack per device, which is what makes the repair
always succeed on its instances (see ``generator._devices``).
"""

from __future__ import annotations

import math

import numpy as np

from cpnopt.problems.placement.evaluate import TOLERANCE
from cpnopt.problems.placement.instance import PlacementInstance


def proportional(total: int | np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder, ties to the lower index).

    Row-wise when ``weights`` is (L, m) and ``total`` has L entries: one split per row, all
    rows at once, each as the 1-D call would make it.
    """
    rows = np.atleast_2d(weights)
    totals = np.atleast_1d(total)[:, None]
    share = totals * rows / rows.sum(axis=-1, keepdims=True)
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(rows.shape[-1])[None].repeat(len(rows), 0), axis=-1)
    counts += rank < totals - counts.sum(axis=-1, keepdims=True)
    return counts if np.ndim(weights) == 2 else counts[0]


def fit_memory(instance: PlacementInstance, counts: np.ndarray) -> np.ndarray | None:
    """``counts`` [l, i] with neurons moved off overfull devices; None when they cannot be fitted."""
    counts = counts.copy()
    per_neuron = instance.memory_per_neuron_mb
    heaviest_first = np.argsort(-per_neuron, kind="stable")
    for i in range(instance.n_devices):
        for l in heaviest_first:
            over = per_neuron @ counts[:, i] - instance.memory_mb[i]
            if over <= TOLERANCE * instance.memory_mb[i]:
                break
            move = min(int(counts[l, i]), math.ceil(over / per_neuron[l] - 1e-9)) if per_neuron[l] > 0 else 0
            counts[l, i] -= move
            free = np.maximum(instance.memory_mb - per_neuron @ counts, 0.0)  # overfull devices take nothing
            free[i] = 0.0
            for j in np.argsort(-free, kind="stable"):
                take = min(move, int(free[j] // per_neuron[l]))
                counts[l, j] += take
                move -= take
                free[j] -= take * per_neuron[l]
            if move:
                return None
    return counts
