"""Family ``routing``: STPer's joint task scheduling and traffic routing in green CPNs.

Source: the STPer paper (task scheduling and traffic routing with spatiotemporal dynamic
perception in green computing power networks). An undirected graph of compute nodes
(power f_n, TFLOPs) joined by links (bandwidth b_e); end users attached to nodes send, in
every time frame t of a cycle, one task ξ_u(t) = ⟨m_u, r_u, l_u⟩ (workload TFLOP, packet
Mb, latency bound s). The platform picks a destination node (y_{u,n}, Eq. 6), a route
(flow conservation and no loops, Eq. 7–9) and the slot at which the task starts on every
link of the route (Eq. 10–13), so that no two tasks overlap on a link (Eq. 12–13), a node
forwards only what it has fully received plus its switching delay t_sw (Eq. 11), and the
delay t_sum = transmission + dispatching offset + computation (Eq. 1–2) meets l_u (Eq. 14).
Revenue R = p (1 + η/t_sum) m (Eq. 3), cost E = i_e(t) α_n(t) m f_n² + i_t m/f_n (Eq. 5);
objective Eq. (15): max Σ_t Σ_u y_{u,n} (R_u − E_{u,n}).

Units: workload TFLOP, power TFLOP/s (so m/f is seconds), packets Mb, bandwidth Mb/s,
time s, electricity €/MWh, money in the paper's price unit (p = 0.5 per TFLOP).

Modelling decisions the paper leaves open (used by the evaluator, the MILP and heuristics)
-----------------------------------------------------------------------------------------
- Slot grid. Time is discretised into slots of ``slot_s`` (default 0.1 s). A task holds
  link e for k_{u,e} = ⌈r_u / b_e / slot⌉ whole slots (Eq. 1's r/b rounded up to the
  grid), starts on a link only at a slot boundary (integers b of Eq. 10) and the switching
  delay is ``switch_slots`` whole slots (t_sw = 0.1 s by default). Every time in the
  model is therefore an integer number of slots plus the computation m/f_n, which is what
  makes the MILP exact (see ``cpnopt.formulations.routing``).
- Switching delay: paid at every node a task leaves, the access node included, so a path
  of h links has transmission Σ_e (t_sw + k_e slot); its first link starts at slot ≥
  switch_slots, link i+1 at ≥ start_i + k_i + switch_slots (Eq. 11, store-and-forward).
  A task may wait at any node (the dispatching offset); offset = arrival − transmission.
- Users attach to access routers (nodes with power 0 that forward but compute nothing;
  generator: ``n_routers``, default 4), so every task crosses the network; with
  ``n_routers = 0`` users attach to compute nodes and computing at the access node (an empty
  route, no network delay) competes with routing.
- Latency tolerance: a delay at most ``LATENCY_TOLERANCE_S`` = 1e-9 s above l_u meets the
  bound; the one constant (``instance.py``) is used by the evaluator and by
  ``RoutingInstance.horizon_slots``, the horizon every method schedules against.
- Links are one resource for both directions (the graph is undirected, b_e is the link's).
- Frames: each frame is scheduled in its own cycle of slots starting at its slot 0, where
  all its tasks are released; frames do not share links (a frame is an hour of the price
  series, far longer than any l_u), so Eq. (15) splits into one problem per frame.
  i_e(t) and α_n(t) are constant within a frame.
- Rejection: Eq. (6) asks for exactly one destination per task, which makes instances
  where no schedule meets every l_u infeasible; here a task may be rejected (no revenue,
  no cost) and ``acceptance_rate`` is reported. An exact optimum rejects a task only when
  serving it is impossible or loses money.
- Cost units: i_e(t) = ``energy_coef`` × price(t) in €/MWh with energy_coef = 1e-4 (a
  price of 80 €/MWh costs 0.8 per TFLOP on a 10-TFLOPs node and 0.008 on a 1-TFLOPs one,
  the same order as the revenue 0.5–1.5 per TFLOP), so fast nodes sell lower delay at a
  higher energy bill. α_n(t) = 1 − φ_n h(t): node n's hydropower covers a fraction φ_n of
  its demand at the series' peak hydro output, h(t) = hydro(t)/max hydro.
- Propagation delay is not in Eq. (1) and is not modelled; link lengths (topohub's
  ``dist``) are used by the ``nearest`` destination rule only.
- Price and hydropower series: synthetic (daily + weekly shape + noise) or a CSV; the
  shipped ``data/sample_week.csv`` is produced by cpnopt's own generator, NOT ENTSO-E data
  (see ``timeseries``).
"""

