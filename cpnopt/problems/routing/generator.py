"""Random STPer instances with the paper's settings.

Paper settings (defaults): 10 compute nodes, f_n ∈ [1, 10] TFLOPs (the paper sweeps the
upper end 10–50), b_e ∈ [10, 50] Mb/s, r_u = 5 Mb (swept 15–45), l_u = 2 s, p = 0.5,
η = 2, i_t = 0.2. The workload is a trigonometric function of time plus Gaussian noise:
m_u(t) = m̄ (1 + A sin(2π (h₀ + t)/24 + φ_u)) + N(0, σ), clipped at 0.1 m̄, one frame per
hour h₀ + t of the price series, φ_u a per-user phase.

Topology: ``"gabriel"`` draws ``n_nodes`` points in an ``area_km`` square and joins them by
their Gabriel graph (:func:`cpnopt.topology.gabriel`); any topohub key
(``"sndlib/abilene"``, ``"topozoo/Abilene"``, …) loads that real graph with its link
lengths (:func:`cpnopt.topology.from_topohub`), ``n_nodes`` then being the graph's.
``n_routers`` nodes (Gabriel: extra points; topohub: drawn among the graph's nodes) are
access routers with no computing power where the users attach, each user at a router drawn
uniformly (with ``n_routers = 0`` users attach to compute nodes). Bandwidths are drawn per
link, powers per compute node.

Price and hydropower: :func:`~cpnopt.problems.routing.timeseries.synthetic_series` unless
``series_csv`` names a file in the loader's format. Node n owns hydropower worth a
fraction φ_n ∈ ``hydro_fraction`` of its demand; α_n(t) = 1 − φ_n h(t) with h(t) the
series' hydro output over its peak (Eq. 5's discount).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cpnopt.errors import InputError
from cpnopt.problems.routing.instance import Economics, Frame, Link, Node, RoutingInstance, Task, User
from cpnopt.problems.routing.timeseries import load_csv, synthetic_series
from cpnopt.topology import Topology, from_topohub, gabriel


@dataclass(frozen=True)
class RoutingParams:
    """Generator parameters; defaults give the paper's 10-node setting with a short horizon."""

    topology: str = "gabriel"  # or a topohub key such as "sndlib/abilene"
    n_nodes: int = 10  # compute nodes (Gabriel graphs; a topohub graph's nodes minus the routers)
    n_routers: int = 4  # access routers where users attach (power 0); 0 = users attach to compute nodes
    area_km: float = 1000.0
    n_users: int = 5
    n_frames: int = 2
    power_tflops: tuple[float, float] = (1.0, 10.0)  # f_n
    bandwidth_mbps: tuple[float, float] = (10.0, 50.0)  # b_e
    size_mb: float = 5.0  # r_u
    max_latency_s: float = 2.0  # l_u
    workload_tflop: float = 1.0  # m̄
    workload_amplitude: float = 0.5  # A
    workload_noise: float = 0.1  # σ, TFLOP
    slot_s: float = 0.1
    switch_slots: int = 1  # t_sw = 0.1 s
    base_price: float = 0.5  # p
    urgency: float = 2.0  # η
    time_coef: float = 0.2  # i_t
    energy_coef: float = 1e-4  # i_e(t) = energy_coef × price in €/MWh
    hydro_fraction: tuple[float, float] = (0.0, 1.0)  # φ_n
    series_csv: str | None = None  # hourly price and hydro; synthetic when None
    start_hour: int | None = None  # first frame's hour in the series; drawn when None

    def __post_init__(self) -> None:
        for name in ("n_nodes", "n_users", "n_frames"):
            if getattr(self, name) < 1:
                raise InputError(f"params.{name}", getattr(self, name), "must be ≥ 1")
        if self.n_routers < 0:
            raise InputError("params.n_routers", self.n_routers, "must be ≥ 0")
        for name in ("power_tflops", "bandwidth_mbps"):
            low, high = getattr(self, name)
            if not 0 < low <= high:
                raise InputError(f"params.{name}", (low, high), "must be a range 0 < low ≤ high")
        low, high = self.hydro_fraction
        if not 0 <= low <= high <= 1:
            raise InputError("params.hydro_fraction", (low, high), "must be a range 0 ≤ low ≤ high ≤ 1")
        for name in ("size_mb", "max_latency_s", "workload_tflop", "slot_s", "area_km"):
            if not getattr(self, name) > 0:
                raise InputError(f"params.{name}", getattr(self, name), "must be positive")
        if self.switch_slots < 0:
            raise InputError("params.switch_slots", self.switch_slots, "must be ≥ 0")
        if self.start_hour is not None and self.start_hour < 0:
            raise InputError("params.start_hour", self.start_hour, "must be ≥ 0")


def _topology(params: RoutingParams, rng: np.random.Generator) -> Topology:
    if params.topology == "gabriel":
        return gabriel(params.n_nodes + params.n_routers, params.area_km, rng)
    topo = from_topohub(params.topology)
    if params.n_routers >= topo.n_nodes:
        raise InputError("params.n_routers", params.n_routers, f"{params.topology} has only {topo.n_nodes} nodes")
    return topo


def generate(params: RoutingParams, seed: int = 0) -> RoutingInstance:
    rng = np.random.default_rng(seed)
    topo = _topology(params, rng)
    n = topo.n_nodes
    routers = rng.choice(n, size=params.n_routers, replace=False) if params.n_routers else np.arange(n)
    power = rng.uniform(*params.power_tflops, size=n)
    if params.n_routers:
        power[routers] = 0.0
    nodes = tuple(Node(float(f), float(x), float(y)) for f, (x, y) in zip(power, topo.positions_km))
    links = tuple(Link(u, v, float(rng.uniform(*params.bandwidth_mbps)), float(length)) for u, v, length in topo.links)
    users = tuple(User(int(a)) for a in rng.choice(routers, size=params.n_users))

    series = load_csv(params.series_csv) if params.series_csv else synthetic_series(168, rng)
    start = int(rng.integers(0, series.hours)) if params.start_hour is None else params.start_hour
    hydro_fraction = rng.uniform(*params.hydro_fraction, size=n)
    share = series.hydro_share()
    frames = []
    for t in range(params.n_frames):
        hour = (start + t) % series.hours
        alpha = np.clip(1.0 - hydro_fraction * share[hour], 0.0, 1.0)
        frames.append(Frame(float(series.price_eur_mwh[hour]), tuple(float(a) for a in alpha)))

    phase = rng.uniform(0.0, 2 * math.pi, size=params.n_users)
    tasks = []
    for t in range(params.n_frames):
        for u in range(params.n_users):
            wave = 1 + params.workload_amplitude * math.sin(2 * math.pi * (start + t) / 24 + phase[u])
            m = params.workload_tflop * wave + rng.normal(0.0, params.workload_noise)
            tasks.append(Task(u, t, float(max(m, 0.1 * params.workload_tflop)), params.size_mb, params.max_latency_s))

    economics = Economics(params.base_price, params.urgency, params.time_coef, params.energy_coef)
    return RoutingInstance(
        nodes=nodes,
        links=links,
        users=users,
        frames=tuple(frames),
        tasks=tuple(tasks),
        slot_s=params.slot_s,
        switch_slots=params.switch_slots,
        economics=economics,
        name=f"routing-{topo.name.replace('/', '-')}-n{n}-u{params.n_users}-t{params.n_frames}-seed{seed}",
    )
