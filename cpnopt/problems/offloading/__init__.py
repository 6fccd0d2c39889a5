"""Family ``offloading``: RLMS-CPN, compute-node selection and multipath split of DNN-inference tasks.

Each task picks a candidate compute node and splits its data over that node's paths; the
objective is the mean response latency (computation + transmission) on a network whose
links carry time-varying background load and the bandwidth earlier tasks hold. This
package holds the instance, the decision, the generator (topohub or Gabriel topologies),
the analytic latency model (``latency``), the candidate nodes and paths (``candidates``),
the evaluator (the single source of truth, with the replayed network state) and the
Gymnasium environment (``env``, with GNN-DQN's bandwidth-reward variant). The model and
every modelling decision the paper leaves open: docs/families/offloading.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cpnopt.metrics import MetricInfo
from cpnopt.problems.offloading.decision import OffloadingDecision
from cpnopt.problems.offloading.evaluate import NetworkState, TaskView, evaluate, replay, run_policy
from cpnopt.problems.offloading.generator import OffloadingParams, generate
from cpnopt.problems.offloading.instance import ComputeNode, Device, Link, OffloadingInstance, Task
from cpnopt.problems.offloading.latency import Cell
from cpnopt.registry import Family, register_family
from cpnopt.solution import Sense


def describe(instance: OffloadingInstance) -> dict[str, Any]:
    """Size figures and the balance between computation and transmission."""
    comp = instance.computation_s
    best_comp = np.array([comp[j, list(c)].min() for j, c in enumerate(instance.candidates)])
    return {
        "topology": instance.topology,
        "nodes": instance.n_nodes,
        "directed_links": 2 * len(instance.links),
        "access_points": len(instance.access_points),
        "compute_nodes": len(instance.compute_nodes),
        "tasks": instance.n_tasks,
        "slots": instance.n_slots,
        "mean_data_mb": float(np.mean([t.data_mb for t in instance.tasks])),
        "mean_best_computation_s": float(best_comp.mean()),
    }


METRICS = {  # display metadata of the metrics and swept parameters (tables, figures)
    "mean_latency_ms": MetricInfo("mean latency", "ms", "min"),
    "mean_computation_ms": MetricInfo("mean computation latency", "ms", "min"),
    "mean_transmission_ms": MetricInfo("mean transmission latency", "ms", "min"),
    "max_latency_ms": MetricInfo("maximum latency", "ms", "min"),
    "p95_latency_ms": MetricInfo("95th percentile latency", "ms", "min"),
    "mean_paths_used": MetricInfo("paths used per task", digits=3),
    "tasks": MetricInfo("tasks", integer=True),
    "arrival_rate_per_s": MetricInfo("arrival rate", "tasks/s"),
    "topology": MetricInfo("topology"),
    "n_tasks": MetricInfo("tasks", integer=True),
}

FAMILY = register_family(
    Family(
        name="offloading",
        description="RLMS-CPN: task→compute node + split over k paths, min mean response latency",
        sense=Sense.MINIMIZE,
        instance_type=OffloadingInstance,
        decision_type=OffloadingDecision,
        params_type=OffloadingParams,
        generate=generate,
        evaluate=evaluate,
        describe=describe,
        method_modules=(
            "cpnopt.formulations.offloading.milp",
            "cpnopt.formulations.offloading.sequence",
            "cpnopt.solvers.offloading.heuristics",
            "cpnopt.solvers.offloading.agents",
        ),
        env="cpnopt.problems.offloading.env:OffloadingEnv",
        metrics=METRICS,
    )
)

__all__ = [
    "Cell",
    "ComputeNode",
    "Device",
    "FAMILY",
    "Link",
    "NetworkState",
    "OffloadingDecision",
    "OffloadingInstance",
    "OffloadingParams",
    "Task",
    "TaskView",
    "describe",
    "evaluate",
    "generate",
    "replay",
    "run_policy",
]
