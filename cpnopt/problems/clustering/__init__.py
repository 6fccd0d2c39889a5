"""Family ``clustering``: P1 of the DCAT paper, profit-aware server clustering and task scheduling.

Servers are partitioned into clusters of diameter ≤ R_max (Eq. 10c); tasks are served FIFO by
at most one cluster before their deadline (Eq. 1–4, 10b) and pay the posted price (Eq. 5);
the platform maximises its profit (Eq. 6). This package holds the instance (``instance``),
the decision, the generator, the evaluator (the single source of truth), the feasible
clusters (``clusters``), the REA/OB-REA auction (``auction``, a mechanism shared by the
heuristics and DCAT's environment) and the Gymnasium environment (``env``). The model, the
units and every modelling decision the paper leaves open: docs/families/clustering.md.
"""

from __future__ import annotations

from typing import Any

from cpnopt.metrics import MetricInfo
from cpnopt.problems.clustering.clusters import feasible_clusters
from cpnopt.problems.clustering.decision import ClusteringDecision
from cpnopt.problems.clustering.evaluate import evaluate
from cpnopt.problems.clustering.generator import ClusteringParams, generate
from cpnopt.problems.clustering.instance import (
    DEADLINE_TOLERANCE_S,
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
        on_time = terms.release_s + terms.processing_s <= instance.latest_finish_s
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


METRICS = {  # display metadata of the metrics and swept parameters (tables, figures)
    "platform_profit": MetricInfo("platform profit", "price units", "max", decimals=1),
    "server_utility": MetricInfo("server utility", "price units", "max", decimals=1),
    "user_payment": MetricInfo("user payment", "price units", decimals=1),
    "offloading_rate": MetricInfo("offloading rate", sense="max", percent=True),
    "served_tasks": MetricInfo("served tasks", sense="max", integer=True),
    "clusters": MetricInfo("clusters", integer=True),
    "mean_delay_s": MetricInfo("mean delay", "s", "min"),
    "report.bound": MetricInfo("bound on profit", "price units", "min", decimals=1),
    "n_servers": MetricInfo("servers", integer=True),
    "arrivals_per_slot": MetricInfo("arrivals per slot", integer=True),
    "r_max_km": MetricInfo("cluster diameter limit", "km"),
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
            "cpnopt.formulations.clustering.milp",
            "cpnopt.formulations.clustering.cg",
            "cpnopt.formulations.clustering.bp",
            "cpnopt.solvers.clustering.enumerate",
            "cpnopt.solvers.clustering.heuristics",
            "cpnopt.solvers.clustering.agents",
        ),
        env="cpnopt.problems.clustering.env:ClusteringEnv",
        metrics=METRICS,
    )
)

__all__ = [
    "DEADLINE_TOLERANCE_S",
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
