"""The ``placement`` (GWP) environment: choose each iteration's partition of the model over the devices.

An episode is one training job of the GWP family (one instance): step k chooses the
placement of iteration k from that iteration's state (k, u_{i,k}, f_{i,k}, B_{i,k} and the
device figures), so the agent re-partitions every iteration as the trace moves. The reward
of step k is Eq. (17) of the GWP paper: −(the iteration's contribution to the Eq. (10)
objective), computed by the evaluator's own :func:`~cpnopt.problems.placement.evaluate.iteration_cost`
and :func:`~cpnopt.problems.placement.evaluate.objective_of`; at the last step the whole
decision goes through the family's evaluator (:func:`evaluator_reward`), which checks it and
reports the objective (= the sum of the contributions, iterations being independent).

Modelling decisions (GWP leaves them open or they follow from the family)
--------------------------------------------------------------------------
- **Multi-action, discretised split.** The action of a step is one weight level per device,
  w_i ∈ ``WEIGHT_LEVELS`` = (0, ½, 1, 2) (a joint action of m sub-actions, sampled
  autoregressively by the ``gwp`` policy). Layer l's neurons are split proportionally to
  w_i / t_{l,i}, t_{l,i} the time one neuron of layer l takes on device i this iteration
  (Eq. 1–4, at the top DVFS level), with largest-remainder rounding
  (:func:`~cpnopt.problems.placement.split.proportional`): all weights equal gives the
  split that balances every layer's compute + output time; weight 0 leaves the device out
  (no input transfer); the levels tilt work between devices. The split is per layer
  through t_{l,i}, the weights are per iteration.
- **All weights 0** (no device chosen): the whole iteration runs on the device whose
  single-device Eq. (10) cost this iteration is least (the reference placement's device
  choice with α); so every action is a placement.
- **Memory**: the split is fitted into the devices' memory with the baselines'
  :func:`~cpnopt.problems.placement.split.fit_memory` (neurons moved off full devices), so
  every episode is feasible by construction.
- **DVFS**: every device runs at the top level (as the baselines; the decision names no levels).
- **Reward scale**: −K × the contribution (K iterations), so the reference placement earns
  about −1 per step; ``Step.objective`` carries the evaluator's Eq. (10) objective.
- **Observation**: candidates = the devices (K = m, none masked; a training batch that mixes
  device counts pads them to its largest with zero rows outside the mask), features of device i at
  iteration k: u, f/f^max, f^max/3 GHz, B / max_j B, its share of Σ_j 1/T_j with T_j the
  iteration time of the whole model alone on device j (Eq. 1–6), min_j T_j / T_i,
  min_j E_j / E_i (E alone, Eq. 7–9), min_j c_j / c_i and K·c_i with c_i = the Eq. (10)
  cost of running the iteration alone on i, the input-transfer share of T_i, memory_i /
  model memory, k / K and α.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from cpnopt.problems.placement import PlacementDecision, PlacementInstance, PlacementParams, generate
from cpnopt.problems.placement.evaluate import iteration_cost, objective_of
from cpnopt.problems.placement.split import fit_memory, proportional
from cpnopt.rl_env import BatchedEnv, FamilyGymEnv, Observation, Step

WEIGHT_LEVELS = (0.0, 0.5, 1.0, 2.0)
N_FEATURES = 13


def alone_costs(inst: PlacementInstance, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per device: energy, time and Eq. (10) cost of iteration ``k`` with the whole model on it (top level)."""
    t, v = inst.terms(k), inst.top_level
    time = inst.neurons @ t.neuron_time_s[v] + t.input_time_s.sum(axis=0)
    energy = inst.neurons @ t.neuron_energy_j[v] + t.input_energy_j[v].sum(axis=0)
    return energy, time, objective_of(inst, energy, time)


def iteration_features(inst: PlacementInstance, k: int) -> np.ndarray:
    """The (m, N_FEATURES) observation of iteration ``k`` (module docstring)."""
    u, f, bandwidth = inst.state(k)
    energy, time, cost = alone_costs(inst, k)
    t = inst.terms(k)
    f_max = np.array([d.f_max_ghz for d in inst.devices])
    model_memory = float(inst.neurons @ inst.memory_per_neuron_mb)
    m = inst.n_devices
    return np.stack(
        [
            u,
            f / f_max,
            f_max / 3.0,
            bandwidth / bandwidth.max(),
            (1 / time) / (1 / time).sum(),
            time.min() / time,
            energy.min() / energy,
            cost.min() / cost,
            inst.n_iterations * cost,
            t.input_time_s.sum(axis=0) / time,
            inst.memory_mb / model_memory,
            np.full(m, k / inst.n_iterations),
            np.full(m, inst.alpha),
        ],
        axis=-1,
    )


def split_iteration(inst: PlacementInstance, k: int, levels: np.ndarray) -> np.ndarray:
    """The [l, i] neuron counts of iteration ``k`` for device weight ``levels`` (module docstring)."""
    weights = np.asarray(WEIGHT_LEVELS)[levels]
    if not weights.any():
        weights = np.zeros(inst.n_devices)
        weights[int(np.argmin(alone_costs(inst, k)[2]))] = 1.0
    per_neuron_time = inst.terms(k).neuron_time_s[inst.top_level]  # [l, i]
    counts = proportional(inst.neurons, weights / per_neuron_time)  # one row per layer
    fitted = fit_memory(inst, counts)
    if fitted is None:
        raise RuntimeError("the split cannot be fitted into the devices' memory")
    return fitted


