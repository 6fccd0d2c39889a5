"""A GWP decision: how many neurons of each layer each device runs, per iteration."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Counts = tuple[tuple[int, ...], ...]  # [layer l][device i]


@dataclass(frozen=True)
class PlacementDecision:
    """``neurons[k][l][i]``: neurons of layer l on device i in iteration k.

    ``levels[k][i]`` is the index into ``frequency_levels`` device i runs at in iteration
    k (DVFS); ``None`` runs every device at the highest level.
    """

    neurons: tuple[Counts, ...]
    levels: tuple[tuple[int, ...], ...] | None = None

    @classmethod
    def from_arrays(cls, neurons: list[np.ndarray], levels: list[np.ndarray] | None = None) -> PlacementDecision:
        """From per-iteration [l, i] count arrays (and per-iteration level vectors)."""
        counts = tuple(tuple(tuple(int(x) for x in row) for row in np.asarray(n)) for n in neurons)
        lv = None if levels is None else tuple(tuple(int(x) for x in np.asarray(v)) for v in levels)
        return cls(neurons=counts, levels=lv)

    @classmethod
    def repeated(cls, counts: np.ndarray, n_iterations: int, levels: np.ndarray | None = None) -> PlacementDecision:
        """One placement kept for every iteration (``static``)."""
        return cls.from_arrays([counts] * n_iterations, None if levels is None else [levels] * n_iterations)
