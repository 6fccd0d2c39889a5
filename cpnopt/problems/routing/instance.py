"""The STPer instance: compute nodes and routers, links, users, frames (price, hydropower) and tasks.

Everything every method reads is derived here once: the slot grid (link occupation
k_{u,e} = ⌈r_u / b_e / slot⌉, Eq. 1 on the grid), the latency horizon of each
(task, destination) pair (Eq. 14), the revenue of every delay level (Eq. 3) and the energy
cost of every destination (Eq. 5). See docs/families/routing.md for units and the
modelling decisions.

Ranges (checked in validation, listed in docs/families/routing.md):
Coordinates `nodes[i].x_km`, `y_km` and `frames[t].electricity_eur_mwh` are finite in
[-1e12, 1e12]; `power_tflops` is 0 (a router) or in [1e-9, 1e12]; `bandwidth_mbps`,
`workload_tflop`, `size_mb`, `max_latency_s` and `slot_s` lie in [1e-9, 1e12]; `length_km` and
the `economics` coefficients in [0, 1e12]; `hydro_discount` in [0, 1]. A latency bound spans at
most 1e9 slots (`max_latency_s / slot_s`) and `switch_slots` is in [0, 1e9], so every slot index
fits in int64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np

from cpnopt.checks import MIN_POSITIVE, finite
from cpnopt.checks import nonnegative as _nonnegative
from cpnopt.checks import positive as _positive
from cpnopt.errors import InputError

EPS = 1e-9  # rounding guard of ⌈r_u / b_e / slot⌉ (slot counts), not a latency tolerance
MAX_SLOTS = 10**9  # the longest latency bound accepted, in slots; it keeps every slot index within int64
LATENCY_TOLERANCE_S = 1e-9
"""A task whose delay t_sum exceeds its bound l_u by at most this many seconds meets it.

The family's one latency tolerance: the evaluator and the slot horizon
(:attr:`RoutingInstance.horizon_slots`, which every method schedules against: the MILP,
``enumerate``, the first-fit heuristics, fp-qt and the learned agents) use it and nothing else."""


@dataclass(frozen=True)
class Node:
    power_tflops: float  # f_n, computing power; 0 for a router (forwards traffic, computes nothing)
    x_km: float = 0.0
    y_km: float = 0.0


@dataclass(frozen=True)
class Link:
    """Undirected link e between nodes ``u`` and ``v``: one shared resource for both directions."""

    u: int
    v: int
    bandwidth_mbps: float  # b_e
    length_km: float = 0.0  # used by the ``nearest`` destination rule only (Eq. 1 has no propagation term)


@dataclass(frozen=True)
class User:
    access_node: int  # the compute node the user's traffic enters the network at


@dataclass(frozen=True)
class Frame:
    """One time frame t of the cycle: the grid price and each node's hydropower discount."""

    electricity_eur_mwh: float  # day-ahead price of the frame's hour
    hydro_discount: tuple[float, ...]  # α_n(t) ∈ [0, 1] per node (1 = no hydropower)


@dataclass(frozen=True)
class Task:
    """ξ_u(t) = ⟨m_u, r_u, l_u⟩ sent by ``user`` in ``frame`` (released at the frame's slot 0)."""

    user: int
    frame: int
    workload_tflop: float  # m_u
    size_mb: float  # r_u, megabits
    max_latency_s: float  # l_u


@dataclass(frozen=True)
class Economics:
    """Revenue Eq. (3) and cost Eq. (5) coefficients."""

    base_price: float = 0.5  # p, money per TFLOP
    urgency: float = 2.0  # η, seconds
    time_coef: float = 0.2  # i_t, money per (TFLOP / TFLOPs) = per second of computation
    energy_coef: float = 1e-4  # i_e(t) = energy_coef × electricity_eur_mwh, money per (TFLOP · TFLOPs²)


