"""Family ``regional``: multistage profit-aware task scheduling across regions (GLOBECOM 2023).

Regions r (an "East-to-West" computing network) hold servers i of computing power f_i;
electricity costs s_r relative to a reference price, dear in the east, cheap in the west.
Tasks n arrive at a_n in an origin region o_n (mostly the east) with workload l_n, data
m_n and a deadline τ_n. The platform serves a task on one server of any region, or rejects
it (profit 0). A served task pays the posted price p_n and costs the server's execution
cost c_{n,i}; the objective is the platform profit Σ_served (p_n − c_{n,i}). The paper
decides in two stages — a region for each task, then a server inside the region — the
exact model decides task → server directly (the region follows from the server).

Price and cost: the DCAT model of the clustering family, shared in ``cpnopt.economics``
(not copied): p_n = p (1 + μ/τ_n) l_n (DCAT Eq. 5) and, on the single server i,
c_{n,i} = l_n (ε_e s_{r_i} f_i² + ε_t / f_i) (DCAT Eq. 8 with C = {i}, energy term priced by
the region). Same units and coefficients as the clustering family (work in Gcycles, power
in Gcycles/s, money in the price unit p = 10 per Gcycle; ε_e = 2.5e-4, ε_t = 200): on the
default instances an east server costs 10–23 per Gcycle, a west one 5–12, against a price
of 13–17 per Gcycle — east servers are profitable only when slow (too slow for many
deadlines), west servers always, but far and few.

Deadline: transmission + queueing + processing ≤ τ_n. Transmission T_{n,i} =
latency(o_n, r_i) + m_n / bandwidth(o_n, r_i); the task joins server i's queue at the
release time a_n + T_{n,i}; queueing is first-in-first-out (the shared ``cpnopt.fifo``
simulation); processing takes l_n / f_i. The MILP encodes the same FIFO deadlines with the
constraints shared with the clustering MILP (``cpnopt.formulations.fifo_constraints``).

Modelling decisions the paper leaves open (used by the evaluator, the MILP and heuristics)
-----------------------------------------------------------------------------------------
- Network: one latency and one bandwidth per (origin region, server region) pair, the
  diagonal for moves inside a region. The generator derives them from the real ChinaNet
  backbone (topohub ``topozoo/Chinanet``): the least-latency path between the regions' hub
  cities (length / 2e8 m/s + 1 ms per hop) and the bottleneck of its link bandwidths.
  Each task's transfer gets the whole path bandwidth: transfers do not contend (the paper
  charges data / bandwidth per task); the result returns with no charge (small output).
- FIFO order at a server: by release time there, ties by task index; servers start empty
  (no initial backlog); a server runs one task at a time, unsplit.
- A task is served by at most one server; rejected tasks earn and cost nothing. Serving a
  task at a loss is feasible (the evaluator reports the negative profit) but never optimal.
- Task arrivals are known to the exact method (offline, clairvoyant optimum); the
  heuristics schedule online in arrival order and never revisit a decision, so the gap to
  the MILP is the price of both stage-wise decisions and of being online.
- Regions with no server are rejected as input (a region is where computing is).
- The online two-stage mechanism (schedule state, stage 2, driver) is
  ``cpnopt.problems.regional.balancing``: ``schedule(instance, allocator)`` takes any stage-1
  allocator — the heuristics' rules (``cpnopt.solvers.heuristics.regional``) or the learned
  ``regional-drl`` policy (``cpnopt.solvers.learned.regional_drl``).
- Generator ("East-to-West"): hubs of China's East-Data-West-Computing plan (east Beijing,
  Shanghai, Guangzhou, Chongqing; west Hohhot, Guiyang, Lanzhou, Yinchuan), s_r ∈ [0.9, 1.1]
  east and [0.4, 0.6] west, f_i ∈ [200, 300], l_n ∈ [500, 900], m_n ∈ [50, 400] Mb,
  τ_n ∈ [3, 6] s, backbone links 100–500 Mb/s, metro 1 Gb/s and 2 ms, Poisson arrivals
  (3 tasks/s by default), 85 % of them in the east. These ranges are ours (the paper's
  table was not available): chosen so that deadlines, queueing and profitability all bind.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cpnopt.problems.regional.decision import RegionalDecision
from cpnopt.problems.regional.evaluate import evaluate
from cpnopt.problems.regional.generator import RegionalParams, generate
from cpnopt.problems.regional.instance import Region, RegionalInstance, Server, Task
from cpnopt.registry import Family, register_family
from cpnopt.solution import Sense


def describe(instance: RegionalInstance) -> dict[str, Any]:
    """Size and tightness figures: how many (task, server) pairs are on time, profitable, both."""
    on_time = instance.release_s + instance.processing_s <= instance.due_s[:, None] + 1e-9
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
            "cpnopt.formulations.regional",
            "cpnopt.formulations.regional_bp",
            "cpnopt.solvers.regional_enumeration",
            "cpnopt.solvers.heuristics.regional",
            "cpnopt.solvers.learned.regional_drl",
        ),
    )
)

__all__ = [
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
