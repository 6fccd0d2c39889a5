"""The P1 evaluator: the single source of truth for every clustering method.

It checks a :class:`ClusteringDecision` against every constraint of P1 and returns the
platform profit (Eq. 6) as the objective, with the per-party utilities and every
violation it finds.
"""

from __future__ import annotations

import numpy as np

from cpnopt.fifo import fifo_schedule
from cpnopt.problems.clustering.decision import ClusteringDecision
from cpnopt.problems.clustering.instance import DEADLINE_TOLERANCE_S, ClusteringInstance
from cpnopt.solution import Evaluation

TOLERANCE = 1e-6  # relative, on payments (money); deadlines use DEADLINE_TOLERANCE_S


def cluster_violations(instance: ClusteringInstance, clusters: tuple[tuple[int, ...], ...]) -> list[str]:
    """Partition (each server in exactly one cluster), size limit and R_max (Eq. 10c)."""
    found: list[str] = []
    seen: dict[int, int] = {}
    for k, members in enumerate(clusters):
        if not members:
            found.append(f"cluster {k} is empty")
        for i in members:
            if not 0 <= i < instance.n_servers:
                found.append(f"cluster {k} names server {i}, which does not exist")
            elif i in seen:
                found.append(f"server {i} is in cluster {seen[i]} and cluster {k}")
            else:
                seen[i] = k
        limit = instance.max_cluster_size
        if limit is not None and len(members) > limit:
            found.append(f"cluster {k} has {len(members)} servers, more than max_cluster_size = {limit}")
        valid = [i for i in members if 0 <= i < instance.n_servers]
        diameter = instance.diameter_km(valid)
        if diameter > instance.r_max_km * (1 + 1e-9):
            found.append(f"cluster {k} has diameter {diameter:.3f} km > R_max = {instance.r_max_km} km (Eq. 10c)")
    missing = sorted(set(range(instance.n_servers)) - set(seen))
    if missing:
        found.append(f"servers {missing} are in no cluster")
    return found


def evaluate(instance: ClusteringInstance, decision: ClusteringDecision) -> Evaluation:
    """Check every constraint of P1 and compute Eq. (6), (7), (9)."""
    violations = cluster_violations(instance, decision.clusters)
    n_tasks = instance.n_tasks
    if len(decision.assignment) != n_tasks:
        violations.append(f"assignment has {len(decision.assignment)} entries for {n_tasks} tasks")
    if len(decision.payments) != n_tasks:
        violations.append(f"payments has {len(decision.payments)} entries for {n_tasks} tasks")
    for n, k in enumerate(decision.assignment):
        if k is not None and not 0 <= k < len(decision.clusters):
            violations.append(f"task {n} is assigned to cluster {k}, which does not exist")
    if violations:
        return Evaluation(feasible=False, objective=0.0, metrics={}, violations=violations)

    price = instance.price
    served = np.array([k is not None for k in decision.assignment], dtype=bool)
    payment = np.zeros(n_tasks)
    cost = np.zeros(n_tasks)
    delay = np.zeros(n_tasks)
    for k, members in enumerate(decision.clusters):
        tasks = [n for n, a in enumerate(decision.assignment) if a == k]
        if not tasks:
            continue
        terms = instance.cluster_terms(members)
        schedule = fifo_schedule(terms.release_s[tasks], terms.processing_s[tasks])
        for pos, n in enumerate(tasks):
            cost[n] = terms.cost[n]
            delay[n] = schedule.completion_s[pos] - instance.arrival_s[n]  # Eq. (4)
            tau = instance.tasks[n].deadline_s
            if delay[n] > tau + DEADLINE_TOLERANCE_S:
                violations.append(
                    f"task {n} on cluster {k} finishes after {delay[n]:.4f} s > deadline τ = {tau:.4f} s (Eq. 10b)"
                )
    for n in range(n_tasks):
        pay = decision.payments[n]
        if not served[n]:
            if pay not in (None, 0, 0.0):
                violations.append(f"task {n} is not served but has payment {pay}")
            continue
        if pay is None or not np.isfinite(pay):
            violations.append(f"task {n} is served but has {'no' if pay is None else 'a non-finite'} payment")
            continue
        payment[n] = pay
        scale = TOLERANCE * max(1.0, abs(price[n]))
        if pay < cost[n] - scale:
            violations.append(
                f"task {n}: payment {pay:.4f} < cost {cost[n]:.4f} of its cluster (Eq. 10f, server rationality)"
            )
        if pay > price[n] + scale:
            violations.append(f"task {n}: payment {pay:.4f} > price {price[n]:.4f} (Eq. 10f, platform rationality)")

    platform_profit = float((price - payment)[served].sum())  # Eq. (6)
    metrics = {
        "platform_profit": platform_profit,
        "server_utility": float((payment - cost)[served].sum()),  # Eq. (9)
        "user_payment": float(price[served].sum()),  # Eq. (7): users pay the posted price p_n
        "offloading_rate": float(served.mean()) if n_tasks else 0.0,
        "served_tasks": int(served.sum()),
        "clusters": len(decision.clusters),
        "mean_delay_s": float(delay[served].mean()) if served.any() else 0.0,
    }
    return Evaluation(feasible=not violations, objective=platform_profit, metrics=metrics, violations=violations)
