"""Family ``placement``: GWP, green workload placement of a neural network's layers over devices.

Per training iteration every layer's neurons are split over devices with time-varying load,
clock and bandwidth; the objective is Eq. (10), α E / E_ref + (1 − α) T / T_ref. This package
holds the instance (with the per-iteration coefficients of Eq. 1–9), the decision, the
generator (MobileNet V1 traces), the evaluator (the single source of truth), the split and
memory repair (``split``, shared by the baselines and GWP's environment) and the Gymnasium
environment (``env``). The model and every modelling decision the paper leaves open:
docs/families/placement.md.
"""

from __future__ import annotations

from typing import Any

from cpnopt.metrics import MetricInfo
from cpnopt.problems.placement.decision import PlacementDecision
from cpnopt.problems.placement.evaluate import evaluate, iteration_cost
from cpnopt.problems.placement.generator import MOBILENET_V1, PlacementParams, generate, mobilenet_layers
from cpnopt.problems.placement.instance import Device, DeviceState, IterationTerms, Layer, PlacementInstance
from cpnopt.registry import Family, register_family
from cpnopt.solution import Sense


def describe(instance: PlacementInstance) -> dict[str, Any]:
    """Size figures and how the reference (objective 1) splits between energy and time."""
    e_ref, t_ref = instance.reference
    return {
        "devices": instance.n_devices,
        "layers": instance.n_layers,
        "neurons": int(instance.neurons.sum()),
        "iterations": instance.n_iterations,
        "frequency_levels": len(instance.frequency_levels),
        "alpha": instance.alpha,
        "reference_energy_j": e_ref,
        "reference_time_s": t_ref,
        "memory_use": float(instance.neurons @ instance.memory_per_neuron_mb / instance.memory_mb.sum()),
    }


METRICS = {  # display metadata of the metrics and swept parameters (tables, figures)
    "objective": MetricInfo("weighted cost (Eq. 10)", sense="min"),
    "energy_j": MetricInfo("energy", "J", "min"),
    "time_s": MetricInfo("training time", "s", "min"),
    "energy_norm": MetricInfo("normalised energy", sense="min"),
    "time_norm": MetricInfo("normalised time", sense="min"),
    "waiting_s": MetricInfo("waiting time", "s", "min"),
    "devices_used_mean": MetricInfo("devices used per iteration"),
    "alpha": MetricInfo("energy weight alpha"),
    "n_devices": MetricInfo("devices", integer=True),
    "n_iterations": MetricInfo("iterations", integer=True),
}

FAMILY = register_family(
    Family(
        name="placement",
        description="GWP: neurons of each layer → devices per iteration, min α·E/E_ref + (1−α)·T/T_ref",
        sense=Sense.MINIMIZE,
        instance_type=PlacementInstance,
        decision_type=PlacementDecision,
        params_type=PlacementParams,
        generate=generate,
        evaluate=evaluate,
        describe=describe,
        method_modules=(
            "cpnopt.formulations.placement.milp",
            "cpnopt.formulations.placement.cg",
            "cpnopt.solvers.placement.enumerate",
            "cpnopt.solvers.placement.heuristics",
            "cpnopt.solvers.placement.agents",
        ),
        env="cpnopt.problems.placement.env:PlacementEnv",
        metrics=METRICS,
    )
)

__all__ = [
    "Device",
    "DeviceState",
    "FAMILY",
    "IterationTerms",
    "Layer",
    "MOBILENET_V1",
    "PlacementDecision",
    "PlacementInstance",
    "PlacementParams",
    "describe",
    "evaluate",
    "generate",
    "iteration_cost",
    "mobilenet_layers",
]
