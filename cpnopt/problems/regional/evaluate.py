"""The regional evaluator: the single source of truth for every regional method.

It replays each server's FIFO queue with the shared simulation (cpnopt.fifo), checks every
served task's deadline (transmission + queueing + processing ≤ τ_n) and returns the
platform profit Σ_served (p_n − c_{n,i}) as the objective.

Metrics: ``profit``, ``revenue`` (Σ p_n served), ``cost`` (Σ c_{n,i} served),
``acceptance_rate`` and ``served_tasks``, ``migration_rate`` (share of served tasks run
outside their origin region), ``cheap_region_work_share`` (share of served Gcycles run in
regions whose electricity price s_r is below the mean over regions), and the mean delay of
served tasks split into ``mean_transmission_s`` and ``mean_queueing_s`` (the rest is
processing).
"""

from __future__ import annotations

import numpy as np

from cpnopt.fifo import fifo_schedule
from cpnopt.problems.regional.decision import RegionalDecision
from cpnopt.problems.regional.instance import DEADLINE_TOLERANCE_S, RegionalInstance
from cpnopt.solution import Evaluation


def queue_on_time(instance: RegionalInstance, server: int, tasks: list[int]) -> bool:
    """Every task of ``server``'s FIFO queue ``tasks`` meets its deadline (what the evaluator checks)."""
    done = fifo_schedule(instance.release_s[tasks, server], instance.processing_s[tasks, server]).completion_s
    return bool(np.all(done <= instance.latest_finish_s[tasks]))


def evaluate(instance: RegionalInstance, decision: RegionalDecision) -> Evaluation:
    """Check the assignment and every deadline; compute profit and the family's metrics."""
    n_tasks, n_servers = instance.n_tasks, instance.n_servers
    violations: list[str] = []
    if len(decision.assignment) != n_tasks:
        violations.append(f"assignment has {len(decision.assignment)} entries for {n_tasks} tasks")
    for n, i in enumerate(decision.assignment):
        if i is not None and not 0 <= i < n_servers:
            violations.append(f"task {n} is assigned to server {i}, which does not exist")
    if violations:
        return Evaluation(feasible=False, objective=0.0, metrics={}, violations=violations)

    served = np.array([i is not None for i in decision.assignment], dtype=bool)
    server = np.array([-1 if i is None else i for i in decision.assignment], dtype=int)
    completion = np.zeros(n_tasks)
    for i in range(n_servers):
        tasks = np.flatnonzero(server == i)
        if not len(tasks):
            continue
        schedule = fifo_schedule(instance.release_s[tasks, i], instance.processing_s[tasks, i])
        completion[tasks] = schedule.completion_s
        for n, done in zip(tasks, schedule.completion_s):
            delay, tau = done - instance.arrival_s[n], instance.deadline_s[n]
            if delay > tau + DEADLINE_TOLERANCE_S:
                region = instance.regions[instance.server_region[i]].name
                violations.append(
                    f"task {n} on server {i} ({region}) finishes {delay:.4f} s after arrival > deadline τ = {tau:.4f} s "
                    "(transmission + queueing + processing)"
                )

    rows = np.flatnonzero(served)
    cols = server[rows]
    revenue = float(instance.price[rows].sum())
    cost = float(instance.cost[rows, cols].sum())
    transmission = instance.transmission_s[rows, cols]
    processing = instance.processing_s[rows, cols]
    delay = completion[rows] - instance.arrival_s[rows]
    served_work = instance.workload_gcycles[rows]
    cheap = instance.energy_price[cols] < np.array([r.energy_price for r in instance.regions]).mean()
    mean = (lambda values: float(values.mean())) if len(rows) else (lambda values: 0.0)
    metrics = {
        "profit": revenue - cost,
        "revenue": revenue,
        "cost": cost,
        "acceptance_rate": float(served.mean()) if n_tasks else 0.0,
        "served_tasks": int(served.sum()),
        "migration_rate": mean(
            instance.server_region[cols] != instance.origin[rows]
        ),  # served outside the origin region
        "cheap_region_work_share": float(served_work[cheap].sum() / served_work.sum()) if len(rows) else 0.0,
        "mean_delay_s": mean(delay),
        "mean_transmission_s": mean(transmission),
        "mean_queueing_s": mean(delay - transmission - processing),
    }
    return Evaluation(feasible=not violations, objective=revenue - cost, metrics=metrics, violations=violations)
