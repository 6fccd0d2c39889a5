"""The P1 (``clustering``) environment: build the server clustering one server at a time, then REA.

An episode is one scheduling cycle of DCAT's Algorithm 1 on one instance: the agent forms
the clusters, then every slot's tasks are priced by the REA reverse auction (Algorithm 2,
:func:`cpnopt.problems.clustering.auction.auction_tasks`, γ = ``gamma``) and the decision
is scored by the family's evaluator; reward = platform profit (Eq. 6) / mean_n p_n.

Modelling decisions (DCAT leaves them open or they follow from the family)
--------------------------------------------------------------------------
- The family's decision holds one partition for the whole horizon, so DCAT's "clustering
  each cycle" is one clustering per instance (an instance is one cycle of ``n_slots`` slots);
  the REA auction prices each slot's tasks in arrival order.
- Action space, autoregressive over servers: step t places server t (index order) into
  one of the clusters opened so far or opens a new one (candidate k = cluster slot k,
  K = |S|). The mask allows an open cluster only if the server is within R_max of every
  member (Eq. 10c) and the size limit holds, and always allows a new cluster, so every
  episode ends in a feasible partition by construction; an action outside the mask opens a
  new cluster (Gymnasium agents that ignore the mask stay feasible too).
- Reward: 0 on every step but the last, which gets the evaluator's platform profit divided
  by the mean posted price of a task, mean_n p_n (profit counted in "average tasks' prices":
  a positive per-instance scale, so the same argmax, and rewards of order 0.1–1 instead of
  10³–10⁴). ``Step.objective`` carries the profit itself.
- Features of candidate k for the server being placed (the cluster C' it would form):
  new-cluster flag; |C'| / size limit; f_C' / (limit · mean f); the Eq. (8) cost per Gcycle of
  C' / p; share of tasks C' could serve alone on time (Eq. 10b, release = arrival + Eq. (3)
  delay to the nearest member); share it could serve on time and at a cost below the price
  (Eq. 10f); share of those for which another open cluster could too (REA needs two
  qualified clusters to pay less than p_n); farthest member / R_max; the server's f / mean f;
  share of servers left to place; open clusters / |S|. Disallowed candidates read 0.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import torch

from cpnopt.problems.clustering import ClusteringInstance, ClusteringParams, generate
from cpnopt.problems.clustering.auction import auction_tasks
from cpnopt.problems.clustering.instance import DEADLINE_TOLERANCE_S
from cpnopt.rl_env import BatchedEnv, FamilyGymEnv, Observation, Step

N_FEATURES = 11


def _instance_tensors(inst: ClusteringInstance) -> dict[str, torch.Tensor]:
    """The numbers the step reads, from the instance's own derived data (Eq. 3, 5)."""
    e = inst.economics
    limit = inst.max_cluster_size or inst.n_servers
    values = {
        "power": inst.power_ghz,
        "dist": inst.server_distance_km,
        "delay": inst.transmission_delay_s,
        "arrival": inst.arrival_s,
        "due": inst.due_s,
        "work": inst.workload_gcycles,
        "price": inst.price,
        "scalars": np.array([limit, inst.r_max_km, e.energy_coef, e.time_coef, e.base_price, inst.power_ghz.mean()]),
    }
    return {k: torch.as_tensor(np.asarray(v, dtype=np.float64)) for k, v in values.items()}