@dataclass(frozen=True)
class RoutingInstance:
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    users: tuple[User, ...]
    frames: tuple[Frame, ...]
    tasks: tuple[Task, ...]
    slot_s: float = 0.1  # length of one time slot; every start and occupation is a whole number of slots
    switch_slots: int = 1  # t_sw = switch_slots × slot_s, the forwarding delay of every node a task leaves
    economics: Economics = Economics()
    name: str = ""

    def __post_init__(self) -> None:
        n = len(self.nodes)
        if n < 1:
            raise InputError("nodes", [], "at least one compute node is needed")
        for i, node in enumerate(self.nodes):
            _nonnegative(f"nodes[{i}].power_tflops", node.power_tflops)
            finite(f"nodes[{i}].x_km", node.x_km)
            finite(f"nodes[{i}].y_km", node.y_km)
        if any(0 < node.power_tflops < MIN_POSITIVE for node in self.nodes):
            i = next(i for i, node in enumerate(self.nodes) if 0 < node.power_tflops < MIN_POSITIVE)
            raise InputError(
                f"nodes[{i}].power_tflops", self.nodes[i].power_tflops, f"must be 0 (a router) or ≥ {MIN_POSITIVE:.0e}"
            )
        if not any(node.power_tflops > 0 for node in self.nodes):
            raise InputError("nodes", n, "at least one node needs power_tflops > 0 (a compute node)")
        seen: set[tuple[int, int]] = set()
        for j, link in enumerate(self.links):
            for end in ("u", "v"):
                if not 0 <= getattr(link, end) < n:
                    raise InputError(f"links[{j}].{end}", getattr(link, end), f"node must be in 0..{n - 1}")
            if link.u == link.v:
                raise InputError(f"links[{j}].v", link.v, "a link must join two different nodes")
            key = (min(link.u, link.v), max(link.u, link.v))
            if key in seen:
                raise InputError(f"links[{j}]", key, "duplicate link")
            seen.add(key)
            _positive(f"links[{j}].bandwidth_mbps", link.bandwidth_mbps)
            _nonnegative(f"links[{j}].length_km", link.length_km)
        if n > 1 and not nx.is_connected(self.graph):
            raise InputError("links", len(self.links), "disconnected topology")
        for i, user in enumerate(self.users):
            if not 0 <= user.access_node < n:
                raise InputError(f"users[{i}].access_node", user.access_node, f"node must be in 0..{n - 1}")
        for t, frame in enumerate(self.frames):
            finite(f"frames[{t}].electricity_eur_mwh", frame.electricity_eur_mwh)  # real prices can be negative
            if len(frame.hydro_discount) != n:
                raise InputError(
                    f"frames[{t}].hydro_discount", len(frame.hydro_discount), f"needs one value per node ({n})"
                )
            for i, a in enumerate(frame.hydro_discount):
                if not (math.isfinite(a) and 0 <= a <= 1):
                    raise InputError(f"frames[{t}].hydro_discount[{i}]", a, "α_n(t) must be in [0, 1]")
        for k, task in enumerate(self.tasks):
            if not 0 <= task.user < len(self.users):
                raise InputError(f"tasks[{k}].user", task.user, f"user must be in 0..{len(self.users) - 1}")
            if not 0 <= task.frame < len(self.frames):
                raise InputError(f"tasks[{k}].frame", task.frame, f"frame must be in 0..{len(self.frames) - 1}")
            _positive(f"tasks[{k}].workload_tflop", task.workload_tflop)
            _positive(f"tasks[{k}].size_mb", task.size_mb)
            _positive(f"tasks[{k}].max_latency_s", task.max_latency_s)
        _positive("slot_s", self.slot_s)
        if not 0 <= self.switch_slots <= MAX_SLOTS:
            raise InputError("switch_slots", self.switch_slots, f"must be in [0, {MAX_SLOTS}]")
        for k, task in enumerate(self.tasks):
            if task.max_latency_s / self.slot_s > MAX_SLOTS:
                raise InputError(
                    f"tasks[{k}].max_latency_s",
                    task.max_latency_s,
                    f"spans more than {MAX_SLOTS} slots of slot_s = {self.slot_s} s",
                )
        e = self.economics
        _nonnegative("economics.base_price", e.base_price)
        _nonnegative("economics.urgency", e.urgency)
        _nonnegative("economics.time_coef", e.time_coef)
        _nonnegative("economics.energy_coef", e.energy_coef)

    # ------------------------------------------------------------------ sizes and views
    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @cached_property
    def graph(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(range(self.n_nodes))
        for j, link in enumerate(self.links):
            g.add_edge(link.u, link.v, index=j, length_km=link.length_km)
        return g

    def link_index(self, a: int, b: int) -> int | None:
        """Index of the link joining nodes a and b, or None."""
        data = self.graph.get_edge_data(a, b)
        return None if data is None else data["index"]

    def tasks_of_frame(self, frame: int) -> list[int]:
        return [k for k, task in enumerate(self.tasks) if task.frame == frame]

    def access_node(self, task: int) -> int:
        return self.users[self.tasks[task].user].access_node

    # ------------------------------------------------------------------ the slot grid
    @cached_property
    def occupation_slots(self) -> np.ndarray:
        """k[task, link] = ⌈r_u / b_e / slot⌉: slots the task holds the link (Eq. 1 on the grid)."""
        size = np.array([t.size_mb for t in self.tasks], dtype=float)
        bandwidth = np.array([l.bandwidth_mbps for l in self.links], dtype=float)
        if not len(size) or not len(bandwidth):
            return np.zeros((len(size), len(bandwidth)), dtype=int)
        slots = np.minimum(size[:, None] / bandwidth[None, :] / self.slot_s, MAX_SLOTS + 1)  # longer never meets l_u
        return np.ceil(slots - EPS).astype(int)

    @cached_property
    def computation_s(self) -> np.ndarray:
        """c[task, node] = m_u / f_n, the computation delay (Eq. 2); inf at routers."""
        work = np.array([t.workload_tflop for t in self.tasks], dtype=float)
        with np.errstate(divide="ignore"):
            return work[:, None] / self.power_tflops[None, :]

    @cached_property
    def power_tflops(self) -> np.ndarray:
        return np.array([n.power_tflops for n in self.nodes], dtype=float)

    @cached_property
    def horizon_slots(self) -> np.ndarray:
        """H[task, node]: the latest arrival slot that meets l_u (Eq. 14); −1 when none does (and at routers)."""
        latency = np.array([t.max_latency_s for t in self.tasks], dtype=float)[:, None]
        slack = np.maximum((latency + LATENCY_TOLERANCE_S - self.computation_s) / self.slot_s, -1.0)
        return np.floor(slack).astype(int)

    def delay_s(self, task: int, node: int, arrival_slot: int) -> float:
        """t_sum of the task computed at ``node`` after arriving at ``arrival_slot`` (Eq. 1–2)."""
        return arrival_slot * self.slot_s + float(self.computation_s[task, node])

    def revenue(self, task: int, delay_s: float) -> float:
        """R = p (1 + η / t_sum) m, Eq. (3)."""
        e = self.economics
        return e.base_price * (1.0 + e.urgency / delay_s) * self.tasks[task].workload_tflop

    @cached_property
    def energy_cost(self) -> np.ndarray:
        """E[task, node] = i_e(t) α_n(t) m f_n² + i_t m / f_n, Eq. (5); inf at routers."""
        e = self.economics
        power = np.where(self.power_tflops > 0, self.power_tflops, np.nan)
        cost = np.full((self.n_tasks, self.n_nodes), np.inf)
        for k, task in enumerate(self.tasks):
            frame = self.frames[task.frame]
            price = e.energy_coef * frame.electricity_eur_mwh
            alpha = np.array(frame.hydro_discount, dtype=float)
            cost[k] = price * alpha * task.workload_tflop * power**2 + e.time_coef * task.workload_tflop / power
        return np.where(np.isnan(cost), np.inf, cost)

    def profit(self, task: int, node: int, arrival_slot: int) -> float:
        """R − E of serving ``task`` at ``node`` with the given arrival slot (Eq. 15's summand)."""
        return self.revenue(task, self.delay_s(task, node, arrival_slot)) - float(self.energy_cost[task, node])

    def path_links(self, path: tuple[int, ...] | list[int]) -> list[int | None]:
        """Link indices along a node path; None where two consecutive nodes are not adjacent."""
        return [self.link_index(a, b) for a, b in zip(path[:-1], path[1:])]

    def no_wait_arrival(self, task: int, path: tuple[int, ...] | list[int]) -> int:
        """Arrival slot on ``path`` without any waiting: Σ_e (t_sw + k_e) in slots."""
        return sum(self.switch_slots + int(self.occupation_slots[task, e]) for e in self.path_links(path))
