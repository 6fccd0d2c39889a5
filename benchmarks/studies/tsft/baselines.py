"""The two non-learned latency predictors of RLMS-CPN's Table 5.

- **FLOPS-based**: latency ≈ a·FLOPs + b, least squares on the new device's labelled samples.
- **Layer-wise** (nn-Meter style): latency ≈ Σ over the network's operations of each
  operation's isolated latency on the device (an
  :class:`~studies.tsft.measured.OperationProfile` row) + an offset b.
  Documented choice: b is fitted on the labelled samples as their mean residual, the
  one-parameter model-level correction (per-inference framework overhead, which no isolated
  operation contains); with no labelled samples b = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cpnopt.errors import InputError


def _check_samples(features: np.ndarray, latency_ms: np.ndarray, minimum: int) -> None:
    if len(latency_ms) < minimum or len(features) != len(latency_ms):
        raise InputError("latency_ms", len(latency_ms), f"needs ≥ {minimum} labelled samples, one per architecture")


@dataclass(frozen=True)
class FlopsPredictor:
    """latency_ms ≈ slope · FLOPs + intercept."""

    slope: float
    intercept: float

    @classmethod
    def fit(cls, flops: np.ndarray, latency_ms: np.ndarray) -> FlopsPredictor:
        _check_samples(flops, latency_ms, 2)
        design = np.column_stack([flops, np.ones(len(flops))])
        (slope, intercept), *_ = np.linalg.lstsq(design, latency_ms, rcond=None)
        return cls(float(slope), float(intercept))

    def predict(self, flops: np.ndarray) -> np.ndarray:
        return self.slope * np.asarray(flops, dtype=float) + self.intercept


@dataclass(frozen=True)
class LayerwisePredictor:
    """latency_ms ≈ counts · profile + offset, ``counts`` from ``measured.operation_counts``."""

    profile_ms: np.ndarray
    offset_ms: float

    @classmethod
    def fit(cls, profile_ms: np.ndarray, counts: np.ndarray, latency_ms: np.ndarray) -> LayerwisePredictor:
        if len(latency_ms) == 0:
            return cls(np.asarray(profile_ms, dtype=float), 0.0)
        _check_samples(counts, latency_ms, 1)
        return cls(np.asarray(profile_ms, dtype=float), float(np.mean(latency_ms - counts @ profile_ms)))

    def predict(self, counts: np.ndarray) -> np.ndarray:
        return np.asarray(counts, dtype=float) @ self.profile_ms + self.offset_ms