class BatchedClusteringEnv(BatchedEnv):
    """Many P1 instances with the same number of servers, stepped as tensors on one device."""

    n_features = N_FEATURES

    def __init__(self, device: torch.device | str = "cpu", gamma: float = 0.8) -> None:
        super().__init__(device)
        self.gamma = gamma

    def n_candidates(self, instance: ClusteringInstance) -> int:
        return instance.n_servers

    # ------------------------------------------------------------------ episodes
    def _reset_all(self) -> None:
        loaded = [_instance_tensors(inst) for inst in self.instances]
        self.data = {k: torch.stack([d[k] for d in loaded]).to(self.device, torch.float32) for k in loaded[0]}
        b, s = len(self.instances), self.instances[0].n_servers
        self.members = torch.zeros(b, s, s, dtype=torch.bool, device=self.device)  # [slot, cluster k, server]
        self.n_open = torch.zeros(b, dtype=torch.long, device=self.device)
        self.ptr = torch.zeros(b, dtype=torch.long, device=self.device)  # the server placed next
        self._clear()

    def _reset_slots(self, slots: list[int]) -> None:
        for slot in slots:
            for key, value in _instance_tensors(self.instances[slot]).items():
                self.data[key][slot] = value.to(self.device, torch.float32)
            self.members[slot] = False
            self.n_open[slot] = 0
            self.ptr[slot] = 0
            self._clear([slot])

    @property
    def done(self) -> torch.Tensor:
        return self.ptr >= self.members.shape[-1]

    # ------------------------------------------------------------------ observation
    def _qualified(self, sets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """For server sets (B, K, S): f_C, cost per Gcycle (Eq. 8), on time alone (B, K, N), and also paying."""
        d = self.data
        e_coef, t_coef = d["scalars"][:, 2, None], d["scalars"][:, 3, None]
        weights = sets.float()
        size = weights.sum(-1)
        power = (weights * d["power"][:, None, :]).sum(-1)
        safe_power = power.clamp_min(1e-9)
        cost_per_gcycle = (e_coef * (weights * d["power"][:, None, :] ** 3).sum(-1) + t_coef * size) / safe_power
        delay = torch.where(sets[:, :, None, :], d["delay"][:, None, :, :], torch.inf).amin(-1)  # (B, K, N)
        finish = d["arrival"][:, None, :] + delay + d["work"][:, None, :] / safe_power[..., None]
        on_time = (finish <= d["due"][:, None, :] + DEADLINE_TOLERANCE_S) & (size[..., None] > 0)
        paying = on_time & (cost_per_gcycle[..., None] * d["work"][:, None, :] <= d["price"][:, None, :])
        return power, cost_per_gcycle, on_time, paying

    def observe(self) -> Observation:
        b, k_max, s = self.members.shape
        rows = torch.arange(b, device=self.device)
        server = self.ptr.clamp(max=s - 1)
        slots = torch.arange(k_max, device=self.device)[None, :]
        existing = slots < self.n_open[:, None]
        new = slots == self.n_open[:, None]
        current = torch.nn.functional.one_hot(server, s).bool()
        joined = (self.members & existing[..., None]) | (current[:, None, :] & (existing | new)[..., None])
        d = self.data
        limit, r_max, base_price, mean_power = (d["scalars"][:, j] for j in (0, 1, 4, 5))
        reach = torch.where(self.members, d["dist"][rows, server][:, None, :], 0.0).amax(-1)  # (B, K)
        size = joined.sum(-1).float()
        mask = new | (existing & (size <= limit[:, None]) & (reach <= r_max[:, None] * (1 + 1e-9)))

        power, cost, on_time, paying = self._qualified(joined)
        _, _, _, paying_now = self._qualified(self.members & existing[..., None])
        rivals = paying_now.sum(1, keepdim=True) - paying_now.long()  # other open clusters qualified per task
        n_tasks = max(on_time.shape[-1], 1)
        features = torch.stack(
            [
                new.float().expand(b, k_max),
                size / limit[:, None],
                power / (limit * mean_power)[:, None],
                cost / base_price[:, None],
                on_time.sum(-1) / n_tasks,
                paying.sum(-1) / n_tasks,
                (paying & (rivals >= 1)).sum(-1) / n_tasks,
                reach / r_max[:, None],
                (d["power"][rows, server] / mean_power)[:, None].expand(b, k_max),
                ((s - self.ptr).float() / s)[:, None].expand(b, k_max),
                (self.n_open.float() / s)[:, None].expand(b, k_max),
            ],
            dim=-1,
        )
        done = self.done
        mask = torch.where(done[:, None], slots == 0, mask)
        features = torch.where((mask & ~done[:, None])[..., None], features, 0.0)
        self._mask = mask
        return Observation(features, mask)

    # ------------------------------------------------------------------ step
    def step(self, actions: torch.Tensor) -> Step:
        b = self.batch_size
        rows = torch.arange(b, device=self.device)
        actions = actions.to(self.device).long()
        k = self._mask.shape[1]
        allowed = (actions >= 0) & (actions < k) & self._mask[rows, actions.clamp(0, k - 1)]
        cluster = torch.where(allowed, actions, self.n_open)  # fallback: a new cluster is always allowed
        active = ~self.done
        self.members[rows[active], cluster[active], self.ptr[active]] = True
        self.n_open += (active & (cluster == self.n_open)).long()
        self.ptr += active.long()
        reward = torch.zeros(b, device=self.device)
        objective = torch.zeros(b, device=self.device)
        for slot in torch.nonzero(active & self.done).flatten().tolist():
            reward[slot], objective[slot] = self._finish(slot)
        return Step(self.observe(), reward, self.done.clone(), objective)

    def clusters(self, slot: int) -> tuple[tuple[int, ...], ...]:
        members = self.members[slot, : int(self.n_open[slot])].cpu().numpy()
        return tuple(tuple(int(i) for i in np.flatnonzero(row)) for row in members)

    def _finish(self, slot: int) -> tuple[float, float]:
        """REA prices every slot's tasks on the clusters built (Alg. 2); the evaluator scores it."""
        inst = self.instances[slot]
        decision = auction_tasks(inst, self.clusters(slot), "rea", self.gamma, np.random.default_rng(0))
        scale = float(inst.price.mean()) if inst.n_tasks else 1.0
        reward, evaluation = self._score(slot, decision, scale)
        return reward, evaluation.objective


class ClusteringEnv(FamilyGymEnv):
    """Gymnasium ``cpnopt/Clustering-v0``: instances from the generator with ``params`` (keyword overrides)."""

    candidate_field = "n_servers"

    def __init__(self, gamma: float = 0.8, device: str = "cpu", **params: Any) -> None:
        self.params = replace(ClusteringParams(), **params)
        super().__init__(
            BatchedClusteringEnv(device, gamma),
            generate,
            self.params,
            self.params.n_servers,
        )