from __future__ import annotations

from typing import Any

from cpnopt.problems.routing.decision import REJECTED, RoutingDecision, TaskRoute
from cpnopt.problems.routing.evaluate import DetailedEvaluation, TaskDelay, evaluate, evaluate_detailed
from cpnopt.problems.routing.generator import RoutingParams, generate
from cpnopt.problems.routing.instance import Economics, Frame, Link, Node, RoutingInstance, Task, User
from cpnopt.metrics import MetricInfo
from cpnopt.registry import Family, register_family
from cpnopt.solution import Sense


def describe(instance: RoutingInstance) -> dict[str, Any]:
    """Size figures and how much the latency bound lets through."""
    compute = instance.power_tflops > 0
    reachable = (instance.horizon_slots[:, compute] >= 0).mean() if instance.n_tasks else 0.0
    return {
        "compute_nodes": int(compute.sum()),
        "routers": int((~compute).sum()),
        "links": len(instance.links),
        "users": len(instance.users),
        "frames": len(instance.frames),
        "tasks": instance.n_tasks,
        "slot_s": instance.slot_s,
        "max_horizon_slots": int(instance.horizon_slots.max()) if instance.n_tasks else 0,
        "pairs_computable_in_time": float(reachable),  # (task, compute node) pairs whose computation fits l_u
    }


METRICS = {  # display metadata of the metrics and swept parameters (tables, figures)
    "profit": MetricInfo("profit", "price units", "max", decimals=2),
    "revenue": MetricInfo("revenue", "price units", "max", decimals=2),
    "energy_cost": MetricInfo("energy cost", "price units", "min", decimals=2),
    "served_tasks": MetricInfo("served tasks", sense="max", integer=True),
    "acceptance_rate": MetricInfo("acceptance rate", sense="max", percent=True),
    "mean_delay_s": MetricInfo("mean delay", "s", "min"),
    "mean_transmission_s": MetricInfo("mean transmission delay", "s", "min"),
    "mean_offset_s": MetricInfo("mean frame offset", "s"),
    "mean_computation_s": MetricInfo("mean computation delay", "s", "min"),
    "size_mb": MetricInfo("model size", "MB"),
    "power_tflops": MetricInfo("computing power range", "TFLOPS"),
    "n_tasks": MetricInfo("tasks", integer=True),
}

FAMILY = register_family(
    Family(
        name="routing",
        description="STPer: task→node + route + link time slots in a green CPN, max Σ R(t_sum) − E (fractional)",
        sense=Sense.MAXIMIZE,
        instance_type=RoutingInstance,
        decision_type=RoutingDecision,
        params_type=RoutingParams,
        generate=generate,
        evaluate=evaluate,
        describe=describe,
        method_modules=(
            "cpnopt.formulations.routing",
            "cpnopt.formulations.routing_fpqt",
            "cpnopt.solvers.enumeration_routing",
            "cpnopt.solvers.heuristics.routing",
            "cpnopt.solvers.learned.stper",
        ),
        metrics=METRICS,
    )
)

__all__ = [
    "DetailedEvaluation",
    "Economics",
    "FAMILY",
    "Frame",
    "Link",
    "Node",
    "REJECTED",
    "RoutingDecision",
    "RoutingInstance",
    "RoutingParams",
    "Task",
    "TaskDelay",
    "TaskRoute",
    "User",
    "describe",
    "evaluate",
    "evaluate_detailed",
    "generate",
]