class BatchedPlacementEnv(BatchedEnv):
    """Many GWP instances with the same number of iterations, one iteration per step.

    ``pad_to``: a batch may mix device counts up to it; each instance's devices come first,
    the rest of the ``pad_to`` candidates are zero rows outside the mask and their actions
    are ignored (0: every instance of a batch has the same number of devices).
    """

    n_features = N_FEATURES

    def __init__(self, device: torch.device | str = "cpu", pad_to: int = 0) -> None:
        super().__init__(device)
        self.pad_to = pad_to

    def n_candidates(self, instance: PlacementInstance) -> int:
        return max(self.pad_to, instance.n_devices)

    # ------------------------------------------------------------------ episodes
    def _reset_all(self) -> None:
        b = len(self.instances)
        inst = self.instances[0]
        m = self.n_candidates(inst)
        self.features = torch.zeros(b, inst.n_iterations, m, N_FEATURES, device=self.device)
        self.present = torch.zeros(b, m, dtype=torch.bool, device=self.device)  # the instance's own devices
        self.k = torch.zeros(b, dtype=torch.long, device=self.device)
        self.counts: list[list[np.ndarray]] = [[] for _ in range(b)]
        self._clear()
        self._reset_slots(list(range(b)))

    def _reset_slots(self, slots: list[int]) -> None:
        for slot in slots:
            inst = self.instances[slot]
            if inst.n_iterations != self.features.shape[1]:
                raise ValueError(f"a batch needs instances with {self.features.shape[1]} iterations")
            feats = np.stack([iteration_features(inst, k) for k in range(inst.n_iterations)])
            self.features[slot] = 0.0
            self.features[slot, :, : inst.n_devices] = torch.as_tensor(feats, dtype=torch.float32, device=self.device)
            self.present[slot] = torch.arange(self.present.shape[1], device=self.device) < inst.n_devices
            self.k[slot] = 0
            self.counts[slot] = []
            self._clear([slot])

    @property
    def done(self) -> torch.Tensor:
        return self.k >= self.features.shape[1]

    def observe(self) -> Observation:
        b, n_iter = self.features.shape[:2]
        rows = torch.arange(b, device=self.device)
        features = self.features[rows, self.k.clamp(max=n_iter - 1)]
        features = torch.where(self.done[:, None, None], 0.0, features)
        return Observation(features, self.present.clone())

    # ------------------------------------------------------------------ step
    def step(self, actions: torch.Tensor) -> Step:
        """``actions`` (B, m): a weight level per device (padding ignored); out-of-range levels are clipped."""
        b = self.batch_size
        levels = actions.reshape(b, -1).long().clamp(0, len(WEIGHT_LEVELS) - 1).cpu().numpy()
        reward = torch.zeros(b, device=self.device)
        objective = torch.zeros(b, device=self.device)
        active = (~self.done).cpu().numpy()
        for slot in np.flatnonzero(active).tolist():
            inst, k = self.instances[slot], int(self.k[slot])
            counts = split_iteration(inst, k, levels[slot, : inst.n_devices])
            self.counts[slot].append(counts)
            cost = iteration_cost(inst, k, counts, np.full(inst.n_devices, inst.top_level))
            reward[slot] = -inst.n_iterations * objective_of(inst, cost.energy_j, cost.time_s)  # Eq. (17)
            if k + 1 == inst.n_iterations:
                objective[slot] = self._finish(slot)
        self.k += torch.as_tensor(active, device=self.device).long()
        return Step(self.observe(), reward, self.done.clone(), objective)

    def _finish(self, slot: int) -> float:
        """The evaluator checks the whole decision and gives its Eq. (10) objective."""
        inst = self.instances[slot]
        decision = PlacementDecision.from_arrays(self.counts[slot])
        _, evaluation = self._score(slot, decision, 1.0 / inst.n_iterations)
        return evaluation.objective


class PlacementEnv(FamilyGymEnv):
    """Gymnasium ``cpnopt/Placement-v0``: instances from the generator with ``params`` (keyword overrides).

    The action is a ``MultiDiscrete`` vector: one weight level per device (module docstring);
    its mask (``action_masks()``) is one mask of the levels per device, concatenated (m × 4).
    """

    candidate_field = "n_devices"

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        self.params = replace(PlacementParams(), **params)
        super().__init__(BatchedPlacementEnv(device), generate, self.params, self.params.n_devices)

    def action_space_for(self, n_candidates: int) -> gym.spaces.Space:
        return gym.spaces.MultiDiscrete([len(WEIGHT_LEVELS)] * n_candidates)

    def space_mask(self, observation: Observation) -> np.ndarray:
        """One mask per device's sub-action: every weight level of an allowed device (all are allowed)."""
        return np.repeat(super().space_mask(observation), len(WEIGHT_LEVELS))

    def action_tensor(self, action: Any) -> torch.Tensor:
        return torch.as_tensor(np.asarray(action, dtype=np.int64), device=self.batched.device)[None]
