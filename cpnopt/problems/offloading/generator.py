"""Random offloading instances on real (topohub) or synthetic (Gabriel) topologies.

- Topology: ``topology`` is a topohub key (default ``sndlib/abilene``: 12 nodes, 15 links,
  the paper's 30 directed links) or ``"gabriel"`` for a synthetic Gabriel graph of
  ``gabriel_nodes`` nodes in a ``gabriel_area_km`` square. Link lengths give the
  propagation delay (2×10⁵ km/s); capacities are drawn per link in ``capacity_mbps``.
- ``n_access_points`` distinct random nodes are access points; the other nodes (or
  ``n_compute_nodes`` of them) are compute nodes, each with a device drawn by class
  (``device_mix`` = shares of cpu, gpu, other) from the fixed catalog of
  :func:`~cpnopt.problems.offloading.latency.standard_devices`, or from the devices of a
  HW-NAS-Bench-style table (``latency_table``, a CSV path).
- Time-varying state, per slot of ``slot_s``: the background share of every directed link
  and the load share of every compute node follow reflected random walks (step
  ``N(0, state_step)``) inside ``background`` and ``node_load``; the state covers every
  arrival.
- Tasks: Poisson arrivals at ``arrival_rate_per_s``, a random access point, data
  D ~ U(``data_mb``) Mb, one of ``n_architectures`` NAS-Bench-201 cells (uniform over the
  search space, or rows of the table), ``inferences`` ~ U{low..high}.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cpnopt.errors import InputError
from cpnopt.problems.offloading.instance import ComputeNode, Device, Link, OffloadingInstance, Task
from cpnopt.problems.offloading.latency import (
    DEVICE_KINDS,
    analytic_latency_ms,
    device_kind,
    load_latency_table,
    random_cell,
    standard_devices,
)
from cpnopt.topology import Topology, from_topohub, gabriel


@dataclass(frozen=True)
class OffloadingParams:
    """Generator parameters; the defaults give a small Abilene instance."""

    topology: str = "sndlib/abilene"  # topohub key, or "gabriel"
    gabriel_nodes: int = 20
    gabriel_area_km: float = 2000.0
    n_access_points: int = 3  # the paper uses 2–4
    n_compute_nodes: int | None = None  # None: every node that is not an access point
    device_mix: tuple[float, float, float] = (0.5, 0.3, 0.2)  # cpu, gpu, other
    capacity_mbps: tuple[float, float] = (200.0, 1000.0)
    background: tuple[float, float] = (0.1, 0.7)
    node_load: tuple[float, float] = (0.0, 0.5)
    state_step: float = 0.1
    slot_s: float = 1.0
    n_tasks: int = 20
    arrival_rate_per_s: float = 5.0
    data_mb: tuple[float, float] = (5.0, 50.0)
    n_architectures: int = 20
    inferences: tuple[int, int] = (10, 50)
    latency_table: str | None = None
    n_candidates: int = 5
    k_paths: int = 3
    hop_weight_s: float = 0.005
    flow_share: float = 0.5

    def __post_init__(self) -> None:
        for name in ("n_access_points", "n_tasks", "n_architectures", "gabriel_nodes"):
            if getattr(self, name) < 1:
                raise InputError(f"params.{name}", getattr(self, name), "must be ≥ 1")
        for name in ("capacity_mbps", "data_mb", "inferences"):
            low, high = getattr(self, name)
            if not 0 < low <= high:
                raise InputError(f"params.{name}", (low, high), "must be a range 0 < low ≤ high")
        for name in ("background", "node_load"):
            low, high = getattr(self, name)
            if not 0 <= low <= high < 1:
                raise InputError(f"params.{name}", (low, high), "must be a range 0 ≤ low ≤ high < 1")
        if len(self.device_mix) != len(DEVICE_KINDS) or min(self.device_mix) < 0 or sum(self.device_mix) <= 0:
            raise InputError("params.device_mix", self.device_mix, "three non-negative shares (cpu, gpu, other)")
        for name in ("slot_s", "arrival_rate_per_s", "gabriel_area_km"):
            if not getattr(self, name) > 0:
                raise InputError(f"params.{name}", getattr(self, name), "must be positive")
        if self.state_step < 0:
            raise InputError("params.state_step", self.state_step, "must be ≥ 0")


def load_topology(params: OffloadingParams, rng: np.random.Generator) -> Topology:
    if params.topology == "gabriel":
        return gabriel(params.gabriel_nodes, params.gabriel_area_km, rng, name=f"gabriel-{params.gabriel_nodes}")
    return from_topohub(params.topology)


def random_walk(low: float, high: float, step: float, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """[slot, item] values starting uniform in [low, high], moving N(0, step) per slot, reflected into the range."""
    out = np.empty(shape)
    out[0] = rng.uniform(low, high, size=shape[1])
    width = high - low
    for t in range(1, shape[0]):
        x = out[t - 1] + rng.normal(0.0, step, size=shape[1]) - low
        out[t] = low + (np.abs(np.mod(x + width, 2 * width) - width) if width > 0 else 0.0)
    return out


def generate(params: OffloadingParams, seed: int = 0) -> OffloadingInstance:
    rng = np.random.default_rng(seed)
    topo = load_topology(params, rng)
    n_nodes = topo.n_nodes
    if params.n_access_points >= n_nodes:
        raise InputError("params.n_access_points", params.n_access_points, f"the topology has only {n_nodes} nodes")
    order = rng.permutation(n_nodes)
    access_points = tuple(sorted(int(v) for v in order[: params.n_access_points]))
    rest = sorted(int(v) for v in order[params.n_access_points :])
    if params.n_compute_nodes is not None:
        if not 1 <= params.n_compute_nodes <= len(rest):
            raise InputError("params.n_compute_nodes", params.n_compute_nodes, f"must be in 1..{len(rest)}")
        rest = sorted(int(v) for v in rng.choice(rest, size=params.n_compute_nodes, replace=False))

    if params.latency_table is None:
        specs = standard_devices()
        devices = tuple(Device(d.name, d.kind) for d in specs)
        cells = [random_cell(rng) for _ in range(params.n_architectures)]
        table = analytic_latency_ms(cells, specs)
    else:
        measured = load_latency_table(params.latency_table)
        devices = tuple(Device(name, device_kind(name)) for name in measured.devices)
        rows = rng.choice(len(measured.cells), size=min(params.n_architectures, len(measured.cells)), replace=False)
        cells = [measured.cells[r] for r in rows]
        table = measured.latency_ms[rows]
    mix = np.array([params.device_mix[DEVICE_KINDS.index(d.kind)] for d in devices], dtype=float)
    if mix.sum() <= 0:
        raise InputError(
            "params.device_mix", params.device_mix, "gives no device of the table's classes a positive share"
        )
    # each class gets its share, split evenly over the class's devices
    per_class = {k: sum(1 for d in devices if d.kind == k) for k in DEVICE_KINDS}
    weights = mix / np.array([per_class[d.kind] for d in devices])
    device_of = rng.choice(len(devices), size=len(rest), p=weights / weights.sum())
    compute_nodes = tuple(ComputeNode(node=v, device=int(d)) for v, d in zip(rest, device_of))

    links = tuple(Link(u, v, length, float(rng.uniform(*params.capacity_mbps))) for u, v, length in topo.links)
    arrivals = np.cumsum(rng.exponential(1.0 / params.arrival_rate_per_s, size=params.n_tasks))
    tasks = tuple(
        Task(
            arrival_s=float(a),
            access_point=int(rng.integers(len(access_points))),
            data_mb=float(rng.uniform(*params.data_mb)),
            architecture=int(rng.integers(len(cells))),
            inferences=int(rng.integers(params.inferences[0], params.inferences[1] + 1)),
        )
        for a in arrivals
    )
    n_slots = int(arrivals[-1] // params.slot_s) + 1
    background = random_walk(*params.background, params.state_step, (n_slots, 2 * len(links)), rng)
    node_load = random_walk(*params.node_load, params.state_step, (n_slots, len(compute_nodes)), rng)
    return OffloadingInstance(
        n_nodes=n_nodes,
        links=links,
        access_points=access_points,
        compute_nodes=compute_nodes,
        devices=devices,
        architectures=tuple(cells),
        latency_ms=tuple(tuple(float(x) for x in row) for row in table),
        tasks=tasks,
        background=tuple(tuple(float(x) for x in row) for row in background),
        node_load=tuple(tuple(float(x) for x in row) for row in node_load),
        slot_s=params.slot_s,
        n_candidates=params.n_candidates,
        k_paths=params.k_paths,
        hop_weight_s=params.hop_weight_s,
        flow_share=params.flow_share,
        topology=topo.name,
        name=f"offloading-{topo.name.replace('/', '-')}-n{params.n_tasks}-seed{seed}",
    )
