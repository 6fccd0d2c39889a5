"""Family ``clustering``: P1 of the DCAT paper, profit-aware server clustering and task scheduling.

The platform partitions servers into clusters of diameter ≤ R_max (Eq. 10c), each cluster
pooling its computing power f_C = Σ f_i; tasks are offloaded to at most one cluster,
queued FIFO there (Eq. 1–2) after the transmission delay of Eq. (3); the total delay
(Eq. 4) must meet the deadline τ_n (Eq. 10b). A served task pays the posted price
p_n = p (1 + μ/τ_n) l_n (Eq. 5) to the platform, which pays the cluster a payment q_n with
cost c_{n,C} ≤ q_n ≤ p_n (rationality, Eq. 10f). Objective: platform profit
Σ_n (p_n − q_n) over served tasks (Eq. 6).

Units and the rescaling (Table I's units do not agree)
------------------------------------------------------
Work is in Gcycles (l_n ∈ [500, 900]) and power in Gcycles/s (f_i ∈ [200, 300]), so
l_n / f_C is seconds and a task takes 1.7–4.5 s on one server and 0.6–1.5 s on a cluster
of three: the deadline τ_n ∈ [2, 3] s binds and clustering pays. Table I's ε_e = 1e-28
J/(cycle·Hz²) with f in GHz makes the energy cost ~1e-20 of the price (with f in Hz and l
in cycles it is ~1e6 times the price instead). We keep Eq. (8)'s form
c_{n,C} = Σ_i ε_e l_{n,i} f_i² + ε_t l_{n,i} / f_i with l_{n,i} = l_n f_i / f_C, and choose
ε_e = 2.5e-4 money/(Gcycle·GHz²) and ε_t = 200 money/(server·s): the energy cost per
Gcycle (ε_e f²) is 10–22.5 and the time cost ≈ 0.7–1 per Gcycle, straddling the price per
Gcycle p(1 + μ/τ) = 16.7–20. Fast servers are then unprofitable alone but needed for
deadlines, so both the deadline and the rationality constraints bind on the default
instances (the quickstart prints the share of deadline-feasible and profitable pairs).
Money is in the paper's price unit (p = 10 per Gcycle).

Modelling decisions the paper leaves open (used by the evaluator, the MILP and heuristics)
-----------------------------------------------------------------------------------------
- Network: servers and access points are nodes of an access network (the generator draws
  the Gabriel graph of their positions); a task's path to a cluster is the path of least
  Eq. (3) delay Σ_s (m_n/v_s + d_s/V) from its access point O_n to the cluster's member
  nearest in that delay, which is where the task enters the cluster. Hop counts P_{n,k}
  follow from the topology instead of being drawn.
- Load split inside a cluster (l_{n,i} = l_n f_i / f_C) finishes on all members at once,
  so the cluster behaves as one machine of power f_C; intra-cluster transfer is not
  charged (clusters are at most R_max wide).
- Initial backlog L of every cluster: 0 (clusters start empty at time 0).
- FIFO order at a cluster: by release time there (arrival δ·slot + transmission delay),
  ties by task index. A task's completion is C_n = max(r_n, C_prev) + l_n/f_C.
- Cluster size: at most ``max_cluster_size`` servers (default 3, ``null`` for no limit), a
  parameter of the instance so that every method solves the same problem.
- Users pay p_n; a task no cluster can serve profitably and on time is not served
  (offloading rate < 1). Eq. (7)'s user side is reported as ``user_payment`` = Σ p_n
  over served tasks.
- Pricing mechanisms (REA, OB-REA) and their tie rules are documented in
  ``cpnopt.solvers.heuristics.clustering``.
"""

from __future__ import annotations

from typing import Any

from cpnopt.problems.clustering.clusters import feasible_clusters
from cpnopt.problems.clustering.decision import ClusteringDecision
from cpnopt.problems.clustering.evaluate import evaluate
from cpnopt.problems.clustering.generator import ClusteringParams, generate
from cpnopt.problems.clustering.instance import (
    AccessPoint,
    ClusteringInstance,
    ClusterTerms,
    Economics,
    Link,
    Server,
    Task,
)
from cpnopt.registry import Family, register_family
from cpnopt.solution import Sense


def describe(instance: ClusteringInstance) -> dict[str, Any]:
    """Size and tightness figures: how many (task, cluster) pairs the constraints allow."""
    clusters = feasible_clusters(instance)
    pairs = deadline_ok = profitable = both = 0
    for members in clusters:
        terms = instance.cluster_terms(members)
        on_time = terms.release_s + terms.processing_s <= instance.due_s
        paying = terms.cost <= instance.price
        pairs += len(on_time)
        deadline_ok += int(on_time.sum())
        profitable += int(paying.sum())
        both += int((on_time & paying).sum())
    share = (lambda k: k / pairs) if pairs else (lambda k: 0.0)
    return {
        "servers": instance.n_servers,
        "tasks": instance.n_tasks,
        "r_max_km": instance.r_max_km,
        "max_cluster_size": instance.max_cluster_size,
        "feasible_clusters": len(clusters),
        "pairs_deadline_feasible": share(deadline_ok),
        "pairs_profitable": share(profitable),
        "pairs_feasible_and_profitable": share(both),
    }


FAMILY = register_family(
    Family(
        name="clustering",
        description="P1/DCAT: server clustering (diameter ≤ R_max) + task→cluster, max platform profit",
        sense=Sense.MAXIMIZE,
        instance_type=ClusteringInstance,
        decision_type=ClusteringDecision,
        params_type=ClusteringParams,
        generate=generate,
        evaluate=evaluate,
        describe=describe,
        method_modules=(
            "cpnopt.formulations.clustering",
            "cpnopt.formulations.clustering_cg",
            "cpnopt.formulations.clustering_bp",
            "cpnopt.solvers.enumeration",
            "cpnopt.solvers.heuristics.clustering",
            "cpnopt.solvers.learned.dcat",
        ),
    )
)

__all__ = [
    "AccessPoint",
    "ClusterTerms",
    "ClusteringDecision",
    "ClusteringInstance",
    "ClusteringParams",
    "Economics",
    "FAMILY",
    "Link",
    "Server",
    "Task",
    "describe",
    "evaluate",
    "feasible_clusters",
    "generate",
]
