"""The P1 instance: servers, access network, tasks, prices and costs (DCAT paper, Sec. II–III).

All derived quantities every method needs (transmission delays, prices, per-cluster
release/processing times and costs) are computed here once, so the evaluator, the MILP
and the heuristics read the same numbers. See docs/families/clustering.md for the modelling
decisions and units.

Ranges (checked in validation, listed in docs/families/clustering.md):
Coordinates (`servers[i].x_km`, `access_points[a].y_km`, …) are finite in [-1e12, 1e12];
`power_ghz`, `bandwidth_mbps`, `workload_gcycles`, `deadline_s`, `r_max_km`, `slot_s`,
`propagation_mps` and `economics.base_price` lie in [1e-9, 1e12]; `length_km`, `data_mb`,
`economics.urgency`, `energy_coef`, `time_coef` in [0, 1e12]; `arrival_slot` is an integer in
[0, 1e12]. Prices (Eq. 5), costs (Eq. 8) and the auction's offers then stay finite.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from cpnopt.checks import finite, nonnegative, positive
from cpnopt.economics import Economics, PricedTasks, check_economics, execution_cost
from cpnopt.errors import InputError

DEADLINE_TOLERANCE_S = 1e-6
"""A task that completes at most this many seconds after its due time a_n + τ_n is on time.

The family's one deadline tolerance (absorbs floating-point error in release + queueing +
processing sums): the evaluator, the MILP and column generation (through
:attr:`ClusteringInstance.latest_finish_s`), ``enumerate``, the REA auction and the learned
agent's environment use it and nothing else."""


@dataclass(frozen=True)
class Server:
    power_ghz: float  # f_i, computing power in Gcycles/s
    x_km: float  # L_i, location
    y_km: float


@dataclass(frozen=True)
class AccessPoint:
    """Where tasks enter the network (their origin O_n)."""

    x_km: float
    y_km: float


@dataclass(frozen=True)
class Link:
    """An undirected link s of the access network between nodes ``u`` and ``v``.

    Nodes 0..|S|−1 are the servers, |S|..|S|+|A|−1 the access points.
    """

    u: int
    v: int
    bandwidth_mbps: float  # v_s
    length_km: float  # d_s


@dataclass(frozen=True)
class Task:
    workload_gcycles: float  # l_n
    data_mb: float  # m_n, megabits
    deadline_s: float  # τ_n, relative to arrival
    origin: int  # O_n, index into access_points
    arrival_slot: int  # δ, arrival at δ · slot_s seconds


@dataclass(frozen=True)
class ClusterTerms:
    """Everything about serving each task on one cluster C (arrays indexed by task)."""

    members: tuple[int, ...]
    power_ghz: float  # f_C = Σ_{i∈C} f_i
    release_s: np.ndarray  # arrival + transmission to the entry member, Eq. (3)
    processing_s: np.ndarray  # l_n / f_C, Eq. (1)
    cost: np.ndarray  # c_{n,C}, Eq. (8)


