"""Family ``placement``: GWP, green workload placement of distributed training (Energy Internet in smart cities).

A training job runs K iterations of a model with L layers, layer l having N_l neurons, on
devices i ∈ M. In iteration k device i has the state (u_{i,k}, f_{i,k}, B_{i,k}): the share
of its CPU left to the job, its frequency (≤ f_i^max) and its bandwidth; δ_i is its cycles
per FLOP and η_i its energy coefficient. The decision is how many neurons of each layer each
device runs in each iteration, n_{k,l,i} ∈ ℤ≥0 with Σ_i n_{k,l,i} = N_l, within each
device's memory, and (with DVFS) the frequency level each device runs at.

Model (equation numbers as the GWP paper's Sec. III, read through issue #4)
-----------------------------------------------------------------------
With S samples per iteration, w_l the training FLOPs of one neuron for one sample, and
F = φ f_{i,k} the operating frequency (φ = 1 without DVFS):
- compute time of device i in layer l: n S w_l δ_i / (F u_{i,k})                 Eq. (1)–(2)
- communication: S·in_l / B_{i,k} when the device is used (it receives the layer's input)
  plus n S out_l / B_{i,k} (it returns its neurons' outputs)                      Eq. (3)–(4)
- layer time t_{l,k} = max over used devices of compute + communication           Eq. (5)
- job time T = Σ_k Σ_l t_{l,k}                                                     Eq. (6)
- compute energy η_i c (F u_{i,k})² with c = n S w_l δ_i Gcycles                   Eq. (7)
- heat while computing g_i(F) × compute time, and while communicating h_i(F) ×
  communication time, with g_i(F) = a_i + b_i F², h_i(F) = c_i + d_i F² (watts)      Eq. (8)–(9)
- objective min α E / E_ref + (1 − α) T / T_ref                                    Eq. (10)

Units: GHz = Gcycles/s, FLOPs in MFLOP per neuron and sample, data in megabits, bandwidth
in Mb/s, memory in MB, energy in J (η in J/(Gcycle·GHz²)), time in s.

Modelling decisions the paper leaves open (used by the evaluator, the MILP, brute force and heuristics)
-------------------------------------------------------------------------------------------------------
- Neurons are a layer's output channels (MobileNet V1 as data, ``generator.MOBILENET_V1``);
  a layer is split across devices by neurons (model parallelism inside a layer) and layers
  run one after the other (Eq. 5–6: a layer waits for its slowest device).
- Communication goes through the coordinator (star): every device that runs ≥ 1 neuron of
  layer l receives the layer's whole input and sends back its neurons' outputs, even when
  it ran the previous layer too. That fixed input transfer is why the MILP has a
  device-used binary per (layer, device); it also makes layers independent given the
  iteration's memory constraint.
- g and h are linear in F² (F the operating frequency, not F·u: heat follows the clock,
  the useful work follows F·u). Once F is fixed — the observed f_{i,k}, or one of the
  discrete DVFS levels φ_v f_{i,k} — every time and energy term is a constant times n or
  times the used-binary, so the model stays linear: the nonlinearity in f lives only in
  the coefficients (``PlacementInstance.terms``), one set per level.
- DVFS (``frequency_levels``, fractions of f_{i,k}, default (1.0,) = off): each device runs
  one level for a whole iteration; the heuristics run at the top level.
- Memory: a device's memory holds, in every iteration, the weights, gradients, momentum
  (12 bytes per parameter) and the batch's activations of the neurons it runs; the
  evaluator checks Σ_l n_{k,l,i} m_l ≤ memory_i for every k. Moving neurons between
  iterations is free (no migration cost), so iterations are independent: the offline
  optimum with the whole trace known is the sum of the per-iteration optima.
- Normalisation of Eq. (10): E_ref, T_ref are the energy and time of the placement that
  needs no scheduler — in each iteration the whole model on the one device with the least
  job time (top DVFS level, memory ignored, ties to the lowest index). They depend on the
  instance only, are the same for every method and the MILP, make both terms
  dimensionless, and put that placement at objective exactly 1 (α E/E_ref and
  (1−α) T/T_ref are its shares), so α weighs relative savings in energy against relative
  savings in time. Values below 1 beat running on the best single device.
- Waiting time (Fig. 5b): Σ_k Σ_l Σ_{i used} (t_{l,k} − t_{i,l,k}), the time devices that
  finished a layer early spend waiting for the slowest one.
- Traces: sinusoid + noise for u and f, a two-state Markov channel for B (generator).
"""

from __future__ import annotations

from typing import Any

from cpnopt.problems.placement.decision import PlacementDecision
from cpnopt.problems.placement.evaluate import evaluate, iteration_cost
from cpnopt.problems.placement.generator import MOBILENET_V1, PlacementParams, generate, mobilenet_layers
from cpnopt.problems.placement.instance import Device, DeviceState, IterationTerms, Layer, PlacementInstance
from cpnopt.metrics import MetricInfo
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
            "cpnopt.formulations.placement",
            "cpnopt.solvers.placement_enumeration",
            "cpnopt.solvers.heuristics.placement",
            "cpnopt.solvers.learned.gwp",
        ),
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
