"""The regional instance: regions with electricity prices, their servers, the inter-region network, tasks.

Every derived quantity the methods need (transmission delays, release and processing times
per (task, server), prices, costs) is computed here once, so the evaluator, the MILP and the
heuristics read the same numbers. See docs/families/regional.md for the model and its units.

Ranges (checked in validation, listed in docs/families/regional.md):
`energy_price`, `power_ghz`, `bandwidth_mbps`, `workload_gcycles`, `deadline_s` and
`economics.base_price` lie in [1e-9, 1e12]; `latency_s`, `data_mb`,
`arrival_s`, `economics.urgency`, `energy_coef`, `time_coef` in [0, 1e12]. Prices, costs and
every heuristic's balancing then stay finite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from cpnopt.checks import finite, nonnegative, positive
from cpnopt.economics import Economics, PricedTasks, check_economics, execution_cost
from cpnopt.errors import InputError

DEADLINE_TOLERANCE_S = 1e-6
"""A task that completes at most this many seconds after its due time a_n + τ_n is on time.

The family's one deadline tolerance (absorbs floating-point error in release + queueing +
processing sums): the evaluator, the MILP (through :attr:`RegionalInstance.latest_finish_s`),
the enumerator and both stages of the heuristics use it and nothing else."""


@dataclass(frozen=True)
class Region:
    name: str
    energy_price: float  # s_r, electricity price relative to the DCAT paper's (multiplies ε_e in Eq. 8)


@dataclass(frozen=True)
class Server:
    region: int  # index into ``regions``
    power_ghz: float  # f_i, Gcycles/s


@dataclass(frozen=True)
class Task:
    workload_gcycles: float  # l_n
    data_mb: float  # m_n, megabits to move to the server
    deadline_s: float  # τ_n, relative to arrival
    origin: int  # region where the task arrives
    arrival_s: float  # a_n


@dataclass(frozen=True)
class RegionalInstance(PricedTasks):
    regions: tuple[Region, ...]
    servers: tuple[Server, ...]
    latency_s: tuple[tuple[float, ...], ...]  # [origin region][server region], one way
    bandwidth_mbps: tuple[tuple[float, ...], ...]  # [origin region][server region], per task transfer
    tasks: tuple[Task, ...]
    economics: Economics = field(default_factory=Economics)
    name: str = ""
    deadline_tolerance_s = DEADLINE_TOLERANCE_S  # class attribute, not a field (PricedTasks.latest_finish_s)

    def __post_init__(self) -> None:
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        n_regions = len(self.regions)
        if not n_regions:
            raise InputError("regions", [], "at least one region is needed")
        for r, region in enumerate(self.regions):
            positive(f"regions[{r}].energy_price", region.energy_price)
        for i, s in enumerate(self.servers):
            if not 0 <= s.region < n_regions:
                raise InputError(f"servers[{i}].region", s.region, f"region must be in 0..{n_regions - 1}")
            positive(f"servers[{i}].power_ghz", s.power_ghz)
        empty = sorted(set(range(n_regions)) - {s.region for s in self.servers})
        if empty:
            raise InputError(f"regions[{empty[0]}]", self.regions[empty[0]].name, "region has no server")
        for name, check in (("latency_s", nonnegative), ("bandwidth_mbps", positive)):
            matrix = getattr(self, name)
            if len(matrix) != n_regions:
                raise InputError(name, f"{len(matrix)} rows", f"expected {n_regions} rows, one per region")
            for a, row in enumerate(matrix):
                if len(row) != n_regions:
                    raise InputError(f"{name}[{a}]", f"{len(row)} entries", f"expected {n_regions}, one per region")
                for b, value in enumerate(row):
                    check(f"{name}[{a}][{b}]", value)
        for n, t in enumerate(self.tasks):
            positive(f"tasks[{n}].workload_gcycles", t.workload_gcycles)
            nonnegative(f"tasks[{n}].data_mb", t.data_mb)
            positive(f"tasks[{n}].deadline_s", t.deadline_s)
            if not 0 <= t.origin < n_regions:
                raise InputError(f"tasks[{n}].origin", t.origin, f"region must be in 0..{n_regions - 1}")
            nonnegative(f"tasks[{n}].arrival_s", t.arrival_s)
            finite(f"tasks[{n}].arrival_s", t.arrival_s)
        check_economics(self.economics)

    # ------------------------------------------------------------------ sizes
    @property
    def n_regions(self) -> int:
        return len(self.regions)

    @property
    def n_servers(self) -> int:
        return len(self.servers)

    # ------------------------------------------------------------------ derived data
    @cached_property
    def server_region(self) -> np.ndarray:
        return np.array([s.region for s in self.servers], dtype=int)

    @cached_property
    def power_ghz(self) -> np.ndarray:
        return np.array([s.power_ghz for s in self.servers], dtype=float)

    @cached_property
    def energy_price(self) -> np.ndarray:
        """s_r of each server's region."""
        return np.array([self.regions[s.region].energy_price for s in self.servers], dtype=float)

    @cached_property
    def origin(self) -> np.ndarray:
        return np.array([t.origin for t in self.tasks], dtype=int)

    @cached_property
    def arrival_s(self) -> np.ndarray:
        return np.array([t.arrival_s for t in self.tasks], dtype=float)

    @cached_property
    def transmission_s(self) -> np.ndarray:
        """T[n, i] = latency(o_n, r_i) + m_n / bandwidth(o_n, r_i): moving task n to server i's region."""
        latency = np.array(self.latency_s, dtype=float)[self.origin][:, self.server_region]
        bandwidth = np.array(self.bandwidth_mbps, dtype=float)[self.origin][:, self.server_region]
        data = np.array([t.data_mb for t in self.tasks], dtype=float)
        return latency + data[:, None] / bandwidth

    @cached_property
    def release_s(self) -> np.ndarray:
        """R[n, i] = a_n + T[n, i]: when task n joins server i's FIFO queue."""
        return self.arrival_s[:, None] + self.transmission_s

    @cached_property
    def processing_s(self) -> np.ndarray:
        """P[n, i] = l_n / f_i."""
        return self.workload_gcycles[:, None] / self.power_ghz[None, :]

    @cached_property
    def cost(self) -> np.ndarray:
        """c[n, i] = l_n (ε_e s_{r_i} f_i² + ε_t / f_i), DCAT Eq. (8) on the single server i (cpnopt.economics)."""
        columns = [
            execution_cost(self.economics, self.workload_gcycles, self.power_ghz[i : i + 1], self.energy_price[i])
            for i in range(self.n_servers)
        ]
        return np.column_stack(columns) if columns else np.zeros((self.n_tasks, 0))

    @cached_property
    def margin(self) -> np.ndarray:
        """Profit p_n − c[n, i] of serving task n on server i."""
        return self.price[:, None] - self.cost

    @cached_property
    def eligible(self) -> np.ndarray:
        """E[n, i]: task n alone on server i is on time and profitable (no optimal plan uses other pairs)."""
        on_time = self.release_s + self.processing_s <= self.latest_finish_s[:, None]
        return on_time & (self.margin > 1e-9)

    def servers_in(self, region: int) -> np.ndarray:
        return np.flatnonzero(self.server_region == region)
