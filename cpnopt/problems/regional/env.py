"""The ``regional`` environment: a learned stage 1 (task → region) over the two-stage scheduler's stage 2.

An episode is one instance scheduled online, as the family's two-stage heuristics do: the
tasks come in arrival order (ties by index), step t allocates task t to a region or rejects
it (stage 1, the agent), and the profit-aware balancing of ``two-stage``
(:func:`~cpnopt.problems.regional.balancing.balance_within_region`, stage 2, the same code)
puts it on a server of that region. At the end the schedule goes through the family's
evaluator (:func:`evaluator_reward`); reward = the platform profit / the mean posted price.

Modelling decisions (the paper leaves them open or they follow from the family)
------------------------------------------------------------------------------
- **Candidates**: the regions and one "reject" candidate (K = regions + 1).
- **Mask**: a region is allowed only if stage 2 would serve the task there (a server of the
  region takes it on time with a profit > 0, given the tasks accepted so far); reject is
  always allowed, and an action outside the mask rejects. So stage 1 never sends a task
  where stage 2 would drop it, and every episode is feasible by construction. The agent
  may still reject a task that could be served (to keep capacity for later ones).
- **Reward**: 0 until the last task, then the evaluator's profit divided by the mean p_n
  (profit in "average tasks' prices": rewards of order 1; same optimal policy);
  ``Step.objective`` carries the profit itself. Undiscounted (γ = 1).
- **Features** of region r for the task n at hand (reject reads 0 but its flag): reject
  flag; allowed; the margin p_n − c_{n,i} of the server stage 2 would choose / p_n; the
  region's pooled unit cost ĉ_r l_n / p_n (the two-stage estimate); transmission T_{n,r} /
  τ_n; slack of that server, (due − its earliest completion) / τ_n; the region's queued
  work W_r / F_r at the task's release there / τ_n; s_r; F_r / Σ F; share of the remaining
  tasks for which r is eligible (on time alone and profitable); r is the task's origin;
  the task's l_n / mean l and τ_n / max τ; share of tasks left; allowed regions / regions.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import torch

from cpnopt.problems.regional import RegionalInstance, RegionalParams, generate
from cpnopt.problems.regional.balancing import Plan, balance_within_region, pooled_unit_cost
from cpnopt.rl_env import BatchedEnv, FamilyGymEnv, Observation, Step

N_FEATURES = 15


def arrival_order(inst: RegionalInstance) -> list[int]:
    """The tasks in the order the online scheduler sees them (as ``balancing.schedule``)."""
    return sorted(range(inst.n_tasks), key=lambda k: (inst.tasks[k].arrival_s, k))


def task_candidates(plan: Plan, order: list[int], t: int) -> tuple[np.ndarray, np.ndarray, list[int | None]]:
    """Features (R + 1, N_FEATURES), mask (R + 1,) and stage 2's server per region for the t-th task."""
    inst = plan.instance
    n, n_regions = order[t], inst.n_regions
    servers = [balance_within_region(plan, n, r) for r in range(n_regions)]
    features = np.zeros((n_regions + 1, N_FEATURES))
    mask = np.array([s is not None for s in servers] + [True])
    remaining = order[t + 1 :]
    total_power = inst.power_ghz.sum()
    price, tau = float(inst.price[n]), float(inst.deadline_s[n])
    for r in range(n_regions):
        members = inst.servers_in(r)
        first = int(members[0])
        release = float(inst.release_s[n, first])  # every server of a region is equally far
        chosen = servers[r]
        features[r, 1] = mask[r]
        if chosen is not None:
            finish = max(release, plan.free_at_s[chosen]) + inst.processing_s[n, chosen]
            features[r, 2] = inst.margin[n, chosen] / price
            features[r, 5] = (inst.due_s[n] - finish) / tau
        features[r, 3] = pooled_unit_cost(inst, r) * inst.workload_gcycles[n] / price
        features[r, 4] = inst.transmission_s[n, first] / tau
        features[r, 6] = plan.region_backlog_gcycles(r, release) / inst.power_ghz[members].sum() / tau
        features[r, 7] = inst.regions[r].energy_price
        features[r, 8] = inst.power_ghz[members].sum() / total_power
        features[r, 9] = inst.eligible[remaining][:, members].any(axis=1).mean() if remaining else 0.0
        features[r, 10] = float(inst.origin[n] == r)
    features[-1, 0] = 1.0
    features[:, 11] = inst.workload_gcycles[n] / inst.workload_gcycles.mean()
    features[:, 12] = tau / inst.deadline_s.max()
    features[:, 13] = (len(order) - t) / len(order)
    features[:, 14] = mask[:-1].mean()
    return features, mask, servers


