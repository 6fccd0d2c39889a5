"""A lower bound for ``seq-opt`` that couples the undecided tasks pairwise (docs/families/offloading.md,
"The coupled bound").

The isolated bound gives every undecided task the residual that the decided flowlets alone leave;
inside a burst of overlapping tasks that is weak, because a flowlet's rate is fixed when it starts:
a task arriving while an earlier one still transmits gets α of what that one left, for its whole
duration. The coupled bound keeps that, for pairs of undecided tasks, in a relaxation that stays
valid whatever the other undecided tasks do:

- **Free-rate relaxation (R).** Every flowlet may take *any* rate r ∈ (0, bw_k], bw_k the rate the
  evaluator would grant it (α × the least residual of its links). Every run of the evaluator is a
  run of R (r = bw_k). In R, dropping a task only raises the residuals the others meet, so their
  rates stay feasible: the optimum of R over any subset S of the undecided tasks, with the
  decided flowlets held, is ≤ Σ_{j∈S} latency_j of every completion, and so is the sum of these
  optima over disjoint subsets. (Without the free rate this fails: a task dropped from S can lower
  an earlier task's rate, hence its share, and so help a later one.)
- **Pair value.** For tasks t < u, a lower bound on R's optimum of latency_t + latency_u: for each
  node of t, each set A of t's paths whose flowlet is still active at a_u (end > a_u) among the
  paths sharing a link with one of u's candidate paths, and each cell of the rates of A (r_k in
  [bw_k (g−1)/G, bw_k g/G], G = :data:`RATE_CELLS`), t's transmission is at least the least T with
  Σ_k r_k clip(T − d_k, 0, cap_k) ≥ D_t (upper end of the cell; cap = a_u − a_t for the relevant
  paths outside A, which must end by a_u) and at least a_u − a_t + d_k for k ∈ A; u's latency is at
  least its best latency on the residual that the decided flowlets and A's flowlets at the lower
  end of the cell leave. The pair value is the least over all of these (plus t's computation).
- **Matching.** The gains (pair value − the two isolated values) of the pairs are combined by a
  maximum-weight matching (networkx): the bound is Σ isolated + the matched gains.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from itertools import product

import networkx as nx
import numpy as np

from cpnopt.problems.offloading import OffloadingInstance

RATE_CELLS = 6  # G: cells of a relevant active flowlet's rate inside the search
ROOT_CELLS = 12  # G of the bound reported for the whole sequence (computed once, before the search)
PAIR_REACH = 6  # u is paired only with the PAIR_REACH tasks before it


def fill_times(data_mb: float, rates: np.ndarray, delays: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Per row of ``rates``/``delays``/``caps`` (cases × paths): the least T with Σ_k r_k clip(T − d_k, 0, cap_k) ≥ D
    (inf if the caps do not allow D) — a lower bound on max over used paths of (τ_k + d_k) for any
    split with τ_k ≤ cap_k sent at these rates."""
    delays = np.broadcast_to(delays, caps.shape)
    points = np.sort(np.concatenate([delays, delays + caps], axis=1), axis=1)
    sent = (rates[:, None, :] * np.clip(points[:, :, None] - delays[:, None, :], 0.0, caps[:, None, :])).sum(axis=2)
    enough = sent >= data_mb * (1 - 1e-12)  # a cap of exactly D / r must send D despite rounding
    first = np.where(enough.any(axis=1), enough.argmax(axis=1), -1)
    rows = np.arange(len(rates))
    at = np.maximum(first, 1)  # sent() is linear between consecutive points
    lo_t, hi_t = points[rows, at - 1], points[rows, at]
    lo_s, hi_s = sent[rows, at - 1], sent[rows, at]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(hi_s > lo_s, np.minimum(lo_t + (data_mb - lo_s) * (hi_t - lo_t) / (hi_s - lo_s), hi_t), hi_t)
    return np.where(first < 0, np.inf, np.where(first == 0, points[:, 0], t))


