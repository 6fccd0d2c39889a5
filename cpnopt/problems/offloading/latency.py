"""Computation latency of a NAS-Bench-201 network on a device (RLMS-CPN Sec. 3.3's input).

Architectures are NAS-Bench-201 cells (Dong & Yang, ICLR 2020): 4 nodes, an edge i→j for
every i < j carrying one operation of :data:`OPERATIONS`. The network is NAS-Bench-201's
CIFAR macro skeleton: a 3×3 stem conv (3→16 channels, 32×32), three stages of
``CELLS_PER_STAGE`` = 5 cells at (32×32, 16), (16×16, 32), (8×8, 64) channels, a ResNet
reduction block between stages (two 3×3 convs, one at stride 2, and a 1×1-conv shortcut),
global average pooling and a 64→10 linear classifier.

The **analytic model** (documented choice; the paper predicts latency with TSFT, Sec. 3.3,
and measures it on devices) prices every kernel with a roofline plus a launch overhead:

    latency = fixed_ms + Σ_kernels [ max(flops / peak_gflops, bytes / memory_gbps) + launch_us ]

with flops = 2 × multiply-accumulates, bytes = 4 × (input + output activations + weights)
(float32, batch 1). A ReLU-Conv-BN operation (``nor_conv_kxk``) is 3 kernels, an average
pool 1, ``skip_connect`` and ``none`` none; a cell node with m > 1 incoming operations adds
one element-wise sum kernel. Device classes (``cpu``, ``gpu``, ``other`` = edge
accelerators/FPGAs) differ in their parameter ranges (:data:`DEVICE_CLASSES`); the
catalog :func:`standard_devices` is drawn once with a fixed seed, so every instance and the
TSFT study see the same devices.

**Measured tables**: :func:`load_latency_table` reads a HW-NAS-Bench-style CSV — a column
``arch_str`` with NAS-Bench-201 architecture strings (``|nor_conv_3x3~0|+|skip_connect~0|
nor_conv_1x1~1|+|...|``) and one column per device named ``<device>_latency`` in
milliseconds (the layout of HW-NAS-Bench's ``query_by_index`` results, one row per
architecture). Export it from HW-NAS-Bench with its own API; cpnopt never unpickles files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cpnopt.errors import InputError
from cpnopt.jsonio import read_csv_rows

OPERATIONS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
CELL_NODES = 4
CELLS_PER_STAGE = 5
STAGES = ((32, 16), (16, 32), (8, 64))  # (resolution, channels)
DEVICE_KINDS = ("cpu", "gpu", "other")
BYTES_PER_VALUE = 4


@dataclass(frozen=True)
class Cell:
    """A NAS-Bench-201 cell: ``operations[i][j]`` is the operation on edge i→j (i < j), ``"none"`` elsewhere."""

    operations: tuple[tuple[str, ...], ...]

    def validate(self, field: str) -> None:
        if len(self.operations) != CELL_NODES or any(len(row) != CELL_NODES for row in self.operations):
            raise InputError(f"{field}.operations", self.operations, f"must be a {CELL_NODES}×{CELL_NODES} matrix")
        for i, row in enumerate(self.operations):
            for j, op in enumerate(row):
                if op not in OPERATIONS:
                    raise InputError(
                        f"{field}.operations[{i}][{j}]", op, f"unknown operation; known: {', '.join(OPERATIONS)}"
                    )
                if j <= i and op != "none":
                    raise InputError(
                        f"{field}.operations[{i}][{j}]", op, "only edges i→j with i < j may carry an operation"
                    )

    @property
    def adjacency(self) -> np.ndarray:
        """0/1 matrix of the edges that carry an operation other than ``none``."""
        return np.array([[op != "none" for op in row] for row in self.operations], dtype=int)

    def op_matrix(self) -> np.ndarray:
        """Operation indices into :data:`OPERATIONS` (the "operation matrix" of the issue)."""
        return np.array([[OPERATIONS.index(op) for op in row] for row in self.operations], dtype=int)

    def arch_str(self) -> str:
        """The NAS-Bench-201 string, e.g. ``|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...|``."""
        nodes = ["|" + "|".join(f"{self.operations[i][j]}~{i}" for i in range(j)) + "|" for j in range(1, CELL_NODES)]
        return "+".join(nodes)

    @classmethod
    def from_arch_str(cls, text: str, field: str = "arch_str") -> Cell:
        ops = [["none"] * CELL_NODES for _ in range(CELL_NODES)]
        parts = text.strip().split("+")
        if len(parts) != CELL_NODES - 1:
            raise InputError(field, text, f"a NAS-Bench-201 string has {CELL_NODES - 1} '+'-separated nodes")
        for j, part in enumerate(parts, start=1):
            for token in filter(None, part.strip("|").split("|")):
                op, _, src = token.partition("~")
                if not src.isdigit() or not 0 <= int(src) < j:
                    raise InputError(field, text, f"bad edge {token!r} into node {j}")
                ops[int(src)][j] = op
        cell = cls(tuple(tuple(row) for row in ops))
        cell.validate(field)
        return cell


def random_cell(rng: np.random.Generator) -> Cell:
    """A uniformly random cell (each of the 6 edges draws one of the 5 operations), as NAS-Bench-201's space."""
    ops = [["none"] * CELL_NODES for _ in range(CELL_NODES)]
    for j in range(1, CELL_NODES):
        for i in range(j):
            ops[i][j] = OPERATIONS[int(rng.integers(len(OPERATIONS)))]
    return Cell(tuple(tuple(row) for row in ops))


