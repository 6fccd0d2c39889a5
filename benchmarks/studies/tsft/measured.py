"""A device-execution simulator that plays the role of latency *measurement* for the TSFT study.

**Figures produced with this module describe the simulator, not real hardware.** There is
no measured multi-device latency data set offline (HW-NAS-Bench and HELP data are not on
PyPI), and the analytic model of :mod:`~cpnopt.problems.offloading.latency` is a sum over
kernels, on which a layer-wise predictor is exact by construction. This simulator adds, on
top of the same kernels (``operation_kernels``, ``node_sum_kernel``, ``stem_kernels``, … and
the roofline parameters of :class:`~cpnopt.problems.offloading.latency.DeviceSpec`), effects
that real devices show and that make latency *not additive* over operations. A measured
HW-NAS-Bench-style table (:func:`~cpnopt.problems.offloading.latency.load_latency_table`)
returns the same :class:`LatencyTable` as :func:`measure` and runs the same study
(``benchmarks/offloading_tsft.py --table``).

Effects (parameter ranges per device class in :data:`EFFECT_RANGES`, fusion probability in
:data:`FUSION_PROBABILITY`, branch streams in :data:`STREAMS`):

1. **Operator fusion** (``fusion``): compilers such as TensorRT, TVM or XNNPACK fuse
   ReLU-Conv-BN into one kernel (BN folded into the conv weights, ReLU applied on load):
   one launch instead of three and only the conv's memory traffic. They also fuse a node's
   element-wise sum into the epilogue of the kernel that produced its last input (no launch,
   no re-read of the tensor just written, no separate write). The sum fusion depends on the
   neighbours, so an isolated profile of the sum cannot see it.
2. **Branch concurrency** (``streams``, ``contention``): the operations of a cell are a DAG;
   a parallel device (CUDA streams, several CPU cores with inter-op parallelism) runs
   independent branches at once. Cell time = W − (1 − contention)·(W − max(CP, W/streams)),
   W = the sequential sum, CP = the DAG's critical path: streams = 1 gives W, many streams
   without contention give CP; contention (shared memory bandwidth, SMs) takes back part
   of the overlap.
3. **Cache residency** (``cache_kb``, ``cache_speedup``): a kernel whose input was written
   by the kernel just before it, and fits in the effective on-chip cache, reads it at
   ``cache_speedup`` × memory bandwidth (L2 on CPUs/GPUs, SRAM on accelerators). Inside a
   cell this depends on the execution order — an operation reading the node just computed
   is faster than the same operation reading an older node. (The network skeleton — stem,
   reduction blocks, head — is the same in every network and is priced without carry-over.)
4. **Operation-specific efficiency** (``winograd``, ``util_1x1``): 3×3 convolutions run with
   Winograd/FFT algorithms on many CPU/GPU libraries (up to 2.25× fewer multiplies), while
   1×1 convolutions use systolic arrays and vector units poorly on some accelerators (low
   arithmetic intensity per output). Applied to the cell operations' convs. This effect is
   additive (an isolated profile sees it) but breaks the proportionality to FLOPs.
5. **Sustained-load frequency throttling** (``throttle_depth``, ``throttle_tau_ms``): under
   continuous inference the clock decays towards (1 − depth) of its boost value with time
   constant τ (thermal/power limits, DVFS), so a network of busy time T runs on average
   slower by the factor 1 + depth·(1 − (τ/T)(1 − e^(−T/τ))): longer networks lose more,
   nonlinear in the total time; isolated operations are too short to throttle.
6. **Measurement noise** (``noise_sigma``): every measured latency is multiplied by
   exp(N(0, σ²)) (a few %, run-to-run variation); an operation profile averages
   :data:`PROFILE_REPEATS` runs, so its noise is σ/√repeats.

:func:`MeasuredDevice.additive` switches effects 1–3, 5 and 6 off: then a network's measured
latency is exactly ``fixed_ms`` + Σ of its operations' profiled isolated latencies (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from cpnopt.errors import InputError
from cpnopt.problems.offloading.latency import (
    BYTES_PER_VALUE,
    CELL_NODES,
    CELLS_PER_STAGE,
    DEVICE_CLASSES,
    DEVICE_KINDS,
    STAGES,
    Cell,
    DeviceSpec,
    Kernel,
    LatencyTable,
    head_kernels,
    incoming_operations,
    node_sum_kernel,
    operation_kernels,
    reduction_kernels,
    stem_kernels,
)

# (low, high) per class of: effective cache (KB), cache/memory bandwidth ratio, Winograd
# speed-up of 3×3 convs, 1×1-conv efficiency, throttling depth, throttling τ (ms), noise σ,
# contention
EFFECT_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "cpu": {
        "cache_kb": (16.0, 96.0),
        "cache_speedup": (2.0, 5.0),
        "winograd": (1.0, 2.25),
        "util_1x1": (0.7, 1.0),
        "throttle_depth": (0.0, 0.35),
        "throttle_tau_ms": (20.0, 120.0),
        "noise_sigma": (0.01, 0.04),
        "contention": (0.2, 0.6),
    },
    "gpu": {
        "cache_kb": (24.0, 128.0),
        "cache_speedup": (1.5, 3.0),
        "winograd": (1.0, 2.0),
        "util_1x1": (0.5, 1.0),
        "throttle_depth": (0.0, 0.2),
        "throttle_tau_ms": (2.0, 10.0),
        "noise_sigma": (0.01, 0.03),
        "contention": (0.1, 0.4),
    },
    "other": {
        "cache_kb": (8.0, 64.0),
        "cache_speedup": (2.0, 8.0),
        "winograd": (1.0, 1.0),
        "util_1x1": (0.25, 0.7),
        "throttle_depth": (0.05, 0.4),
        "throttle_tau_ms": (5.0, 30.0),
        "noise_sigma": (0.01, 0.05),
        "contention": (0.0, 0.3),
    },
}
FUSION_PROBABILITY = {"cpu": 0.5, "gpu": 0.9, "other": 0.7}
STREAMS = {"cpu": (1, 2), "gpu": (2, 4), "other": (1, 1)}  # inclusive range of concurrent branches
PROFILE_REPEATS = 100
CONV_OPS = ("nor_conv_1x1", "nor_conv_3x3")
PROFILED_OPS = (*CONV_OPS, "avg_pool_3x3")


@dataclass(frozen=True)
class MeasuredDevice:
    """A simulated device: the roofline :class:`DeviceSpec` plus the non-additive effects (module docstring)."""

    spec: DeviceSpec
    fusion: bool
    streams: int
    contention: float
    cache_kb: float
    cache_speedup: float
    winograd: float
    util_1x1: float
    throttle_depth: float
    throttle_tau_ms: float
    noise_sigma: float

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        return self.spec.kind

    def additive(self) -> MeasuredDevice:
        """The same device with fusion, concurrency, cache carry-over, throttling and noise switched off."""
        return replace(self, fusion=False, streams=1, contention=0.0, cache_kb=0.0, throttle_depth=0.0, noise_sigma=0.0)


def simulated_devices(n: int, seed: int) -> tuple[MeasuredDevice, ...]:
    """``n`` devices, classes in turn (cpu, gpu, other, cpu, …), parameters drawn from the class ranges."""
    if n < 1:
        raise InputError("n_devices", n, "must be ≥ 1")
    rng = np.random.default_rng(seed)
    devices = []
    for i in range(n):
        kind = DEVICE_KINDS[i % len(DEVICE_KINDS)]
        flops, mem, launch, fixed = (float(rng.uniform(lo, hi)) for lo, hi in DEVICE_CLASSES[kind])
        effects = {key: float(rng.uniform(lo, hi)) for key, (lo, hi) in EFFECT_RANGES[kind].items()}
        low, high = STREAMS[kind]
        devices.append(
            MeasuredDevice(
                spec=DeviceSpec(f"sim-{kind}-{i:02d}", kind, flops, mem, launch, fixed),
                fusion=bool(rng.random() < FUSION_PROBABILITY[kind]),
                streams=int(rng.integers(low, high + 1)),
                **effects,
            )
        )
    return tuple(devices)


@dataclass(frozen=True)
class _Launch:
    """One kernel launch: peak-equivalent FLOPs (FLOPs / efficiency), bytes moved, bytes read from the previous kernel."""

    work: float
    bytes: float
    input_bytes: float


def _launch_ms(device: MeasuredDevice, launch: _Launch, cached: bool, with_launch: bool = True) -> float:
    spec = device.spec
    from_cache = launch.input_bytes if cached and launch.input_bytes <= 1024.0 * device.cache_kb else 0.0
    bandwidth = spec.memory_gbps * 1e9
    memory_s = (launch.bytes - from_cache) / bandwidth + from_cache / (bandwidth * device.cache_speedup)
    compute_s = launch.work / (spec.peak_gflops * 1e9)
    return 1e3 * max(compute_s, memory_s) + (1e-3 * spec.launch_us if with_launch else 0.0)


def _chain_ms(device: MeasuredDevice, launches: list[_Launch], first_cached: bool) -> float:
    """Launches run one after another; each after the first reads the output of the one before it."""
    return sum(_launch_ms(device, launch, first_cached if k == 0 else True) for k, launch in enumerate(launches))


def _efficiency(device: MeasuredDevice, op: str) -> float:
    return {"nor_conv_3x3": device.winograd, "nor_conv_1x1": device.util_1x1}.get(op, 1.0)


def _operation_launches(device: MeasuredDevice, op: str, h: int, c: int) -> list[_Launch]:
    """The launches of one cell operation; a ReLU-Conv-BN is one launch on a fusing device."""
    activation = BYTES_PER_VALUE * h * h * c
    kernels = operation_kernels(op, h, c)
    if op not in CONV_OPS:
        return [_Launch(k.flops, k.bytes, activation) for k in kernels]
    relu, conv, bn = kernels
    launches = [
        _Launch(relu.flops, relu.bytes, activation),
        _Launch(conv.flops / _efficiency(device, op), conv.bytes, activation),
        _Launch(bn.flops, bn.bytes, activation),
    ]
    if device.fusion:
        return [_Launch(sum(x.work for x in launches), conv.bytes, activation)]
    return launches


def _sum_launch(h: int, c: int, inputs: int) -> _Launch:
    kernel = node_sum_kernel(h, c, inputs)
    return _Launch(kernel.flops, kernel.bytes, BYTES_PER_VALUE * h * h * c)


def _cell_ms(device: MeasuredDevice, cell: Cell, h: int, c: int) -> float:
    """One cell at (h, c): sequential timing with fusion and cache context, then branch concurrency."""
    edge_ms: dict[tuple[int, int], float] = {}
    sum_ms = [0.0] * CELL_NODES
    alias = list(range(CELL_NODES))  # a node fed only by one skip_connect is its source's tensor
    written: tuple[int, ...] = (0,)  # the tensor the last launch wrote: (node,) or (source, node) for an edge output
    for j in range(1, CELL_NODES):
        incoming = incoming_operations(cell, j)
        last_edge = None
        for i, op in incoming:
            launches = _operation_launches(device, op, h, c)
            if not launches:  # skip_connect: no kernel
                edge_ms[(i, j)] = 0.0
                if len(incoming) == 1:
                    alias[j] = alias[i]
                continue
            edge_ms[(i, j)] = _chain_ms(device, launches, written == (alias[i],))
            written, last_edge = ((j,), None) if len(incoming) == 1 else ((i, j), (i, j))
        if len(incoming) > 1:
            launch = _sum_launch(h, c, len(incoming))
            if device.fusion and last_edge is not None and written == last_edge:
                epilogue = replace(launch, bytes=launch.bytes - 2 * launch.input_bytes)  # no re-read, no extra pass
                edge_ms[last_edge] += _launch_ms(device, epilogue, cached=False, with_launch=False)
            else:
                sum_ms[j] = _launch_ms(device, launch, cached=len(written) == 2 and written[1] == j)
            written = (j,)
    work = sum(edge_ms.values()) + sum(sum_ms)
    ready = [0.0] * CELL_NODES
    for j in range(1, CELL_NODES):
        ready[j] = max((ready[i] + edge_ms[(i, j)] for i, _ in incoming_operations(cell, j)), default=0.0) + sum_ms[j]
    parallel = max(ready[-1], work / device.streams)
    return work - (1.0 - device.contention) * (work - parallel)


def _skeleton_ms(device: MeasuredDevice, kernels: list[Kernel]) -> float:
    return _chain_ms(device, [_Launch(k.flops, k.bytes, 0.0) for k in kernels], False)


def _throttled(device: MeasuredDevice, busy_ms: float) -> float:
    """Average slowdown 1 + depth·(1 − (τ/T)(1 − e^(−T/τ))) of a run of busy time T (effect 5)."""
    if device.throttle_depth == 0.0 or busy_ms <= 0.0:
        return busy_ms
    tau = device.throttle_tau_ms
    return busy_ms * (1.0 + device.throttle_depth * (1.0 - tau / busy_ms * (1.0 - math.exp(-busy_ms / tau))))


def noiseless_latency_ms(cell: Cell, device: MeasuredDevice) -> float:
    """Simulated latency of one inference of the network built from ``cell`` on ``device``, without noise (ms)."""
    busy = _skeleton_ms(device, stem_kernels() + head_kernels())
    for stage, (h, c) in enumerate(STAGES):
        if stage:
            busy += _skeleton_ms(device, reduction_kernels(stage))
        busy += CELLS_PER_STAGE * _cell_ms(device, cell, h, c)
    return device.spec.fixed_ms + _throttled(device, busy)


def measure(cells: list[Cell] | tuple[Cell, ...], devices: tuple[MeasuredDevice, ...], seed: int) -> LatencyTable:
    """Simulated measurement table [architecture, device] in ms, multiplicative log-normal noise drawn with ``seed``."""
    if not cells or not devices:
        raise InputError("cells" if not cells else "devices", 0, "must not be empty")
    clean = np.array([[noiseless_latency_ms(cell, d) for d in devices] for cell in cells])
    sigma = np.array([d.noise_sigma for d in devices])
    noise = np.exp(np.random.default_rng(seed).normal(size=clean.shape) * sigma)
    return LatencyTable(tuple(cells), tuple(d.name for d in devices), clean * noise)


# ---- layer-wise profile (nn-Meter style: every operation measured alone) -------------------------


def profile_keys() -> tuple[str, ...]:
    """Names of the profiled operations: the skeleton parts and (operation, stage) / (sumN, stage) pairs."""
    keys = ["stem+head", *(f"reduction@{s}" for s in range(1, len(STAGES)))]
    for stage in range(len(STAGES)):
        keys += [f"{op}@{stage}" for op in PROFILED_OPS]
        keys += [f"sum{m}@{stage}" for m in range(2, CELL_NODES)]
    return tuple(keys)


def operation_counts(cell: Cell) -> np.ndarray:
    """How often each operation of :func:`profile_keys` occurs in the network built from ``cell``."""
    index = {key: k for k, key in enumerate(profile_keys())}
    counts = np.zeros(len(index))
    counts[index["stem+head"]] = 1
    for stage in range(1, len(STAGES)):
        counts[index[f"reduction@{stage}"]] = 1
    for stage in range(len(STAGES)):
        for j in range(1, CELL_NODES):
            incoming = incoming_operations(cell, j)
            for _, op in incoming:
                if op in PROFILED_OPS:
                    counts[index[f"{op}@{stage}"]] += CELLS_PER_STAGE
            if len(incoming) > 1:
                counts[index[f"sum{len(incoming)}@{stage}"]] += CELLS_PER_STAGE
    return counts


def _isolated_ms(device: MeasuredDevice, key: str) -> float:
    name, _, stage = key.partition("@")
    if name == "stem+head":
        return _skeleton_ms(device, stem_kernels() + head_kernels())
    if name == "reduction":
        return _skeleton_ms(device, reduction_kernels(int(stage)))
    h, c = STAGES[int(stage)]
    if name.startswith("sum"):
        return _launch_ms(device, _sum_launch(h, c, int(name[3:])), cached=False)
    return _chain_ms(device, _operation_launches(device, name, h, c), first_cached=False)


@dataclass(frozen=True)
class OperationProfile:
    """Isolated latency ``latency_ms[d][k]`` (ms) of operation ``keys[k]`` on device ``devices[d]``."""

    keys: tuple[str, ...]
    devices: tuple[str, ...]
    latency_ms: np.ndarray

    def row(self, device: str) -> np.ndarray:
        if device not in self.devices:
            raise InputError("device", device, f"not profiled; profiled: {', '.join(self.devices)}")
        return self.latency_ms[self.devices.index(device)]


def profile_operations(devices: tuple[MeasuredDevice, ...], seed: int) -> OperationProfile:
    """Each operation of :func:`profile_keys` run alone on each device (no fusion with neighbours, no
    branch concurrency, no cache carry-over, too short to throttle; a ReLU-Conv-BN compiled alone is
    still fused on a fusing device), averaged over :data:`PROFILE_REPEATS` noisy runs."""
    keys = profile_keys()
    clean = np.array([[_isolated_ms(d, key) for key in keys] for d in devices])
    sigma = np.array([[d.noise_sigma / math.sqrt(PROFILE_REPEATS)] for d in devices])
    noise = np.exp(np.random.default_rng(seed).normal(size=clean.shape) * sigma)
    return OperationProfile(keys, tuple(d.name for d in devices), clean * noise)