@dataclass(frozen=True)
class ClusteringInstance(PricedTasks):
    servers: tuple[Server, ...]
    access_points: tuple[AccessPoint, ...]
    links: tuple[Link, ...]
    tasks: tuple[Task, ...]
    r_max_km: float = 150.0  # R_max, Eq. (10c)
    max_cluster_size: int | None = 3  # None: no limit besides R_max
    slot_s: float = 1.0
    propagation_mps: float = 3.0e8  # V
    economics: Economics = field(default_factory=Economics)
    name: str = ""
    deadline_tolerance_s = DEADLINE_TOLERANCE_S  # class attribute, not a field (PricedTasks.latest_finish_s)

    def __post_init__(self) -> None:
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        if not self.servers:
            raise InputError("servers", [], "at least one server is needed")
        for i, s in enumerate(self.servers):
            positive(f"servers[{i}].power_ghz", s.power_ghz)
            finite(f"servers[{i}].x_km", s.x_km)
            finite(f"servers[{i}].y_km", s.y_km)
        if not self.access_points:
            raise InputError("access_points", [], "at least one access point is needed")
        for a, point in enumerate(self.access_points):
            finite(f"access_points[{a}].x_km", point.x_km)
            finite(f"access_points[{a}].y_km", point.y_km)
        n_nodes = len(self.servers) + len(self.access_points)
        for j, link in enumerate(self.links):
            for end in ("u", "v"):
                node = getattr(link, end)
                if not 0 <= node < n_nodes:
                    raise InputError(f"links[{j}].{end}", node, f"node must be in 0..{n_nodes - 1}")
            if link.u == link.v:
                raise InputError(f"links[{j}].v", link.v, "a link must join two different nodes")
            positive(f"links[{j}].bandwidth_mbps", link.bandwidth_mbps)
            nonnegative(f"links[{j}].length_km", link.length_km)
        for n, t in enumerate(self.tasks):
            positive(f"tasks[{n}].workload_gcycles", t.workload_gcycles)
            nonnegative(f"tasks[{n}].data_mb", t.data_mb)
            positive(f"tasks[{n}].deadline_s", t.deadline_s)
            if not 0 <= t.origin < len(self.access_points):
                raise InputError(
                    f"tasks[{n}].origin", t.origin, f"access point must be in 0..{len(self.access_points) - 1}"
                )
            if t.arrival_slot < 0:
                raise InputError(f"tasks[{n}].arrival_slot", t.arrival_slot, "must be ≥ 0")
        positive("r_max_km", self.r_max_km)
        if self.max_cluster_size is not None and self.max_cluster_size < 1:
            raise InputError("max_cluster_size", self.max_cluster_size, "must be ≥ 1 or null")
        positive("slot_s", self.slot_s)
        positive("propagation_mps", self.propagation_mps)
        check_economics(self.economics)
        unreachable = np.argwhere(~np.isfinite(self.transmission_delay_s))
        if len(unreachable):
            n, i = unreachable[0]
            raise InputError(
                "links",
                f"access point {self.tasks[n].origin} / server {i}",
                "disconnected topology: a task's access point cannot reach a server",
            )

    # ------------------------------------------------------------------ sizes
    @property
    def n_servers(self) -> int:
        return len(self.servers)

    # ------------------------------------------------------------------ derived data
    @cached_property
    def server_xy_km(self) -> np.ndarray:
        return np.array([[s.x_km, s.y_km] for s in self.servers], dtype=float)

    @cached_property
    def server_distance_km(self) -> np.ndarray:
        xy = self.server_xy_km
        return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=-1))

    @cached_property
    def power_ghz(self) -> np.ndarray:
        return np.array([s.power_ghz for s in self.servers], dtype=float)

    @cached_property
    def arrival_s(self) -> np.ndarray:
        return np.array([t.arrival_slot * self.slot_s for t in self.tasks], dtype=float)

    @cached_property
    def transmission_delay_s(self) -> np.ndarray:
        """D[n, i]: Eq. (3) delay Σ_s (m_n / v_s + d_s / V) on the fastest path from O_n to server i."""
        n_servers = self.n_servers
        n_nodes = n_servers + len(self.access_points)
        delay = np.full((self.n_tasks, n_servers), np.inf)
        sizes = sorted({t.data_mb for t in self.tasks})
        for size in sizes:
            rows, cols, weights = [], [], []
            for link in self.links:
                w = size / link.bandwidth_mbps + link.length_km * 1e3 / self.propagation_mps
                rows += [link.u, link.v]
                cols += [link.v, link.u]
                weights += [max(w, 1e-15), max(w, 1e-15)]
            graph = csr_matrix((weights, (rows, cols)), shape=(n_nodes, n_nodes))
            origins = sorted({n_servers + t.origin for t in self.tasks if t.data_mb == size})
            dist = dijkstra(graph, directed=False, indices=origins)
            row_of = {node: r for r, node in enumerate(origins)}
            for n, t in enumerate(self.tasks):
                if t.data_mb == size:
                    delay[n] = dist[row_of[n_servers + t.origin], :n_servers]
        return delay

    def diameter_km(self, members: Iterable[int]) -> float:
        """Largest pairwise distance in a cluster (Eq. 10c asks for ≤ R_max)."""
        idx = list(members)
        if len(idx) < 2:
            return 0.0
        return float(self.server_distance_km[np.ix_(idx, idx)].max())

    def cluster_terms(self, members: Iterable[int]) -> ClusterTerms:
        """Release time, processing time and cost of every task on cluster ``members``.

        - f_C = Σ f_i; processing l_n / f_C (Eq. 1), the load split l_{n,i} = l_n f_i / f_C
          finishing on every member at once.
        - A task enters the cluster at its member of least transmission delay (Eq. 3) and is
          queued FIFO from arrival + that delay (Eq. 2, 4).
        - Cost Eq. (8): Σ_i ε_e l_{n,i} f_i² + ε_t l_{n,i} / f_i
          = l_n (ε_e Σ f_i³ + ε_t |C|) / f_C.
        """
        idx = tuple(sorted(members))
        power = self.power_ghz[list(idx)]
        f_c = float(power.sum())
        release = self.arrival_s + self.transmission_delay_s[:, list(idx)].min(axis=1)
        processing = self.workload_gcycles / f_c
        cost = execution_cost(self.economics, self.workload_gcycles, power)
        return ClusterTerms(members=idx, power_ghz=f_c, release_s=release, processing_s=processing, cost=cost)
