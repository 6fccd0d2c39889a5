"""Family ``regional``: multistage profit-aware task scheduling across regions (GLOBECOM 2023).

Tasks arriving in (mostly eastern) regions are served by one server of any region, or
rejected, under FIFO deadlines; price and cost are the DCAT model shared in
``cpnopt.economics``; the platform maximises its profit. This package holds the instance,
the decision, the generator (the East-to-West scenario on the ChinaNet backbone), the
evaluator (the single source of truth), the online two-stage mechanism (``balancing``:
schedule state, stage-2 balancing, the driver, shared by the heuristics and the
``regional-drl`` environment) and the Gymnasium environment (``env``). The model and every
modelling decision the paper leaves open: docs/families/regional.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cpnopt.metrics import MetricInfo
from cpnopt.problems.regional.decision import RegionalDecision
from cpnopt.problems.regional.evaluate import evaluate
from cpnopt.problems.regional.generator import RegionalParams, generate
from cpnopt.problems.regional.instance import DEADLINE_TOLERANCE_S, Region, RegionalInstance, Server, Task
from cpnopt.registry import Family, register_family
from cpnopt.solution import Sense


def describe(instance: RegionalInstance) -> dict[str, Any]:
    """Size and tightness figures: how many (task, server) pairs are on time, profitable, both."""
    on_time = instance.release_s + instance.processing_s <= instance.latest_finish_s[:, None]
    profitable = instance.margin > 1e-9
    pairs = max(on_time.size, 1)
    east = np.array([instance.regions[o].energy_price for o in instance.origin])
    return {
        "regions": instance.n_regions,
        "servers": instance.n_servers,
        "tasks": instance.n_tasks,
        "tasks_from_dear_regions": int((east > np.mean([r.energy_price for r in instance.regions])).sum()),
        "pairs_deadline_feasible": float(on_time.sum()) / pairs,
        "pairs_profitable": float(profitable.sum()) / pairs,
        "pairs_feasible_and_profitable": float(instance.eligible.sum()) / pairs,
    }


METRICS = {  # display metadata of the metrics and swept parameters (tables, figures)
    "profit": MetricInfo("profit", "price units", "max", decimals=1),
    "revenue": MetricInfo("revenue", "price units", "max", decimals=1),
    "cost": MetricInfo("energy cost", "price units", "min", decimals=1),
    "acceptance_rate": MetricInfo("acceptance rate", sense="max", percent=True),
    "served_tasks": MetricInfo("served tasks", sense="max", integer=True),
    "migration_rate": MetricInfo("migration rate", percent=True),
    "cheap_region_work_share": MetricInfo("work in cheap regions", sense="max", percent=True),
    "mean_delay_s": MetricInfo("mean delay", "s", "min"),
    "mean_transmission_s": MetricInfo("mean transmission delay", "s", "min"),
    "mean_queueing_s": MetricInfo("mean queueing delay", "s", "min"),
    "n_tasks": MetricInfo("tasks", integer=True),
    "east_demand_share": MetricInfo("demand in the east", percent=True),
}

FAMILY = register_family(
    Family(
        name="regional",
        description="multistage profit-aware scheduling: task→region→server under FIFO deadlines, max profit",
        sense=Sense.MAXIMIZE,
        instance_type=RegionalInstance,
        decision_type=RegionalDecision,
        params_type=RegionalParams,
        generate=generate,
        evaluate=evaluate,
        describe=describe,
        method_modules=(
            "cpnopt.formulations.regional.milp",
            "cpnopt.formulations.regional.bp",
            "cpnopt.solvers.regional.enumerate",
            "cpnopt.solvers.regional.heuristics",
            "cpnopt.solvers.regional.agents",
        ),
        env="cpnopt.problems.regional.env:RegionalEnv",
        metrics=METRICS,
    )
)

__all__ = [
    "DEADLINE_TOLERANCE_S",
    "FAMILY",
    "Region",
    "RegionalDecision",
    "RegionalInstance",
    "RegionalParams",
    "Server",
    "Task",
    "describe",
    "evaluate",
    "generate",
]
