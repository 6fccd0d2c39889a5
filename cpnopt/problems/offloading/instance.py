"""The RLMS-CPN instance: network, compute nodes, time-varying state, tasks (system model).

Everything every method needs and that does not depend on decisions — directed links,
per-slot available bandwidth, computation latency of each task on each compute node,
candidate nodes and paths — is derived here once, so the evaluator, the exact models and
the baselines read the same numbers. Units: Mb (megabits), Mb/s, seconds, km.

Ranges (checked in validation, listed in docs/families/offloading.md):
`n_nodes` is an integer in [2, 100000] (the graph is built in memory); `capacity_mbps`,
`data_mb`, `latency_ms`, `slot_s` and `propagation_km_per_s` lie in [1e-9, 1e12]; `length_km`,
`arrival_s` and `hop_weight_s` in [0, 1e12]; `background` and `node_load` are shares in [0, 1);
`flow_share` in (0, 1); `inferences` is an integer in [1, 1e12].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np

from cpnopt.checks import count
from cpnopt.checks import nonnegative as _nonnegative
from cpnopt.checks import positive as _positive
from cpnopt.errors import InputError
from cpnopt.problems.offloading.candidates import Path, disjoint_paths, top_candidates
from cpnopt.problems.offloading.latency import DEVICE_KINDS, Cell

MAX_NODES = 100_000  # the largest graph accepted: its node arrays and paths are built in memory


@dataclass(frozen=True)
class Link:
    """An undirected full-duplex link: each direction has ``capacity_mbps``."""

    u: int
    v: int
    length_km: float
    capacity_mbps: float


@dataclass(frozen=True)
class Device:
    name: str
    kind: str  # "cpu", "gpu" or "other"


@dataclass(frozen=True)
class ComputeNode:
    node: int  # graph node
    device: int  # index into ``devices``


@dataclass(frozen=True)
class Task:
    arrival_s: float
    access_point: int  # index into ``access_points``
    data_mb: float  # D, megabits to send
    architecture: int  # index into ``architectures``
    inferences: int  # inferences run on the node (computation = inferences × table latency)


@dataclass(frozen=True)
class OffloadingInstance:
    n_nodes: int
    links: tuple[Link, ...]
    access_points: tuple[int, ...]  # graph nodes where tasks enter
    compute_nodes: tuple[ComputeNode, ...]
    devices: tuple[Device, ...]
    architectures: tuple[Cell, ...]
    latency_ms: tuple[tuple[float, ...], ...]  # [architecture][device], one inference
    tasks: tuple[Task, ...]  # in arrival order
    background: tuple[tuple[float, ...], ...]  # [slot][directed link], share of capacity used by other traffic
    node_load: tuple[tuple[float, ...], ...]  # [slot][compute node], share of the device busy with other work
    slot_s: float = 1.0
    n_candidates: int = 5  # top-n compute nodes (Sec. 3.2)
    k_paths: int = 3  # link-disjoint candidate paths per (access point, node)
    hop_weight_s: float = 0.005  # seconds per hop in the candidate score
    flow_share: float = 0.5  # α: share of a path's residual bandwidth a new flowlet is granted
    propagation_km_per_s: float = 2.0e5  # light in fibre
    topology: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        count("n_nodes", self.n_nodes, 2, MAX_NODES)
        seen: set[tuple[int, int]] = set()
        for j, link in enumerate(self.links):
            for end in ("u", "v"):
                _index(f"links[{j}].{end}", getattr(link, end), self.n_nodes)
            if link.u == link.v:
                raise InputError(f"links[{j}].v", link.v, "a link must join two different nodes")
            if (min(link.u, link.v), max(link.u, link.v)) in seen:
                raise InputError(f"links[{j}]", (link.u, link.v), "duplicate link")
            seen.add((min(link.u, link.v), max(link.u, link.v)))
            _nonnegative(f"links[{j}].length_km", link.length_km)
            _positive(f"links[{j}].capacity_mbps", link.capacity_mbps)
        if not nx.is_connected(self.graph):
            raise InputError(
                "links", len(self.links), "disconnected topology: some access point cannot reach some compute node"
            )
        if not self.access_points:
            raise InputError("access_points", [], "at least one access point is needed")
        for a, node in enumerate(self.access_points):
            _index(f"access_points[{a}]", node, self.n_nodes)
        if len(set(self.access_points)) != len(self.access_points):
            raise InputError("access_points", self.access_points, "access points must be distinct nodes")
        for i, d in enumerate(self.devices):
            if d.kind not in DEVICE_KINDS:
                raise InputError(f"devices[{i}].kind", d.kind, f"must be one of {', '.join(DEVICE_KINDS)}")
        if not self.compute_nodes:
            raise InputError("compute_nodes", [], "at least one compute node is needed")
        for c, cn in enumerate(self.compute_nodes):
            _index(f"compute_nodes[{c}].node", cn.node, self.n_nodes)
            _index(f"compute_nodes[{c}].device", cn.device, len(self.devices))
            if cn.node in self.access_points:
                raise InputError(f"compute_nodes[{c}].node", cn.node, "a compute node cannot sit on an access point")
        if len({cn.node for cn in self.compute_nodes}) != len(self.compute_nodes):
            raise InputError("compute_nodes", [cn.node for cn in self.compute_nodes], "one compute node per graph node")
        for a, cell in enumerate(self.architectures):
            cell.validate(f"architectures[{a}]")
        _matrix("latency_ms", self.latency_ms, len(self.architectures), len(self.devices), positive=True)
        n_links = 2 * len(self.links)
        if not self.background:
            raise InputError("background", [], "at least one slot of network state is needed")
        _matrix("background", self.background, len(self.background), n_links, below_one=True)
        _matrix("node_load", self.node_load, len(self.background), len(self.compute_nodes), below_one=True)
        if not self.tasks:
            raise InputError("tasks", [], "at least one task is needed")
        previous = 0.0
        for n, t in enumerate(self.tasks):
            _nonnegative(f"tasks[{n}].arrival_s", t.arrival_s)
            if t.arrival_s < previous:
                raise InputError(
                    f"tasks[{n}].arrival_s", t.arrival_s, f"tasks must be in arrival order (previous {previous})"
                )
            previous = t.arrival_s
            _index(f"tasks[{n}].access_point", t.access_point, len(self.access_points))
            _positive(f"tasks[{n}].data_mb", t.data_mb)
            _index(f"tasks[{n}].architecture", t.architecture, len(self.architectures))
            _count(f"tasks[{n}].inferences", t.inferences, 1)
        _positive("slot_s", self.slot_s)
        _count("n_candidates", self.n_candidates, 1)
        _count("k_paths", self.k_paths, 1)
        _nonnegative("hop_weight_s", self.hop_weight_s)
        if not 0 < self.flow_share < 1:
            raise InputError(
                "flow_share",
                self.flow_share,
                "must be in (0, 1): with 1 a path can be fully held and later tasks starve",
            )
        _positive("propagation_km_per_s", self.propagation_km_per_s)

    # ------------------------------------------------------------------ sizes
    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def n_slots(self) -> int:
        return len(self.background)

    def slot_of(self, time_s: float) -> int:
        """State slot in force at ``time_s``; after the last slot its state stays in force."""
        return min(int(time_s // self.slot_s), self.n_slots - 1)

    # ------------------------------------------------------------------ network
    @cached_property
    def graph(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(range(self.n_nodes))
        g.add_edges_from((link.u, link.v) for link in self.links)
        return g

    @cached_property
    def directed_links(self) -> tuple[tuple[int, int], ...]:
        """Directed link 2l is u→v of ``links[l]``, 2l+1 is v→u."""
        return tuple(pair for link in self.links for pair in ((link.u, link.v), (link.v, link.u)))

    @cached_property
    def link_delay_s(self) -> np.ndarray:
        return np.repeat([link.length_km / self.propagation_km_per_s for link in self.links], 2)

    @cached_property
    def available_mbps(self) -> np.ndarray:
        """c_e(t) = capacity × (1 − background): [slot, directed link]."""
        capacity = np.repeat([link.capacity_mbps for link in self.links], 2)
        return capacity[None, :] * (1.0 - np.asarray(self.background, dtype=float))

    @cached_property
    def _digraph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        for e, (u, v) in enumerate(self.directed_links):
            g.add_edge(u, v, index=e, delay_s=float(self.link_delay_s[e]))
        return g

    @cached_property
    def _path_cache(self) -> dict[tuple[int, int], tuple[Path, ...]]:
        return {}

    def paths(self, access_point: int, compute: int) -> tuple[Path, ...]:
        """Candidate paths from access point index ``access_point`` to compute node index ``compute``."""
        key = (access_point, compute)
        if key not in self._path_cache:
            source, target = self.access_points[access_point], self.compute_nodes[compute].node
            self._path_cache[key] = disjoint_paths(self._digraph, source, target, self.k_paths)
        return self._path_cache[key]

    @cached_property
    def hops(self) -> np.ndarray:
        """Least hop count [access point, compute node]."""
        out = np.zeros((len(self.access_points), len(self.compute_nodes)))
        for a, source in enumerate(self.access_points):
            lengths = nx.single_source_shortest_path_length(self.graph, source)
            out[a] = [lengths[cn.node] for cn in self.compute_nodes]
        return out

    @cached_property
    def nearest_delay_s(self) -> np.ndarray:
        """Propagation delay of the shortest path [access point, compute node] ("nearest" of Base2/Base4)."""
        out = np.zeros((len(self.access_points), len(self.compute_nodes)))
        for a, source in enumerate(self.access_points):
            lengths = nx.single_source_dijkstra_path_length(self._digraph, source, weight="delay_s")
            out[a] = [lengths[cn.node] for cn in self.compute_nodes]
        return out

    # ------------------------------------------------------------------ computation
    @cached_property
    def computation_s(self) -> np.ndarray:
        """L_c[task, compute node] = inferences × table latency / (1 − node load at arrival)."""
        table = np.asarray(self.latency_ms, dtype=float) / 1e3
        load = np.asarray(self.node_load, dtype=float)
        devices = [cn.device for cn in self.compute_nodes]
        out = np.zeros((self.n_tasks, len(self.compute_nodes)))
        for n, t in enumerate(self.tasks):
            out[n] = t.inferences * table[t.architecture, devices] / (1.0 - load[self.slot_of(t.arrival_s)])
        return out

    @cached_property
    def candidates(self) -> tuple[tuple[int, ...], ...]:
        """Top-n compute nodes of every task (Sec. 3.2, see ``candidates.py``)."""
        n = min(self.n_candidates, len(self.compute_nodes))
        return tuple(
            top_candidates(self.computation_s[j], self.hops[t.access_point], self.hop_weight_s, n)
            for j, t in enumerate(self.tasks)
        )


def _index(name: str, value: int, size: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
        raise InputError(name, value, f"must be an index in 0..{size - 1}")


def _count(name: str, value: int, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InputError(name, value, f"must be an integer ≥ {least}")


def _matrix(
    name: str,
    rows: tuple[tuple[float, ...], ...],
    n_rows: int,
    n_cols: int,
    positive: bool = False,
    below_one: bool = False,
) -> None:
    if len(rows) != n_rows:
        raise InputError(name, len(rows), f"expected {n_rows} rows")
    for i, row in enumerate(rows):
        if len(row) != n_cols:
            raise InputError(f"{name}[{i}]", len(row), f"expected {n_cols} entries")
        for j, value in enumerate(row):
            if positive:
                _positive(f"{name}[{i}][{j}]", value)
            if below_one and not (math.isfinite(value) and 0 <= value < 1):
                raise InputError(f"{name}[{i}][{j}]", value, "must be a share in [0, 1)")
