"""The GWP instance: devices, the model's layers, the per-iteration trace and α (GWP Sec. III).

Every coefficient a method needs (per-neuron time and energy on each device at each DVFS
level, the per-device input transfer, the normalising references of Eq. 10) is computed
here once, so that the evaluator, the MILP, brute force and the heuristics read the same
numbers. Units and modelling decisions: see docs/families/placement.md.

Ranges (checked in validation, listed in docs/families/placement.md):
`layers[l].neurons` and `batch_size` are integers in [1, 1e9]; `f_max_ghz`,
`cycles_per_flop`, `memory_mb`, `mflop_per_neuron`, `freq_ghz` and `bandwidth_mbps` lie in
[1e-9, 1e12]; the other per-device and per-layer coefficients in [0, 1e12];
`capacity_share` and `frequency_levels` in [1e-9, 1]; `alpha` in [0, 1]. A decision's count
of a layer on a device is an integer in 0..`neurons` of that layer (so no sum wraps around).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cpnopt.checks import MIN_POSITIVE, count
from cpnopt.checks import nonnegative as _nonnegative
from cpnopt.checks import positive as _positive
from cpnopt.errors import InputError

MAX_NEURONS = 10**9  # the largest layer width and batch size accepted


@dataclass(frozen=True)
class Device:
    """A device i ∈ M with its static hardware figures."""

    f_max_ghz: float  # f_i^max
    cycles_per_flop: float  # δ_i
    energy_coef: float  # η_i, J / (Gcycle · GHz²), Eq. (7)
    memory_mb: float  # memory for the neurons' weights and activations (megabytes)
    heat_compute_w: float = 0.5  # g_i(F) = heat_compute_w + heat_compute_w_per_ghz2 · F², Eq. (8)
    heat_compute_w_per_ghz2: float = 0.2
    heat_comm_w: float = 0.3  # h_i(F) = heat_comm_w + heat_comm_w_per_ghz2 · F², Eq. (9)
    heat_comm_w_per_ghz2: float = 0.05


@dataclass(frozen=True)
class Layer:
    """Layer l: N_l neurons (output channels); per-sample figures of one neuron."""

    neurons: int  # N_l
    mflop_per_neuron: float  # training work (forward + backward) of one neuron for one sample
    out_mbit_per_neuron: float  # output activations of one neuron for one sample (megabits)
    in_mbit: float  # the layer's whole input for one sample (megabits), sent to every used device
    memory_mb_per_neuron: float  # weights, gradients and activations of one neuron (megabytes)
    name: str = ""


@dataclass(frozen=True)
class DeviceState:
    """(u_i, f_i, B_i) of one device in one iteration k (the dynamic trace)."""

    capacity_share: float  # u_{i,k} ∈ (0, 1], the share of the CPU left to the job
    freq_ghz: float  # f_{i,k} ≤ f_i^max
    bandwidth_mbps: float  # B_{i,k}


@dataclass(frozen=True)
class IterationTerms:
    """Coefficients of one iteration; arrays indexed [level v, layer l, device i] or [l, i]."""

    neuron_time_s: np.ndarray  # [v, l, i] compute + output transfer of one neuron, Eq. (1)–(4)
    input_time_s: np.ndarray  # [l, i] receiving the layer input when the device is used, Eq. (3)
    neuron_energy_j: np.ndarray  # [v, l, i] Eq. (7) + heat while computing and sending, Eq. (8)–(9)
    input_energy_j: np.ndarray  # [v, l, i] heat while receiving the layer input, Eq. (9)


@dataclass(frozen=True)
class PlacementInstance:
    devices: tuple[Device, ...]
    layers: tuple[Layer, ...]
    trace: tuple[tuple[DeviceState, ...], ...]  # [iteration k][device i]
    batch_size: int = 16  # samples per iteration
    alpha: float = 0.5  # α of Eq. (10)
    frequency_levels: tuple[float, ...] = (1.0,)  # DVFS: operating frequency = level · f_{i,k}
    name: str = ""

    def __post_init__(self) -> None:
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        if not self.devices:
            raise InputError("devices", [], "at least one device is needed")
        for i, d in enumerate(self.devices):
            for field in ("f_max_ghz", "cycles_per_flop", "memory_mb"):
                _positive(f"devices[{i}].{field}", getattr(d, field))
            for field in (
                "energy_coef",
                "heat_compute_w",
                "heat_compute_w_per_ghz2",
                "heat_comm_w",
                "heat_comm_w_per_ghz2",
            ):
                _nonnegative(f"devices[{i}].{field}", getattr(d, field))
        if not self.layers:
            raise InputError("layers", [], "at least one layer is needed")
        for l, layer in enumerate(self.layers):
            count(f"layers[{l}].neurons", layer.neurons, 1, MAX_NEURONS)
            _positive(f"layers[{l}].mflop_per_neuron", layer.mflop_per_neuron)
            for field in ("out_mbit_per_neuron", "in_mbit", "memory_mb_per_neuron"):
                _nonnegative(f"layers[{l}].{field}", getattr(layer, field))
        if not self.trace:
            raise InputError("trace", [], "at least one iteration is needed")
        for k, row in enumerate(self.trace):
            if len(row) != self.n_devices:
                raise InputError(f"trace[{k}]", len(row), f"needs one state per device ({self.n_devices})")
            for i, s in enumerate(row):
                if not (math.isfinite(s.capacity_share) and MIN_POSITIVE <= s.capacity_share <= 1):
                    raise InputError(
                        f"trace[{k}][{i}].capacity_share", s.capacity_share, f"must be in [{MIN_POSITIVE:.0e}, 1]"
                    )
                _positive(f"trace[{k}][{i}].freq_ghz", s.freq_ghz)
                if s.freq_ghz > self.devices[i].f_max_ghz * (1 + 1e-12):
                    raise InputError(
                        f"trace[{k}][{i}].freq_ghz",
                        s.freq_ghz,
                        f"exceeds the device's f_max_ghz = {self.devices[i].f_max_ghz}",
                    )
                _positive(f"trace[{k}][{i}].bandwidth_mbps", s.bandwidth_mbps)
        count("batch_size", self.batch_size, 1, MAX_NEURONS)
        if not (math.isfinite(self.alpha) and 0 <= self.alpha <= 1):
            raise InputError("alpha", self.alpha, "must be in [0, 1]")
        if not self.frequency_levels:
            raise InputError("frequency_levels", [], "at least one level is needed (1.0: no DVFS)")
        for v, level in enumerate(self.frequency_levels):
            if not (math.isfinite(level) and MIN_POSITIVE <= level <= 1):
                raise InputError(f"frequency_levels[{v}]", level, f"must be in [{MIN_POSITIVE:.0e}, 1]")
        if len(set(self.frequency_levels)) != len(self.frequency_levels):
            raise InputError("frequency_levels", self.frequency_levels, "levels must be distinct")
        need = float(self.neurons @ self.memory_per_neuron_mb)
        have = float(sum(d.memory_mb for d in self.devices))
        if need > have * (1 + 1e-12):
            raise InputError(
                "devices",
                f"{have:.1f} MB in all",
                f"the model needs {need:.1f} MB: no placement fits the devices' memory",
            )

    # ------------------------------------------------------------------ sizes
    @property
    def n_devices(self) -> int:
        return len(self.devices)

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def n_iterations(self) -> int:
        return len(self.trace)

    @property
    def n_levels(self) -> int:
        return len(self.frequency_levels)

    @cached_property
    def top_level(self) -> int:
        """Index of the highest DVFS level, the one every heuristic runs at."""
        return int(np.argmax(self.frequency_levels))

    # ------------------------------------------------------------------ derived data
    @cached_property
    def neurons(self) -> np.ndarray:
        return np.array([layer.neurons for layer in self.layers], dtype=int)

    @cached_property
    def memory_per_neuron_mb(self) -> np.ndarray:
        return np.array([layer.memory_mb_per_neuron for layer in self.layers], dtype=float)

    @cached_property
    def memory_mb(self) -> np.ndarray:
        return np.array([d.memory_mb for d in self.devices], dtype=float)

    def state(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(u, f, B) of iteration ``k`` as arrays over devices."""
        row = self.trace[k]
        return (
            np.array([s.capacity_share for s in row], dtype=float),
            np.array([s.freq_ghz for s in row], dtype=float),
            np.array([s.bandwidth_mbps for s in row], dtype=float),
        )

    def terms(self, k: int) -> IterationTerms:
        """Time and energy coefficients of iteration ``k`` (cached; see docs/families/placement.md).

        With F = φ_v f_{i,k} the operating frequency at level v and S the batch size:
        Gcycles of one neuron c = mflop·10⁻³ · S · δ_i; compute time c / (F u_{i,k}) (Eq. 1–2);
        transfer times S·out/B_{i,k} per neuron and S·in/B_{i,k} per used device (Eq. 3–4);
        compute energy η_i c (F u)² (Eq. 7); heat g_i(F)·compute time + h_i(F)·transfer
        time with g, h linear in F² (Eq. 8–9). All are constants once F is fixed, so the
        models stay linear in the neuron counts.
        """
        return self._terms[k]

    @cached_property
    def _terms(self) -> tuple[IterationTerms, ...]:
        levels = np.array(self.frequency_levels, dtype=float)[:, None, None]  # [v, 1, 1]
        delta = np.array([d.cycles_per_flop for d in self.devices])
        eta = np.array([d.energy_coef for d in self.devices])
        g0, g1, h0, h1 = (
            np.array([getattr(d, f) for d in self.devices])
            for f in ("heat_compute_w", "heat_compute_w_per_ghz2", "heat_comm_w", "heat_comm_w_per_ghz2")
        )
        gflop = np.array([layer.mflop_per_neuron for layer in self.layers]) * 1e-3 * self.batch_size
        out_mbit = np.array([layer.out_mbit_per_neuron for layer in self.layers]) * self.batch_size
        in_mbit = np.array([layer.in_mbit for layer in self.layers]) * self.batch_size
        cycles = gflop[:, None] * delta[None, :]  # [l, i] Gcycles per neuron
        result = []
        for k in range(self.n_iterations):
            u, f, bandwidth = self.state(k)
            freq = levels * f[None, None, :]  # [v, 1, i] operating frequency F
            speed = freq * u[None, None, :]  # effective Gcycles/s
            compute = cycles[None, :, :] / speed  # [v, l, i]
            out_s = out_mbit[:, None] / bandwidth[None, :]  # [l, i]
            input_s = in_mbit[:, None] / bandwidth[None, :]
            heat_compute = g0 + g1 * freq**2  # [v, 1, i] watts
            heat_comm = h0 + h1 * freq**2
            energy = eta * cycles[None] * speed**2 + heat_compute * compute + heat_comm * out_s[None]
            result.append(
                IterationTerms(
                    neuron_time_s=compute + out_s[None],
                    input_time_s=input_s,
                    neuron_energy_j=energy,
                    input_energy_j=heat_comm * input_s[None],
                )
            )
        return tuple(result)

    @cached_property
    def reference(self) -> tuple[float, float]:
        """(E_ref, T_ref) of Eq. (10)'s normalisation: the whole model on one device per iteration.

        In each iteration, the device with the least job time at the top DVFS level runs
        every layer (memory ignored, ties to the lowest index); E_ref and T_ref sum its
        energy and time over the trace, so that this placement scores exactly 1.
        """
        v = self.top_level
        energy = time = 0.0
        for k in range(self.n_iterations):
            t = self.terms(k)
            device_time = self.neurons @ t.neuron_time_s[v] + t.input_time_s.sum(axis=0)  # [i]
            best = int(np.argmin(device_time))
            time += float(device_time[best])
            energy += float(self.neurons @ t.neuron_energy_j[v, :, best] + t.input_energy_j[v, :, best].sum())
        return energy, time

    @cached_property
    def objective_weights(self) -> tuple[float, float]:
        """(α / E_ref, (1 − α) / T_ref): Eq. (10) is weight_E · E + weight_T · T."""
        e_ref, t_ref = self.reference
        return self.alpha / e_ref, (1.0 - self.alpha) / t_ref