@dataclass(frozen=True)
class Kernel:
    flops: float
    bytes: float


@dataclass(frozen=True)
class DeviceSpec:
    """Parameters of the analytic model for one device."""

    name: str
    kind: str  # one of DEVICE_KINDS
    peak_gflops: float
    memory_gbps: float  # GB/s
    launch_us: float  # per kernel
    fixed_ms: float  # per inference (framework + host overhead)

    def latency_ms(self, kernels: list[Kernel]) -> float:
        compute = sum(max(k.flops / (self.peak_gflops * 1e9), k.bytes / (self.memory_gbps * 1e9)) for k in kernels)
        return self.fixed_ms + 1e3 * compute + 1e-3 * self.launch_us * len(kernels)


# (low, high) ranges of peak GFLOP/s, GB/s, launch µs and fixed ms per device class
DEVICE_CLASSES: dict[str, tuple[tuple[float, float], ...]] = {
    "cpu": ((20.0, 150.0), (5.0, 40.0), (1.0, 5.0), (0.5, 2.0)),
    "gpu": ((2000.0, 15000.0), (200.0, 900.0), (8.0, 25.0), (1.0, 4.0)),
    "other": ((500.0, 4000.0), (10.0, 60.0), (20.0, 80.0), (0.3, 1.5)),
}
CATALOG_SEED = 201


def standard_devices(per_kind: int = 8) -> tuple[DeviceSpec, ...]:
    """The fixed device catalog: ``per_kind`` devices of each class, drawn with seed :data:`CATALOG_SEED`."""
    rng = np.random.default_rng(CATALOG_SEED)
    devices = []
    for kind in DEVICE_KINDS:
        for i in range(per_kind):
            flops, mem, launch, fixed = (float(rng.uniform(lo, hi)) for lo, hi in DEVICE_CLASSES[kind])
            devices.append(DeviceSpec(f"{kind}-{i:02d}", kind, flops, mem, launch, fixed))
    return tuple(devices)


