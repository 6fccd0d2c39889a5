"""The price and cost model of the DCAT paper, shared by the families that sell computing.

- Price, Eq. (5): a served task pays p_n = p (1 + μ/τ_n) l_n — base price p per Gcycle,
  raised for urgent tasks (short deadline τ_n).
- Cost, Eq. (8): running l_n Gcycles on a set of servers C with the load split
  l_{n,i} = l_n f_i / f_C (all members finish together) costs
  Σ_i ε_e s_i l_{n,i} f_i² + ε_t l_{n,i} / f_i = l_n (ε_e Σ_i s_i f_i³ + ε_t |C|) / f_C,
  energy plus server time. s_i is the relative electricity price at server i (1 in the
  DCAT paper; the regional family prices energy by region); a single server is C = {i}.

Units are the rescaled ones of docs/families/clustering.md: work in Gcycles, power
in Gcycles/s (GHz), money in the paper's price unit. :class:`PricedTasks` gives an instance
of such a family its tasks' figures (deadlines, due times, workloads, prices) once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from cpnopt.checks import nonnegative, positive


@dataclass(frozen=True)
class Economics:
    """Price (Eq. 5) and cost (Eq. 8) coefficients, in the rescaled units of docs/families/clustering.md."""

    base_price: float = 10.0  # p, money per Gcycle
    urgency: float = 2.0  # μ, seconds
    energy_coef: float = 2.5e-4  # ε_e, money per (Gcycle · GHz²)
    time_coef: float = 200.0  # ε_t, money per server-second


def check_economics(economics: Economics, path: str = "economics") -> None:
    """Every coefficient in range; an InputError names the first one that is not."""
    positive(f"{path}.base_price", economics.base_price)
    nonnegative(f"{path}.urgency", economics.urgency)
    nonnegative(f"{path}.energy_coef", economics.energy_coef)
    nonnegative(f"{path}.time_coef", economics.time_coef)


def posted_price(economics: Economics, workload_gcycles: np.ndarray, deadline_s: np.ndarray) -> np.ndarray:
    """p_n = p (1 + μ/τ_n) l_n, Eq. (5): what the user pays for a served task."""
    return economics.base_price * (1.0 + economics.urgency / deadline_s) * workload_gcycles


def execution_cost(
    economics: Economics, workload_gcycles: np.ndarray, power_ghz: np.ndarray, energy_price: np.ndarray | float = 1.0
) -> np.ndarray:
    """c_{n,C} = l_n (ε_e Σ_i s_i f_i³ + ε_t |C|) / f_C, Eq. (8), for servers of powers ``power_ghz``."""
    power = np.asarray(power_ghz, dtype=float)
    energy = float((energy_price * power**3).sum())
    return workload_gcycles * (economics.energy_coef * energy + economics.time_coef * len(power)) / float(power.sum())


class PricedTasks:
    """The task figures of an instance priced by this model (the clustering and regional families).

    The instance has ``tasks`` (each with ``workload_gcycles`` and ``deadline_s``), ``arrival_s``,
    ``economics`` and its family's deadline tolerance as the class attribute ``deadline_tolerance_s``.
    """

    tasks: tuple[Any, ...]
    economics: Economics
    arrival_s: np.ndarray
    deadline_tolerance_s: float

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @cached_property
    def deadline_s(self) -> np.ndarray:
        """τ_n, each task's relative deadline."""
        return np.array([t.deadline_s for t in self.tasks], dtype=float)

    @cached_property
    def due_s(self) -> np.ndarray:
        """Absolute deadline of each task, a_n + τ_n (DCAT Eq. 10b)."""
        return self.arrival_s + self.deadline_s

    @cached_property
    def latest_finish_s(self) -> np.ndarray:
        """The latest completion that counts as on time: a_n + τ_n + the family's deadline tolerance."""
        return self.due_s + self.deadline_tolerance_s

    @cached_property
    def workload_gcycles(self) -> np.ndarray:
        return np.array([t.workload_gcycles for t in self.tasks], dtype=float)

    @cached_property
    def price(self) -> np.ndarray:
        """p_n = p (1 + μ/τ_n) l_n, Eq. (5): what the user pays for a served task."""
        return posted_price(self.economics, self.workload_gcycles, self.deadline_s)
