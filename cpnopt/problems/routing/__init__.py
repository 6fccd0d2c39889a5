"""Family ``routing``: STPer, joint task scheduling and traffic routing in green computing power networks.

Tasks of users at access routers go to one compute node over one path; each link carries a
task for k_{u,e} slots (Eq. 11–14) and the platform maximises Eq. (15)'s profit, with
time-varying electricity prices and hydropower. This package holds the instance, the
decision, the generator and its price/hydro series (``timeseries``), the evaluator (the
single source of truth), the fast scheduler (``firstfit``) and the baselines' destination
rules (``destinations``), mechanisms shared by heuristics, fp-qt and STPer's environment
(``env``). The model and every modelling decision the paper leaves open:
docs/families/routing.md.
"""

from __future__ import annotations

from typing import Any

from cpnopt.metrics import MetricInfo
from cpnopt.problems.routing.decision import REJECTED, RoutingDecision, TaskRoute
from cpnopt.problems.routing.evaluate import DetailedEvaluation, TaskDelay, evaluate, evaluate_detailed
from cpnopt.problems.routing.generator import RoutingParams, generate
from cpnopt.problems.routing.instance import Economics, Frame, Link, Node, RoutingInstance, Task, User
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
    "n_nodes": MetricInfo("nodes", integer=True),
    "topology": MetricInfo("topology"),
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
            "cpnopt.formulations.routing.milp",
            "cpnopt.formulations.routing.fpqt",
            "cpnopt.solvers.routing.enumerate",
            "cpnopt.solvers.routing.heuristics",
            "cpnopt.solvers.routing.agents",
        ),
        env="cpnopt.problems.routing.env:RoutingEnv",
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
