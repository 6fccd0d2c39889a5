"""The "East-to-West" scenario: demand in the expensive east, cheap computing in the west.

Regions are hubs of China's national computing network plan (East Data, West Computing):
east hubs Beijing, Shanghai, Guangzhou, Chongqing, west hubs Hohhot, Guiyang, Lanzhou,
Yinchuan, placed on the real ChinaNet backbone shipped by topohub (``topozoo/Chinanet``).
The inter-region latency is the least-latency path on that backbone (fibre propagation
length/V plus a per-hop switching delay); its bandwidth is the bottleneck of the path's link
bandwidths, drawn per link. Inside a region, tasks move over a fast metro network.
Electricity is dearer in the east (relative price s_r drawn in ``east_energy_price``)
than in the west (``west_energy_price``); tasks arrive as a Poisson process, a share
``east_demand_share`` of them in east regions (uniform among them), the rest in the west.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import networkx as nx
import numpy as np

from cpnopt.economics import Economics
from cpnopt.errors import InputError
from cpnopt.problems.regional.instance import Region, RegionalInstance, Server, Task
from cpnopt.topology import Topology, from_topohub

EAST_HUBS = ("Beijing", "Shanghai", "Guangzhou", "Chongqing")
WEST_HUBS = ("Hohhot", "Guiyang", "Lanzhou", "Yinchuan")


@dataclass(frozen=True)
class RegionalParams:
    """Generator parameters; defaults give a small instance the MILP proves optimal in about a second."""

    n_east: int = 2  # regions taken from EAST_HUBS in order
    n_west: int = 2  # regions taken from WEST_HUBS in order
    servers_per_region: int = 2
    n_tasks: int = 16
    arrivals_per_s: float = 3.0  # Poisson rate of task arrivals (all regions)
    east_demand_share: float = 0.85
    power_ghz: tuple[float, float] = (200.0, 300.0)  # f_i
    workload_gcycles: tuple[float, float] = (500.0, 900.0)  # l_n
    data_mb: tuple[float, float] = (50.0, 400.0)  # m_n, megabits
    deadline_s: tuple[float, float] = (3.0, 6.0)  # τ_n
    east_energy_price: tuple[float, float] = (0.9, 1.1)  # s_r, relative to the DCAT paper's ε_e
    west_energy_price: tuple[float, float] = (0.4, 0.6)
    link_bandwidth_mbps: tuple[float, float] = (100.0, 500.0)  # per backbone link
    metro_bandwidth_mbps: float = 1000.0  # inside a region
    metro_latency_s: float = 0.002
    hop_latency_s: float = 0.001  # switching delay per backbone hop
    propagation_mps: float = 2.0e8  # light in fibre
    topology: str = "topozoo/Chinanet"
    base_price: float = 10.0  # p
    urgency: float = 2.0  # μ
    energy_coef: float = 2.5e-4  # ε_e
    time_coef: float = 200.0  # ε_t

    def __post_init__(self) -> None:
        for name, most in (("n_east", len(EAST_HUBS)), ("n_west", len(WEST_HUBS))):
            value = getattr(self, name)
            if not 0 <= value <= most:
                raise InputError(f"params.{name}", value, f"must be in 0..{most}")
        if self.n_east + self.n_west < 1:
            raise InputError("params.n_east", self.n_east, "at least one region is needed (n_east + n_west ≥ 1)")
        if self.servers_per_region < 1:
            raise InputError("params.servers_per_region", self.servers_per_region, "must be ≥ 1")
        if self.n_tasks < 0:
            raise InputError("params.n_tasks", self.n_tasks, "must be ≥ 0")
        if not self.arrivals_per_s > 0:
            raise InputError("params.arrivals_per_s", self.arrivals_per_s, "must be positive")
        if not 0 <= self.east_demand_share <= 1:
            raise InputError("params.east_demand_share", self.east_demand_share, "must be in [0, 1]")
        for name in (
            "power_ghz",
            "workload_gcycles",
            "data_mb",
            "deadline_s",
            "east_energy_price",
            "west_energy_price",
            "link_bandwidth_mbps",
        ):
            low, high = getattr(self, name)
            if not 0 < low <= high:
                raise InputError(f"params.{name}", (low, high), "must be a range 0 < low ≤ high")


def region_network(params: RegionalParams, hubs: list[str], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Latency (s) and bandwidth (Mb/s) between the hubs on the backbone (metro values on the diagonal)."""
    topology, names = backbone(params.topology)
    graph = topology.graph()
    for _u, _v, attrs in graph.edges(data=True):
        attrs["latency_s"] = attrs["length_km"] * 1e3 / params.propagation_mps + params.hop_latency_s
        attrs["bandwidth_mbps"] = float(rng.uniform(*params.link_bandwidth_mbps))
    missing = [h for h in hubs if h not in names]
    if missing:
        raise InputError("params.topology", params.topology, f"has no node named {missing[0]}")
    nodes = [names[h] for h in hubs]
    k = len(hubs)
    latency = np.full((k, k), params.metro_latency_s)
    bandwidth = np.full((k, k), params.metro_bandwidth_mbps)
    for a in range(k):
        paths = nx.single_source_dijkstra_path(graph, nodes[a], weight="latency_s")
        for b in range(k):
            if a != b:
                hops = list(zip(paths[nodes[b]], paths[nodes[b]][1:]))
                latency[a, b] = sum(graph.edges[e]["latency_s"] for e in hops)
                bandwidth[a, b] = min(graph.edges[e]["bandwidth_mbps"] for e in hops)
    return latency, bandwidth