def _conv(h: int, c_in: int, c_out: int, k: int, stride: int = 1) -> Kernel:
    out = (h // stride) ** 2
    return Kernel(
        2.0 * out * c_out * c_in * k * k, BYTES_PER_VALUE * (h * h * c_in + out * c_out + k * k * c_in * c_out)
    )


def _elementwise(h: int, c: int, reads: int, flops_per_value: float = 1.0) -> Kernel:
    return Kernel(flops_per_value * h * h * c, BYTES_PER_VALUE * (reads + 1) * h * h * c)


def operation_kernels(op: str, h: int, c: int) -> list[Kernel]:
    """The kernels of one cell operation at resolution ``h`` with ``c`` channels (module docstring)."""
    if op in ("nor_conv_1x1", "nor_conv_3x3"):
        k = 1 if op == "nor_conv_1x1" else 3
        return [_elementwise(h, c, 1), _conv(h, c, c, k), _elementwise(h, c, 1, 2.0)]  # ReLU, conv, BN
    if op == "avg_pool_3x3":
        return [_elementwise(h, c, 1, 9.0)]
    return []  # skip_connect (aliasing, no kernel) and none


def node_sum_kernel(h: int, c: int, inputs: int) -> Kernel:
    """The element-wise sum of a cell node with ``inputs`` > 1 incoming operations."""
    return _elementwise(h, c, inputs, inputs - 1.0)


def stem_kernels() -> list[Kernel]:
    """The 3×3 stem conv (3→16 channels at 32×32) and its BN."""
    return [_conv(32, 3, 16, 3), _elementwise(32, 16, 1, 2.0)]


def reduction_kernels(stage: int) -> list[Kernel]:
    """The ResNet reduction block before ``stage`` ≥ 1: two 3×3 convs (one at stride 2), a 1×1 shortcut, the sum."""
    (h_in, c_in), (h, c) = STAGES[stage - 1], STAGES[stage]
    return [_conv(h_in, c_in, c, 3, 2), _conv(h, c, c, 3), _conv(h_in, c_in, c, 1, 2), _elementwise(h, c, 2)]


def head_kernels() -> list[Kernel]:
    """Global average pooling and the 64→10 linear classifier."""
    h, c = STAGES[-1]
    return [_elementwise(h, c, 1, 1.0), Kernel(2.0 * c * 10, BYTES_PER_VALUE * (c + c * 10 + 10))]


def incoming_operations(cell: Cell, j: int) -> list[tuple[int, str]]:
    """(source node, operation) of the edges into cell node ``j`` that carry an operation other than ``none``."""
    return [(i, cell.operations[i][j]) for i in range(j) if cell.operations[i][j] != "none"]


def network_kernels(cell: Cell) -> list[Kernel]:
    """Every kernel of the NAS-Bench-201 CIFAR network built from ``cell`` (module docstring)."""
    kernels = stem_kernels()
    for stage, (h, c) in enumerate(STAGES):
        if stage:
            kernels += reduction_kernels(stage)
        for _ in range(CELLS_PER_STAGE):
            for j in range(1, CELL_NODES):
                incoming = incoming_operations(cell, j)
                for _, op in incoming:
                    kernels += operation_kernels(op, h, c)
                if len(incoming) > 1:
                    kernels.append(node_sum_kernel(h, c, len(incoming)))
    return kernels + head_kernels()


def network_flops(cell: Cell) -> float:
    """Total FLOPs of one inference (the FLOPS-based predictor's feature)."""
    return sum(k.flops for k in network_kernels(cell))


def analytic_latency_ms(cells: list[Cell] | tuple[Cell, ...], devices: tuple[DeviceSpec, ...]) -> np.ndarray:
    """Latency table [architecture, device] in ms per inference from the analytic model."""
    kernel_lists = [network_kernels(cell) for cell in cells]
    return np.array([[d.latency_ms(ks) for d in devices] for ks in kernel_lists], dtype=float)


@dataclass(frozen=True)
class LatencyTable:
    """Measured latencies: ``latency_ms[a][d]`` of architecture ``cells[a]`` on device ``devices[d]``."""

    cells: tuple[Cell, ...]
    devices: tuple[str, ...]
    latency_ms: np.ndarray


def device_kind(name: str) -> str:
    """Class of a HW-NAS-Bench device name (edgegpu → gpu; raspi4, pixel3 → cpu; the rest → other)."""
    lowered = name.lower()
    if "gpu" in lowered:
        return "gpu"
    if any(tag in lowered for tag in ("cpu", "raspi", "pixel")):
        return "cpu"
    return "other"


def load_latency_table(path: str | Path) -> LatencyTable:
    """Read a HW-NAS-Bench-style CSV (module docstring); every problem is an InputError naming the cell."""
    path = Path(path)
    rows = read_csv_rows(path, "latency_table")
    if not rows or "arch_str" not in rows[0]:
        raise InputError("latency_table", str(path), "needs a header with 'arch_str' and '<device>_latency' columns")
    columns = [c for c in rows[0] if c.endswith("_latency")]
    if not columns:
        raise InputError("latency_table", str(path), "no '<device>_latency' column")
    cells, table = [], []
    for r, row in enumerate(rows):
        cells.append(Cell.from_arch_str(row["arch_str"], f"latency_table[{r}].arch_str"))
        values = []
        for c in columns:
            try:
                value = float(row[c])
            except (TypeError, ValueError):
                raise InputError(f"latency_table[{r}].{c}", row[c], "expected a number of milliseconds") from None
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"latency_table[{r}].{c}", value, "must be a positive number of milliseconds")
            values.append(value)
        table.append(values)
    return LatencyTable(tuple(cells), tuple(c[: -len("_latency")] for c in columns), np.array(table))