class BatchedRegionalEnv(BatchedEnv):
    """Many regional instances with the same number of regions and tasks, one task per step."""

    n_features = N_FEATURES

    def n_candidates(self, instance: RegionalInstance) -> int:
        return instance.n_regions + 1

    # ------------------------------------------------------------------ episodes
    def _reset_all(self) -> None:
        b = len(self.instances)
        self.n_tasks = self.instances[0].n_tasks
        self.plans: list[Plan] = [Plan(inst) for inst in self.instances]
        self.orders: list[list[int]] = [[] for _ in range(b)]
        self.t = torch.zeros(b, dtype=torch.long)
        self.pending: list[tuple[np.ndarray, np.ndarray, list[int | None]]] = [None] * b  # type: ignore[list-item]
        self._clear()
        self._reset_slots(list(range(b)))

    def _reset_slots(self, slots: list[int]) -> None:
        for slot in slots:
            inst = self.instances[slot]
            if inst.n_tasks != self.n_tasks:
                raise ValueError(f"a batch needs instances with {self.n_tasks} tasks")
            self.plans[slot] = Plan(inst)
            self.orders[slot] = arrival_order(inst)
            self.t[slot] = 0
            self._clear([slot])
            self.pending[slot] = task_candidates(self.plans[slot], self.orders[slot], 0) if self.n_tasks else None

    @property
    def done(self) -> torch.Tensor:
        return self.t >= self.n_tasks

    def observe(self) -> Observation:
        k = self.n_candidates(self.instances[0])
        features = np.zeros((self.batch_size, k, N_FEATURES), dtype=np.float32)
        mask = np.zeros((self.batch_size, k), dtype=bool)
        mask[:, 0] = True  # a finished slot shows one allowed dummy candidate
        for slot, pending in enumerate(self.pending):
            if not bool(self.done[slot]):
                features[slot], mask[slot] = pending[0], pending[1]
        return Observation(torch.as_tensor(features, device=self.device), torch.as_tensor(mask, device=self.device))

    # ------------------------------------------------------------------ step
    def step(self, actions: torch.Tensor) -> Step:
        """``actions`` (B,): a region, or the last candidate (reject); outside the mask rejects."""
        b = self.batch_size
        actions = actions.reshape(b).long().cpu().numpy()
        reward = torch.zeros(b, device=self.device)
        objective = torch.zeros(b, device=self.device)
        for slot in torch.nonzero(~self.done).flatten().tolist():
            plan, order, t = self.plans[slot], self.orders[slot], int(self.t[slot])
            _, mask, servers = self.pending[slot]
            region = int(actions[slot])
            if 0 <= region < len(servers) and mask[region]:
                plan.accept(order[t], servers[region])
            self.t[slot] = t + 1
            if t + 1 < self.n_tasks:
                self.pending[slot] = task_candidates(plan, order, t + 1)
            else:
                reward[slot], objective[slot] = self._finish(slot)
        return Step(self.observe(), reward, self.done.clone().to(self.device), objective)

    def _finish(self, slot: int) -> tuple[float, float]:
        inst = self.instances[slot]
        decision = self.plans[slot].decision()
        scale = float(inst.price.mean()) if inst.n_tasks else 1.0
        reward, evaluation = self._score(slot, decision, scale)
        return reward, evaluation.objective


class RegionalEnv(FamilyGymEnv):
    """Gymnasium ``cpnopt/Regional-v0``: instances from the generator with ``params`` (keyword overrides)."""

    candidate_field = "n_regions"

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        self.params = replace(RegionalParams(), **params)
        super().__init__(
            BatchedRegionalEnv(device),
            generate,
            self.params,
            self.params.n_east + self.params.n_west + 1,
        )
