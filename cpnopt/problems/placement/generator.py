"""Random GWP instances: heterogeneous edge devices, dynamic traces, a MobileNet-like model.

The model is MobileNet V1 (224×224 input) given as data in :data:`MOBILENET_V1`: the first
full convolution, the 13 depthwise-separable blocks (each one layer whose neurons are its
output channels) and the classifier. A neuron's training work is 3× its forward FLOPs
(forward, backward for activations, backward for weights); activations are fp32. The
``width_multiplier`` scales every channel count (MobileNet's own knob; at least 1 neuron
per layer) and ``n_layers`` keeps the first layers, which is how tests get tiny instances.

The trace (u, f, B per device and iteration) is sinusoid + noise for u and f, each device
with its own period and phase (daily-like load cycles of a shared device), and a two-state
Markov chain (good/bad channel) for B; see :class:`PlacementParams` for the ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cpnopt.errors import InputError
from cpnopt.problems.placement.instance import Device, DeviceState, Layer, PlacementInstance

# (name, kind, input channels, input size, output channels, output size); kinds: "conv" (3×3
# full convolution), "dwpw" (3×3 depthwise + 1×1 pointwise), "fc" (fully connected)
MOBILENET_V1: tuple[tuple[str, str, int, int, int, int], ...] = (
    ("conv1", "conv", 3, 224, 32, 112),
    ("dwpw1", "dwpw", 32, 112, 64, 112),
    ("dwpw2", "dwpw", 64, 112, 128, 56),
    ("dwpw3", "dwpw", 128, 56, 128, 56),
    ("dwpw4", "dwpw", 128, 56, 256, 28),
    ("dwpw5", "dwpw", 256, 28, 256, 28),
    ("dwpw6", "dwpw", 256, 28, 512, 14),
    ("dwpw7", "dwpw", 512, 14, 512, 14),
    ("dwpw8", "dwpw", 512, 14, 512, 14),
    ("dwpw9", "dwpw", 512, 14, 512, 14),
    ("dwpw10", "dwpw", 512, 14, 512, 14),
    ("dwpw11", "dwpw", 512, 14, 512, 14),
    ("dwpw12", "dwpw", 512, 14, 1024, 7),
    ("dwpw13", "dwpw", 1024, 7, 1024, 7),
    ("fc", "fc", 1024, 1, 1000, 1),
)
TRAINING_FACTOR = 3.0  # training FLOPs per forward FLOP
BITS_PER_VALUE = 32  # fp32 activations
BYTES_PER_PARAMETER = 12  # fp32 weight + gradient + momentum


def mobilenet_layers(
    width_multiplier: float = 1.0, n_layers: int | None = None, batch_size: int = 16
) -> tuple[Layer, ...]:
    """MobileNet V1 as GWP layers (per-sample figures per neuron; memory for ``batch_size``)."""
    rows = MOBILENET_V1 if n_layers is None else MOBILENET_V1[:n_layers]
    scale = lambda c: max(1, round(c * width_multiplier))  # noqa: E731
    layers = []
    for name, kind, c_in, s_in, c_out, s_out in rows:
        c_in = c_in if kind == "conv" else scale(c_in)  # the image keeps its 3 channels
        c_out = scale(c_out)
        if kind == "conv":
            params = 9 * c_in
        elif kind == "dwpw":
            params = c_in + 9 * c_in / c_out  # pointwise weights + this neuron's share of the depthwise ones
        else:
            params = c_in
        macs = params * s_out * s_out
        activations = s_out * s_out
        layers.append(
            Layer(
                neurons=c_out,
                mflop_per_neuron=TRAINING_FACTOR * 2 * macs / 1e6,
                out_mbit_per_neuron=activations * BITS_PER_VALUE / 1e6,
                in_mbit=c_in * s_in * s_in * BITS_PER_VALUE / 1e6,
                memory_mb_per_neuron=(params * BYTES_PER_PARAMETER + activations * batch_size * BITS_PER_VALUE / 8)
                / 1e6,
                name=name,
            )
        )
    return tuple(layers)


@dataclass(frozen=True)
class PlacementParams:
    """Generator parameters; the defaults give the quickstart-sized instance (4 devices, full MobileNet)."""

    n_devices: int = 4
    n_iterations: int = 10  # K
    n_layers: int | None = None  # first layers of MobileNet V1 (None: all 15)
    width_multiplier: float = 1.0
    batch_size: int = 16
    alpha: float = 0.5  # α of Eq. (10)
    frequency_levels: tuple[float, ...] = (1.0,)  # e.g. [1.0, 0.8, 0.6] for DVFS
    f_max_ghz: tuple[float, float] = (1.0, 3.0)
    cycles_per_flop: tuple[float, float] = (0.25, 1.0)  # δ_i
    energy_coef: tuple[float, float] = (0.5, 1.5)  # η_i, J / (Gcycle · GHz²)
    heat_compute_w: tuple[float, float] = (0.3, 0.8)  # g_i(F) = a + b F²: a
    heat_compute_w_per_ghz2: tuple[float, float] = (0.1, 0.3)  # b
    heat_comm_w: tuple[float, float] = (0.2, 0.5)  # h_i(F) = c + d F²: c
    heat_comm_w_per_ghz2: tuple[float, float] = (0.02, 0.08)  # d
    bandwidth_mbps: tuple[float, float] = (200.0, 1000.0)  # good-state B of each device
    memory_slack: float = 2.0  # total device memory / memory of the whole model
    freq_mean: float = 0.75  # f_{i,k} / f_i^max: mean, amplitude of the sinusoid, noise std
    freq_amplitude: float = 0.2
    share_mean: float = 0.65  # u_{i,k}: mean, amplitude, noise std
    share_amplitude: float = 0.25
    noise: float = 0.05
    period_iterations: tuple[float, float] = (5.0, 20.0)  # sinusoid period of each device
    bad_channel_factor: float = 0.25  # B in the bad state / B in the good state
    p_good_to_bad: float = 0.2
    p_bad_to_good: float = 0.5

    def __post_init__(self) -> None:
        for name in ("n_devices", "n_iterations", "batch_size"):
            if getattr(self, name) < 1:
                raise InputError(f"params.{name}", getattr(self, name), "must be ≥ 1")
        if self.n_layers is not None and not 1 <= self.n_layers <= len(MOBILENET_V1):
            raise InputError("params.n_layers", self.n_layers, f"must be in 1..{len(MOBILENET_V1)} or null")
        if not self.width_multiplier > 0:
            raise InputError("params.width_multiplier", self.width_multiplier, "must be > 0")
        if not self.memory_slack >= 1:
            raise InputError("params.memory_slack", self.memory_slack, "must be ≥ 1 (else the model may not fit)")
        for name in (
            "f_max_ghz",
            "cycles_per_flop",
            "energy_coef",
            "heat_compute_w",
            "heat_compute_w_per_ghz2",
            "heat_comm_w",
            "heat_comm_w_per_ghz2",
            "bandwidth_mbps",
            "period_iterations",
        ):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise InputError(f"params.{name}", (low, high), "must be a range 0 ≤ low ≤ high")
        for name in ("p_good_to_bad", "p_bad_to_good", "bad_channel_factor"):
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"params.{name}", getattr(self, name), "must be in [0, 1]")


def _devices(params: PlacementParams, layers: tuple[Layer, ...], rng: np.random.Generator) -> tuple[Device, ...]:
    """Heterogeneous devices; memory shares of ``memory_slack`` × the model, plus one largest neuron each.

    The extra largest neuron per device guarantees that filling devices greedily, neuron by
    neuron, never gets stuck (the heuristics' memory repair relies on it).
    """
    m = params.n_devices
    need = sum(layer.neurons * layer.memory_mb_per_neuron for layer in layers)
    largest = max(layer.memory_mb_per_neuron for layer in layers)
    shares = rng.dirichlet(np.full(m, 2.0))
    draw = {
        name: rng.uniform(*getattr(params, name), size=m)
        for name in (
            "f_max_ghz",
            "cycles_per_flop",
            "energy_coef",
            "heat_compute_w",
            "heat_compute_w_per_ghz2",
            "heat_comm_w",
            "heat_comm_w_per_ghz2",
        )
    }
    return tuple(
        Device(
            memory_mb=float(params.memory_slack * need * shares[i] + largest),
            **{name: float(values[i]) for name, values in draw.items()},
        )
        for i in range(m)
    )


def _trace(
    params: PlacementParams, devices: tuple[Device, ...], rng: np.random.Generator
) -> tuple[tuple[DeviceState, ...], ...]:
    """Sinusoid + noise for f and u, a good/bad Markov channel for B (module docstring)."""
    m, k_ = params.n_devices, params.n_iterations
    steps = np.arange(k_)[:, None]
    period = rng.uniform(*params.period_iterations, size=(2, m))
    phase = rng.uniform(0, 2 * np.pi, size=(2, m))
    wave = np.sin(2 * np.pi * steps[None] / period[:, None, :] + phase[:, None, :])  # [2, k, i]
    noise = rng.normal(0.0, params.noise, size=(2, k_, m))
    freq_share = np.clip(params.freq_mean + params.freq_amplitude * wave[0] + noise[0], 0.2, 1.0)
    share = np.clip(params.share_mean + params.share_amplitude * wave[1] + noise[1], 0.05, 1.0)
    good_bandwidth = rng.uniform(*params.bandwidth_mbps, size=m)
    good = np.ones(m, dtype=bool)
    f_max = np.array([d.f_max_ghz for d in devices])
    rows = []
    for k in range(k_):
        if k:
            flip = rng.random(m) < np.where(good, params.p_good_to_bad, params.p_bad_to_good)
            good = good ^ flip
        bandwidth = good_bandwidth * np.where(good, 1.0, params.bad_channel_factor)
        rows.append(
            tuple(
                DeviceState(
                    capacity_share=float(share[k, i]),
                    freq_ghz=float(freq_share[k, i] * f_max[i]),
                    bandwidth_mbps=float(bandwidth[i]),
                )
                for i in range(m)
            )
        )
    return tuple(rows)


def generate(params: PlacementParams, seed: int = 0) -> PlacementInstance:
    rng = np.random.default_rng(seed)
    layers = mobilenet_layers(params.width_multiplier, params.n_layers, params.batch_size)
    devices = _devices(params, layers, rng)
    return PlacementInstance(
        devices=devices,
        layers=layers,
        trace=_trace(params, devices, rng),
        batch_size=params.batch_size,
        alpha=params.alpha,
        frequency_levels=params.frequency_levels,
        name=f"placement-m{params.n_devices}-l{len(layers)}-k{params.n_iterations}-seed{seed}",
    )