@lru_cache(maxsize=8)
def backbone(key: str) -> tuple[Topology, dict[str, int]]:
    """The topohub graph (cpnopt.topology) and its node labels → node index (nodes sorted by topohub id)."""
    import topohub

    raw = nx.node_link_graph(topohub.get(key), edges="edges")
    names = {str(raw.nodes[node].get("name", node)): i for i, node in enumerate(sorted(raw.nodes))}
    return from_topohub(key), names


def generate(params: RegionalParams, seed: int = 0) -> RegionalInstance:
    rng = np.random.default_rng(seed)
    hubs = list(EAST_HUBS[: params.n_east]) + list(WEST_HUBS[: params.n_west])
    east = np.array([r < params.n_east for r in range(len(hubs))])
    prices = [rng.uniform(*(params.east_energy_price if e else params.west_energy_price)) for e in east]
    regions = tuple(Region(name=h, energy_price=float(s)) for h, s in zip(hubs, prices))
    latency, bandwidth = region_network(params, hubs, rng)
    servers = tuple(
        Server(region=r, power_ghz=float(rng.uniform(*params.power_ghz)))
        for r in range(len(hubs))
        for _ in range(params.servers_per_region)
    )
    arrivals = np.cumsum(rng.exponential(1.0 / params.arrivals_per_s, size=params.n_tasks))
    east_ids, west_ids = np.flatnonzero(east), np.flatnonzero(~east)
    tasks = []
    for a in arrivals:
        from_east = len(west_ids) == 0 or (len(east_ids) > 0 and rng.random() < params.east_demand_share)
        origin = int(rng.choice(east_ids if from_east else west_ids))
        tasks.append(
            Task(
                workload_gcycles=float(rng.uniform(*params.workload_gcycles)),
                data_mb=float(rng.uniform(*params.data_mb)),
                deadline_s=float(rng.uniform(*params.deadline_s)),
                origin=origin,
                arrival_s=float(a),
            )
        )
    economics = Economics(
        base_price=params.base_price, urgency=params.urgency, energy_coef=params.energy_coef, time_coef=params.time_coef
    )
    return RegionalInstance(
        regions=regions,
        servers=servers,
        latency_s=tuple(tuple(float(x) for x in row) for row in latency),
        bandwidth_mbps=tuple(tuple(float(x) for x in row) for row in bandwidth),
        tasks=tuple(tasks),
        economics=economics,
        name=f"regional-e{params.n_east}w{params.n_west}-s{len(servers)}-n{params.n_tasks}-seed{seed}",
    )
