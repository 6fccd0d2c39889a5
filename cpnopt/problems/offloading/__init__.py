"""Family ``offloading``: RLMS-CPN, joint compute-node selection and multipath path planning.

A task arrives at an access point with D Mb of input data and a neural network (a
NAS-Bench-201 cell); the scheduler picks a compute node among the task's candidates and
splits the data over k candidate paths (flowlets). Objective (the paper's system model): minimise the mean
response latency = computation latency + transmission latency, the transmission lasting
as long as its slowest flowlet:

    latency_j = L_c(j, c_j) + max_{k: s_k > 0} ( s_{j,k} D_j / bw_{j,k} + d_k ).

Modelling decisions the paper leaves open (used by the evaluator, exact models and baselines)
--------------------------------------------------------------------------------------------
- Network: a topohub graph (SNDlib, Topology Zoo, CAIDA) or a synthetic Gabriel graph;
  links are full duplex (each direction its own capacity, Abilene's 15 links = the paper's
  30 directed links); propagation delay d = length / 2×10⁵ km/s summed over the path, no
  per-hop processing delay.
- Access points (2–4) are graph nodes that hold no compute; every other node (or a random
  subset) is a compute node with one device of class cpu, gpu or other.
- Computation latency: L_c(j, c) = inferences_j × latency(architecture_j, device_c) /
  (1 − node_load_c(slot)): the per-inference latency comes from the documented analytic
  roofline model (``latency.py``) or from a HW-NAS-Bench-style measured table; compute
  nodes run tasks in parallel with their background load (no queueing between offloaded
  tasks) — the paper's latency is a per-(network, device) prediction.
- Time-varying state: per slot of ``slot_s``, every directed link e has background share
  b_e(t) ∈ [0, 1) and available bandwidth c_e(t) = capacity_e (1 − b_e(t)); every compute
  node has a load share. After the last slot its state stays in force.
- Network state left by earlier tasks (the paper's "available bandwidth" of a path): a
  flowlet started at a_j on path k is granted bw = α · min_{e∈k} residual_e(a_j), α =
  ``flow_share`` (default 0.5), and holds on each of its links the share q_e = bw / c_e(t)
  until it has sent its s_k D Mb; residual_e(τ) = c_e(slot(τ)) (1 − Σ_active q_e). With
  α < 1 a path is never fully reserved, so every task always finds bandwidth on every
  path and no method can make the instance infeasible; flows do not slow down or speed up
  once started (no re-sharing), so a method knows its latency when it decides.
- Candidates (Sec. 3.2): the top-n compute nodes by L_c + ``hop_weight_s`` × least hop
  count (the paper ranks by "predicted latency and hop count" without a formula); per
  (access point, node) the k shortest link-disjoint paths (Yen's k-shortest paths by
  propagation delay, keeping each path that shares no link with those kept), so path
  bandwidths are independent as the max_k(s_k D / bw_k + d_k) model assumes. A decision
  must pick a candidate node and give one ratio per candidate path (ratios on the simplex).
- Exact methods: ``oracle`` is the exact myopic optimum per task on the current state;
  ``milp`` is the exact optimum of a clairvoyant relaxation of the whole sequence — a
  proven lower bound on the mean latency of every method, the oracle included (see
  ``cpnopt.formulations.offloading``).
- Baselines (Sec. 4.1.3): "nearest" node = least propagation delay of the shortest path;
  ECMP = equal split over the (up to) 3 shortest candidate paths; min-MLU = the split that
  minimises the maximum utilisation (c_e(t) − residual_e + s_k D / slot_s) / c_e(t) over the
  task's candidate paths, an LP solved by HiGHS (the task's demand as a rate over one slot).
- GNN-DQN (Sec. 4.1.3, ``cpnopt.solvers.learned.gnn_dqn``): its discrete actions are (candidate
  node, all data on one path or ECMP); its bandwidth-based reward is the rate the split achieves
  over the best rate any candidate offers — the one training reward that is not the evaluator's
  latency (the method is still scored by the evaluator).
- TSFT (Sec. 3.3, Table 5): the paper's per-device measurements are not available offline, and
  the analytic model is additive over kernels, so the predictor study runs on the documented
  device-execution simulator ``measured.py`` (fusion, branch concurrency, cache carry-over,
  per-operation efficiency, throttling, noise), or on a measured HW-NAS-Bench-style CSV.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cpnopt.problems.offloading.decision import OffloadingDecision
from cpnopt.problems.offloading.evaluate import NetworkState, TaskView, evaluate, replay, run_policy
from cpnopt.problems.offloading.generator import OffloadingParams, generate
from cpnopt.problems.offloading.instance import ComputeNode, Device, Link, OffloadingInstance, Task
from cpnopt.problems.offloading.latency import Cell
from cpnopt.metrics import MetricInfo
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
        method_modules=("cpnopt.formulations.offloading", "cpnopt.solvers.heuristics.offloading", "cpnopt.solvers.learned.rlms", "cpnopt.solvers.learned.gnn_dqn"),
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
