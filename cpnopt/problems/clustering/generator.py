"""Random P1 instances with the ranges of the DCAT paper's Table I.

Servers sit in metro areas (Gaussian around centres drawn in a square region); each metro
area has one access point where its tasks enter. The access network is the Gabriel graph
of all nodes (connected and planar, like real backbones; topohub ships the same kind of
reference graphs), with link bandwidths v_s ∈ [100, 500] Mb/s and lengths d_s = the
Euclidean distance. Tasks arrive ``arrivals_per_slot`` (λ) per slot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cpnopt.errors import InputError
from cpnopt.problems.clustering.instance import (
    AccessPoint,
    ClusteringInstance,
    Economics,
    Link,
    Server,
    Task,
)
from cpnopt.topology import gabriel_edges


@dataclass(frozen=True)
class ClusteringParams:
    """Generator parameters; defaults give the quickstart instance (proven optimal in seconds).

    Table I sizes: ``n_servers`` 20..60, ``r_max_km`` 100..300, ``arrivals_per_slot`` 20..50.
    """

    n_servers: int = 8
    n_metro_areas: int = 3
    region_km: float = 600.0
    metro_spread_km: float = 40.0  # standard deviation of server positions around a centre
    n_slots: int = 2
    arrivals_per_slot: int = 6  # λ
    power_ghz: tuple[float, float] = (200.0, 300.0)  # f_i
    workload_gcycles: tuple[float, float] = (500.0, 900.0)  # l_n
    data_mb: float = 20.0  # m_n
    deadline_s: tuple[float, float] = (2.0, 3.0)  # τ_n
    bandwidth_mbps: tuple[float, float] = (100.0, 500.0)  # v_s
    r_max_km: float = 150.0
    max_cluster_size: int | None = 3
    slot_s: float = 1.0
    base_price: float = 10.0  # p
    urgency: float = 2.0  # μ
    energy_coef: float = 2.5e-4  # ε_e (rescaled, see docs/families/clustering.md)
    time_coef: float = 200.0  # ε_t (rescaled)

    def __post_init__(self) -> None:
        for name in ("n_servers", "n_metro_areas", "n_slots"):
            if getattr(self, name) < 1:
                raise InputError(f"params.{name}", getattr(self, name), "must be ≥ 1")
        if self.arrivals_per_slot < 0:
            raise InputError("params.arrivals_per_slot", self.arrivals_per_slot, "must be ≥ 0")
        for name in ("power_ghz", "workload_gcycles", "deadline_s", "bandwidth_mbps"):
            low, high = getattr(self, name)
            if not 0 < low <= high:
                raise InputError(f"params.{name}", (low, high), "must be a range 0 < low ≤ high")


def generate(params: ClusteringParams, seed: int = 0) -> ClusteringInstance:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.0, params.region_km, size=(params.n_metro_areas, 2))
    metro = rng.integers(0, params.n_metro_areas, size=params.n_servers)
    xy = np.clip(
        centres[metro] + rng.normal(0.0, params.metro_spread_km, size=(params.n_servers, 2)), 0.0, params.region_km
    )
    power = rng.uniform(*params.power_ghz, size=params.n_servers)
    servers = tuple(Server(power_ghz=float(f), x_km=float(x), y_km=float(y)) for f, (x, y) in zip(power, xy))
    access_points = tuple(AccessPoint(x_km=float(x), y_km=float(y)) for x, y in centres)

    nodes = np.vstack([xy, centres])
    links = []
    for u, v in gabriel_edges(nodes):
        length = float(np.linalg.norm(nodes[u] - nodes[v]))
        links.append(Link(u=u, v=v, bandwidth_mbps=float(rng.uniform(*params.bandwidth_mbps)), length_km=length))

    n_tasks = params.n_slots * params.arrivals_per_slot
    tasks = tuple(
        Task(
            workload_gcycles=float(rng.uniform(*params.workload_gcycles)),
            data_mb=params.data_mb,
            deadline_s=float(rng.uniform(*params.deadline_s)),
            origin=int(rng.integers(0, params.n_metro_areas)),
            arrival_slot=n // params.arrivals_per_slot,
        )
        for n in range(n_tasks)
    )
    economics = Economics(
        base_price=params.base_price,
        urgency=params.urgency,
        energy_coef=params.energy_coef,
        time_coef=params.time_coef,
    )
    return ClusteringInstance(
        servers=servers,
        access_points=access_points,
        links=tuple(links),
        tasks=tasks,
        r_max_km=params.r_max_km,
        max_cluster_size=params.max_cluster_size,
        slot_s=params.slot_s,
        economics=economics,
        name=f"clustering-s{params.n_servers}-n{n_tasks}-seed{seed}",
    )