@dataclass(frozen=True)
class PairCases:
    """Per case of a pair (t, u): t's candidate, and per path of it: the rate factor (upper end of the rate
    cell, 1 if not active), the share factor u meets (lower end, 0 if not active), active at a_u,
    relevant and ended by a_u; and the cases' path-link incidence (1 / c_e(slot(a_t)) on a path's links)."""

    candidate: np.ndarray
    rate: np.ndarray
    share: np.ndarray
    active: np.ndarray
    ended: np.ndarray
    incidence: np.ndarray


@dataclass
class CoupledBound:
    """Pair values and their matching for the undecided tasks, given the decided flowlets' held shares."""

    instance: OffloadingInstance
    cells: int = RATE_CELLS
    pairs: dict = field(default_factory=dict)  # pair value per (t, u, shares t and u meet)
    pair_cases: dict = field(default_factory=dict)  # PairCases per (t, u)

    def __post_init__(self) -> None:
        inst = self.instance
        self.available = [inst.available_mbps[inst.slot_of(t.arrival_s)] for t in inst.tasks]
        self.reach_links = [
            {e for c in inst.candidates[j] for p in inst.paths(task.access_point, c) for e in p.links}
            for j, task in enumerate(inst.tasks)
        ]
        self.seen = [np.array(sorted(links)) for links in self.reach_links]
        self.options = [self._options(j) for j in range(inst.n_tasks)]

    def _options(self, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Task j's candidates padded to one array each: L_c (C), the links of each path sorted by delay
        (C × K × longest, a short path repeats its first link), the delays (C × K) and which paths exist."""
        inst, task = self.instance, self.instance.tasks[j]
        paths = [sorted(inst.paths(task.access_point, c), key=lambda p: p.delay_s) for c in inst.candidates[j]]
        k = max(len(ps) for ps in paths)
        longest = max(len(p.links) for ps in paths for p in ps)
        links = np.zeros((len(paths), k, longest), dtype=int)
        delays, exists = np.zeros((len(paths), k)), np.zeros((len(paths), k), dtype=bool)
        for i, ps in enumerate(paths):
            for m, p in enumerate(ps):
                links[i, m] = list(p.links) + [p.links[0]] * (longest - len(p.links))
                delays[i, m], exists[i, m] = p.delay_s, True
        return inst.computation_s[j, list(inst.candidates[j])], links, delays, exists

    def residual(self, j: int, held: np.ndarray) -> np.ndarray:
        return self.available[j] * np.clip(1.0 - held, 0.0, None)

    def best_latencies(self, j: int, held: np.ndarray) -> np.ndarray:
        """Per row of ``held`` (cases × links): min_c (L_c + water-filling) of task j on the residual those
        shares leave (water-filling: T* = min over delay-sorted prefixes of (D + Σ bw d) / Σ bw)."""
        computation, links, delays, exists = self.options[j]
        bw = self.instance.flow_share * self.residual(j, held)[:, links].min(axis=3) * exists  # rows × C × K
        total = np.cumsum(bw, axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            times = np.where(
                total > 0, (self.instance.tasks[j].data_mb + np.cumsum(bw * delays, axis=2)) / total, np.inf
            )
        return (computation + times.min(axis=2)).min(axis=1)

    def best_latency(self, j: int, held: np.ndarray) -> float:
        """The least latency of task j on the residual that the shares ``held`` leave: its isolated bound."""
        return float(self.best_latencies(j, held[None, :])[0])

    def pair_value(self, t: int, u: int, held_t: np.ndarray, held_u: np.ndarray) -> float:
        """Lower bound on latency_t + latency_u in the free-rate relaxation (module docstring)."""
        key = (t, u, held_t[self.seen[t]].tobytes(), held_u[self.seen[u]].tobytes())
        known = self.pairs.get(key)
        if known is None:
            known = self.pairs[key] = self._pair_value(t, u, held_t, held_u)
        return known

    def cases(self, t: int, u: int) -> PairCases:
        """The cases of t's flowlets w.r.t. u's arrival (module docstring), built once per pair: per candidate of
        t, each relevant path ended by a_u (cell 0) or active at a_u with rate cell g ≥ 1."""
        known = self.pair_cases.get((t, u))
        if known is not None:
            return known
        computation, links, delays, exists = self.options[t]
        n_paths = delays.shape[1]
        rows = []
        for c in range(len(computation)):
            relevant = [k for k in range(n_paths) if exists[c, k] and self.reach_links[u] & set(links[c, k].tolist())]
            for cells in product(range(self.cells + 1), repeat=len(relevant)):
                g = np.zeros(n_paths, dtype=int)
                g[relevant] = cells
                ended = np.zeros(n_paths, dtype=bool)
                ended[relevant] = np.array(cells, dtype=int) == 0
                rows.append((c, g, ended))
        cand = np.array([r[0] for r in rows])
        g = np.array([r[1] for r in rows])
        incidence = np.zeros((len(computation), n_paths, len(self.instance.directed_links)))
        for c, k in zip(*np.nonzero(exists)):
            incidence[c, k, links[c, k]] = 1.0 / self.available[t][links[c, k]]
        known = PairCases(
            cand,
            np.where(g > 0, g, self.cells) / self.cells,
            np.where(g > 0, (g - 1) / self.cells, 0.0),
            g > 0,
            np.array([r[2] for r in rows]),
            incidence[cand],
        )
        self.pair_cases[t, u] = known
        return known

    def _pair_value(self, t: int, u: int, held_t: np.ndarray, held_u: np.ndarray) -> float:
        computation, links, delays, exists = self.options[t]
        data, gap = self.instance.tasks[t].data_mb, self.instance.tasks[u].arrival_s - self.instance.tasks[t].arrival_s
        case = self.cases(t, u)
        bw = (self.instance.flow_share * self.residual(t, held_t)[links].min(axis=2) * exists)[case.candidate]
        rates = bw * case.rate
        with np.errstate(divide="ignore", invalid="ignore"):
            whole = np.where(rates > 0, data / rates, 0.0)  # a flowlet carrying all of D at its rate
        caps = np.where(case.ended, np.minimum(whole, gap), whole)
        delay = delays[case.candidate]
        floor = np.where(case.active, gap + delay, 0.0).max(axis=1)  # an active flowlet lasts past a_u
        own = computation[case.candidate] + np.maximum(fill_times(data, rates, delay, caps), floor)
        held = held_u + np.einsum("rk,rke->re", bw * case.share, case.incidence)
        return float((own + self.best_latencies(u, held)).min())

    def sequence_bound(self, deadline: float = math.inf) -> float:
        """The coupled bound of the whole sequence (nothing decided): Σ_j isolated_j + the maximum matched gain
        (of the pairs valued before ``deadline``)."""
        n, zero = self.instance.n_tasks, np.zeros(len(self.instance.directed_links))
        alone = np.array([self.best_latency(j, zero) for j in range(n)])
        return float(alone.sum()) + self.matched_gain(0, [zero] * n, alone, exact=True, deadline=deadline)

    def matched_gain(
        self, first: int, held: list[np.ndarray], alone: np.ndarray, exact: bool = False, deadline: float = math.inf
    ) -> float:
        """Σ of the pair gains over a matching of tasks first.. (``held[i]``: the decided shares task first + i
        meets, ``alone[i]``: its isolated value on them): the maximum-weight matching if ``exact``, else the
        greedy one (heaviest pair first; any matching gives a valid bound, so do any pairs left out when
        ``deadline`` passes)."""
        n = self.instance.n_tasks
        gains = []
        for u in range(first + 1, n):
            for t in range(max(first, u - PAIR_REACH), u):
                if self.reach_links[u] & self.reach_links[t] and time.perf_counter() < deadline:
                    i, k = t - first, u - first
                    gain = self.pair_value(t, u, held[i], held[k]) - alone[i] - alone[k]
                    if gain > 0:
                        gains.append((gain, t, u))
        if exact:
            graph = nx.Graph()
            graph.add_weighted_edges_from((t, u, gain) for gain, t, u in gains)
            return float(sum(graph[t][u]["weight"] for t, u in nx.max_weight_matching(graph)))
        total, matched = 0.0, set()
        for gain, t, u in sorted(gains, reverse=True):
            if t not in matched and u not in matched:
                total += gain
                matched |= {t, u}
        return total
