"""``seq-opt``: the exact optimum of a whole offloading task sequence under the evaluator's own dynamics.

The structure that makes it exact (docs/families/offloading.md, "The sequence optimum"):

- A flowlet's rate bw = α min_e residual_e(a_j) and its held share q = bw / c_e(slot(a_j)) depend
  only on which earlier flowlets are **active** at a_j, never on the split ratios; a split ratio
  only sets the flowlet's duration τ = s D / bw, hence its end a_j + τ, hence at which later
  arrivals it is still active.
- A later task j' only sees the flowlets on the links its own candidate paths use. So for the
  flowlet of task j on path k only the arrivals of the later tasks that can use one of its links
  matter; they cut [0, D/bw_k] into **end intervals** (b_{m−1}, b_m] (the evaluator drops a
  flowlet ending exactly at an arrival: "end ≤ a" is gone).
- A **pattern** of task j = (compute node c, used paths U, one end interval per used path).
  Within a pattern the future is fixed (the same flowlets active at the same later arrivals with
  the same shares), so the best split of the pattern minimises task j's own transmission
  T = max_{k∈U} (τ_k + d_k) s.t. Σ_k bw_k τ_k = D, τ_k ∈ [lo_k, hi_k]: a water-filling with
  bounds (:func:`bounded_fill`, closed form). Every decision of the evaluator lies in one pattern,
  so min over patterns = the optimum over all decisions.
- End intervals are kept ε = :data:`CLEARANCE_S` (1 ns) away from the arrivals that bound them, so
  the floating-point end the evaluator computes falls in the intended interval: the optimum is the
  optimum over decisions whose flowlets do not end within 1 ns of a later arrival (the infimum
  over all decisions can be lower by at most that nanosecond's worth of transmission).

The search is a depth-first branch-and-bound over the tasks in arrival order with memoisation
("bounded dynamic programming"): the value of the rest of the sequence depends only on the
task index and the **state key** (every still-relevant flowlet's path, shares and end interval),
so equal states are solved once; a state with nothing active is the same for every history.
Children are explored in the order of their lower bound: their own latency plus, per later task,
min_c (L_c + water-filling on the residual that the already-decided flowlets leave) — every
later flowlet only lowers residuals further, and the water-filling time decreases with bandwidth.
A child this isolated bound does not prune is tried with the **coupled bound** (coupled.py: pairs
of undecided tasks in a free-rate relaxation, combined by a matching), when the pair gains could
make it prune (:data:`REACH` × the gains with nothing decided).

The optimal pattern sequence is finally written as one LP (:func:`pattern_lp`: the splits with
the patterns' duration bounds) and solved by HiGHS through the shared exact ending, so
``write_model`` writes it and re-solving it gives the same optimum; the decision's splits are the
closed-form ones, replayed through the evaluator, whose mean latency is the reported objective.
Under a time limit the best sequence found (at least as good as the per-decision ``oracle``'s,
which seeds the search) is returned with status ``time_limit`` and bound = the larger of the
search's least open bound (each open node's coupled bound) and the whole sequence's coupled bound
(finer rate cells, :data:`~coupled.ROOT_CELLS`, exact matching), computed in the last
:data:`ROOT_SHARE` of the limit; both are at least the isolated bound (R1–R2 of ``milp``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from itertools import combinations, product

import numpy as np
import pyomo.environ as pyo

from cpnopt.formulations.common.exact import register_exact
from cpnopt.formulations.offloading.coupled import ROOT_CELLS, CoupledBound
from cpnopt.formulations.offloading.milp import oracle_policy
from cpnopt.problems.offloading import NetworkState, OffloadingDecision, OffloadingInstance, evaluate, run_policy
from cpnopt.problems.offloading.evaluate import USED
from cpnopt.solution import MethodOutput, Status
from cpnopt.solvers.highs import ExactOptions, solve_pyomo

REACH = 1.5  # the coupled bound is tried on a child only if REACH × free_gain could make it prune
ROOT_SHARE = 0.1  # of the time limit, kept for the whole sequence's coupled bound when the search stops
CLEARANCE_S = 1e-9  # ε: a flowlet's end keeps this far from the arrivals that bound its end interval


Interval = tuple[float, float, int]  # (least, most) duration of a flowlet and the first later task it is gone for


@dataclass(frozen=True)
class Fill:
    transmission_s: float
    durations: list[float]  # τ_k per used path


def bounded_fill(data_mb: float, bw: list[float], delay: list[float], lo: list[float], hi: list[float]) -> Fill | None:
    """min max_k (τ_k + d_k) s.t. Σ bw_k τ_k = D, lo ≤ τ ≤ hi (water-filling with bounds), or None if infeasible."""
    paths = range(len(bw))
    if sum(b * x for b, x in zip(bw, lo)) > data_mb or sum(b * x for b, x in zip(bw, hi)) < data_mb:
        return None

    def durations(t: float) -> list[float]:
        return [min(max(t - delay[k], lo[k]), hi[k]) for k in paths]

    def sent(t: float) -> float:
        return sum(b * x for b, x in zip(bw, durations(t)))

    start = max(lo[k] + delay[k] for k in paths)
    if sent(start) >= data_mb:  # every path at its lower bound already finishes by `start`
        low, top = sum(b * x for b, x in zip(bw, lo)), sent(start)
        share = 0.0 if top <= low else (data_mb - low) / (top - low)
        return Fill(start, [lo[k] + share * (x - lo[k]) for k, x in enumerate(durations(start))])
    previous = start
    for point in sorted({p for k in paths for p in (lo[k] + delay[k], hi[k] + delay[k]) if p > start}):
        if sent(point) >= data_mb:  # sent() is linear on [previous, point]
            t = previous + (data_mb - sent(previous)) * (point - previous) / (sent(point) - sent(previous))
            return Fill(t, durations(t))
        previous = point
    return None  # unreachable: sent(max(hi + d)) = bw·hi ≥ D


@dataclass(frozen=True)
class Flowlet:
    path: tuple[int, int, int]  # (access point, compute node, path index)
    links: np.ndarray
    shares: np.ndarray  # q_e held on its links
    end_task: int  # the first later task that can see its links and arrives at or after its end


@dataclass(frozen=True)
class Child:
    """One pattern of a task: its latency, split and the flowlets it adds."""

    latency_s: float
    compute: int
    split: tuple[float, ...]
    flowlets: tuple[Flowlet, ...]
    bounds: tuple[tuple[float, float], ...]  # per path: duration bounds of the pattern ((0, 0) if unused)


@dataclass
class Entry:
    value: float  # exact value of the rest of the sequence, or a lower bound on it
    exact: bool
    child: Child | None = None
    next_state: tuple[Flowlet, ...] = ()


@dataclass
class SequenceSearch:
    """Branch-and-bound with memoisation over task patterns (module docstring)."""

    instance: OffloadingInstance
    deadline: float
    couple: bool = True  # prune and bound with the coupled bound (coupled.py), not only the isolated one
    memo: dict = field(default_factory=dict)
    bounds: dict = field(default_factory=dict)  # task_bound per (task, flowlets it sees)
    coupled_values: dict = field(default_factory=dict)  # coupled_bound per state key
    free_gains: dict = field(default_factory=dict)  # free_gain per task index
    nodes: int = 0
    timed_out: bool = False
    prefix: list = field(default_factory=list)  # the patterns of the tasks decided on the current branch
    prefix_s: float = 0.0
    incumbent: list = field(default_factory=list)  # the best complete sequence found
    incumbent_s: float = math.inf

    def __post_init__(self) -> None:
        inst = self.instance
        self.arrivals = np.array([t.arrival_s for t in inst.tasks])
        users: dict[int, set[int]] = {}
        for j, task in enumerate(inst.tasks):
            for c in inst.candidates[j]:
                for path in inst.paths(task.access_point, c):
                    for e in path.links:
                        users.setdefault(e, set()).add(j)
        self.users = {e: np.array(sorted(js)) for e, js in users.items()}
        self.coupled = CoupledBound(inst)
        self.isolated = np.array([self.task_bound(j, ()) for j in range(inst.n_tasks)])

    # ------------------------------------------------------------------ network state
    def held(self, j: int, state: tuple[Flowlet, ...]) -> np.ndarray:
        """Σ q_e of the state's flowlets active at a_j, per directed link."""
        held = np.zeros(len(self.instance.directed_links))
        for f in state:
            if f.end_task > j:
                held[f.links] += f.shares
        return held

    def residual(self, j: int, state: tuple[Flowlet, ...]) -> np.ndarray:
        """residual_e at a_j, as the evaluator computes it, with the state's flowlets active at a_j."""
        return self.coupled.residual(j, self.held(j, state))

    def bandwidths(self, j: int, c: int, residual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        task = self.instance.tasks[j]
        paths = self.instance.paths(task.access_point, c)
        bw = np.array([self.instance.flow_share * residual[list(p.links)].min() for p in paths])
        return bw, np.array([p.delay_s for p in paths])

    def task_bound(self, j: int, state: tuple[Flowlet, ...]) -> float:
        """min_c (L_c + water-filling) of task j with only ``state``'s flowlets held: a lower bound on its latency."""
        held = tuple((f.path, f.shares.tobytes()) for f in state if f.end_task > j)
        known = self.bounds.get((j, held))
        if known is not None:
            return known
        best = self.coupled.best_latency(j, self.held(j, state))
        self.bounds[j, held] = best
        return best

    def rest_bound(self, j: int, state: tuple[Flowlet, ...]) -> float:
        """Lower bound on the latencies of tasks j.. given the decided flowlets ``state``."""
        seen = {int(t) for f in state for e in f.links for t in self.users[int(e)] if j <= t < f.end_task}
        total = float(self.isolated[j:].sum())
        for t in seen:
            total += self.task_bound(t, state) - self.isolated[t]
        return total

    def coupled_bound(self, j: int, state: tuple[Flowlet, ...]) -> float:
        """:meth:`rest_bound` + the matched pair gains of the undecided tasks j.. (formulations/offloading/coupled.py)."""
        key = self.key(j, state)
        known = self.coupled_values.get(key)
        if known is None:
            held = [self.held(t, state) for t in range(j, self.instance.n_tasks)]
            alone = np.array([self.task_bound(t, state) for t in range(j, self.instance.n_tasks)])
            known = float(alone.sum()) + self.coupled.matched_gain(j, held, alone)
            self.coupled_values[key] = known
        return known

    def free_gain(self, j: int) -> float:
        """The matched pair gain of tasks j.. with no flowlet decided: how much the coupled bound adds, roughly."""
        if j not in self.free_gains:
            n, zero = self.instance.n_tasks, np.zeros(len(self.instance.directed_links))
            self.free_gains[j] = self.coupled.matched_gain(j, [zero] * (n - j), self.isolated[j:], exact=True)
        return self.free_gains[j]

    def node_bound(self, j: int, state: tuple[Flowlet, ...]) -> float:
        """The bound of an open node: the coupled bound, or the state-aware isolated bound without it."""
        return self.coupled_bound(j, state) if self.couple else self.rest_bound(j, state)

    # ------------------------------------------------------------------ patterns
    def end_intervals(self, j: int, links: tuple[int, ...], longest: float) -> list[Interval]:
        """(lo, hi, end task) of the flowlet's duration: cut at the arrivals of later tasks that can see ``links``."""
        later = sorted({int(t) for e in links for t in self.users[e] if t > j})
        out, lo, t = [], 0.0, self.instance.n_tasks
        for t in later:
            b = self.arrivals[t] - self.arrivals[j]
            if b >= longest:
                break
            if b - CLEARANCE_S > lo:
                out.append((lo, b - CLEARANCE_S, t))
            lo = max(lo, b + CLEARANCE_S)
        else:
            t = self.instance.n_tasks  # no later task arrives after the flowlet ends
        if lo <= longest:
            out.append((lo, longest, t))
        return out

    def children(self, j: int, state: tuple[Flowlet, ...]) -> list[Child]:
        inst = self.instance
        task = inst.tasks[j]
        residual = self.residual(j, state)
        available = inst.available_mbps[inst.slot_of(task.arrival_s)]
        out = []
        for c in inst.candidates[j]:
            paths = inst.paths(task.access_point, c)
            bw, delay = self.bandwidths(j, c, residual)
            usable = [k for k in range(len(paths)) if bw[k] > 0]
            bws, delays = bw.tolist(), delay.tolist()
            intervals = {k: self.end_intervals(j, paths[k].links, task.data_mb / bw[k]) for k in usable}
            for size in range(1, len(usable) + 1):
                for used in combinations(usable, size):
                    for choice in product(*(intervals[k] for k in used)):
                        lo = [iv[0] for iv in choice]
                        hi = [iv[1] for iv in choice]
                        fill = bounded_fill(task.data_mb, [bws[k] for k in used], [delays[k] for k in used], lo, hi)
                        if fill is None:
                            continue
                        out.append(self.child(j, c, bw, available, used, choice, fill))
        return out

    def child(
        self,
        j: int,
        c: int,
        bw: np.ndarray,
        available: np.ndarray,
        used: tuple[int, ...],
        choice: tuple[Interval, ...],
        fill: Fill,
    ) -> Child:
        """The pattern (c, used paths, end intervals ``choice``) of task j with its bounded water-filling ``fill``."""
        task = self.instance.tasks[j]
        paths = self.instance.paths(task.access_point, c)
        split = np.zeros(len(paths))
        bounds = [(0.0, 0.0)] * len(paths)
        for k, interval, tau in zip(used, choice, fill.durations):
            split[k] = bw[k] * tau / task.data_mb
            bounds[k] = interval[:2]
        split = split / split.sum()
        tx, flowlets = 0.0, []
        for k, interval in zip(used, choice):
            if split[k] > USED:  # the evaluator's transmission and flowlets, term by term
                tx = max(tx, split[k] * task.data_mb / bw[k] + paths[k].delay_s)
                links = np.array(paths[k].links)
                flowlets.append(Flowlet((task.access_point, c, k), links, bw[k] / available[links], interval[2]))
        return Child(
            float(self.instance.computation_s[j, c] + tx),
            c,
            tuple(float(x) for x in split),
            tuple(flowlets),
            tuple(bounds),
        )

    # ------------------------------------------------------------------ search
    def key(self, j: int, state: tuple[Flowlet, ...]) -> tuple:
        return (j, tuple((f.path, f.shares.tobytes(), f.end_task) for f in state))

    def live(self, j: int, state: tuple[Flowlet, ...]) -> tuple[Flowlet, ...]:
        """The flowlets some task j.. can still see active."""
        return tuple(f for f in state if f.end_task > j)

    def solve(self, j: int, state: tuple[Flowlet, ...], cutoff: float) -> Entry:
        """The exact value of tasks j.. from ``state`` if it is below ``cutoff``, else a lower bound on it
        (≥ ``cutoff`` unless the time ran out)."""
        if j == self.instance.n_tasks:
            self.offer(j, state, 0.0)
            return Entry(0.0, True)
        state = self.live(j, state)
        key = self.key(j, state)
        known = self.memo.get(key)
        if known is not None and (known.exact or known.value >= cutoff):
            if known.exact:
                self.offer(j, state, known.value)
            return known
        if time.perf_counter() > self.deadline:
            self.timed_out = True
            return Entry(self.node_bound(j, state), False)
        self.nodes += 1
        fastest: dict[tuple, tuple[Child, tuple[Flowlet, ...]]] = {}  # per state left behind, the fastest child
        for child in self.children(j, state):
            after = self.live(j + 1, state + child.flowlets)
            behind = self.key(j + 1, after)
            if behind not in fastest or child.latency_s < fastest[behind][0].latency_s:
                fastest[behind] = (child, after)
        rest_isolated = float(self.isolated[j + 1 :].sum())  # cheap bound first, the state-aware one when kept
        best, floor = Entry(math.inf, False), math.inf  # floor: the least lower bound over the children
        for child, after in sorted(fastest.values(), key=lambda item: item[0].latency_s):
            cheap = child.latency_s + rest_isolated
            if cheap >= min(best.value, cutoff) or self.timed_out:
                floor = min(floor, cheap)  # and every later child's (sorted)
                break
            refined = child.latency_s + self.rest_bound(j + 1, after)
            if self.couple and refined < min(best.value, cutoff) <= refined + REACH * self.free_gain(j + 1):
                refined = child.latency_s + self.coupled_bound(j + 1, after)
            if refined >= min(best.value, cutoff):
                floor = min(floor, refined)
                continue
            self.prefix.append(child)
            self.prefix_s += child.latency_s
            rest = self.solve(j + 1, after, min(best.value, cutoff) - child.latency_s)
            self.prefix.pop()
            self.prefix_s -= child.latency_s
            floor = min(floor, child.latency_s + rest.value)
            if rest.exact and child.latency_s + rest.value < best.value:
                best = Entry(child.latency_s + rest.value, True, child, after)
        if self.timed_out:
            return Entry(max(floor, self.node_bound(j, state)), False)
        result = best if best.value < cutoff else Entry(floor, False)
        self.memo[key] = result
        return result

    def offer(self, j: int, state: tuple[Flowlet, ...], rest_s: float) -> None:
        """A complete sequence: the current prefix and the memo's best rest from (j, state); kept if the best yet."""
        if self.prefix_s + rest_s < self.incumbent_s:
            self.incumbent_s = self.prefix_s + rest_s
            self.incumbent = list(self.prefix) + self.tail(j, state)

    def tail(self, j: int, state: tuple[Flowlet, ...]) -> list[Child]:
        """The optimal patterns of tasks j.. from ``state``, read back from the memo."""
        out = []
        for t in range(j, self.instance.n_tasks):
            entry = self.memo[self.key(t, self.live(t, state))]
            out.append(entry.child)
            state = entry.next_state
        return out


def pattern_lp(instance: OffloadingInstance, chosen: list[Child]) -> pyo.ConcreteModel:
    """The splits of the chosen patterns as one LP: min (1/J) Σ_j (L_j + T_j), T_j ≥ s D/bw + d, Σ s = 1, τ in bounds."""
    m = pyo.ConcreteModel(name=instance.name or "offloading-seq-opt")
    m.T = pyo.Var(range(instance.n_tasks), domain=pyo.NonNegativeReals)
    m.s = pyo.Var(pyo.Any, dense=False, bounds=(0.0, 1.0))
    m.rows = pyo.ConstraintList()
    latency = 0.0
    network = NetworkState(instance)
    for j, child in enumerate(chosen):
        view = network.view()
        cand = next(c for c in view.candidates if c.compute == child.compute)
        latency += cand.computation_s
        used = [k for k, (lo, hi) in enumerate(child.bounds) if hi > 0]
        for k in used:
            lo, hi = child.bounds[k]
            scale = view.data_mb / cand.bandwidth_mbps[k]
            m.rows.add(pyo.inequality(lo, m.s[j, k] * scale, hi))
            m.rows.add(m.T[j] >= m.s[j, k] * scale + cand.delay_s[k])
        m.rows.add(sum(m.s[j, k] for k in used) == 1)
        network.commit(view, child.compute, child.split)
    m.obj = pyo.Objective(expr=(latency + sum(m.T[j] for j in range(instance.n_tasks))) / instance.n_tasks)
    return m


@register_exact(
    "offloading",
    "seq-opt",
    "exact optimum of the whole task sequence under the evaluator's dynamics: branch-and-bound over "
    "(node, used paths, flowlet end intervals) with closed-form bounded water-filling splits; the "
    "optimal patterns' split LP solved by HiGHS",
)
def seq_opt(instance: OffloadingInstance, options: ExactOptions) -> MethodOutput:
    return solve_sequence(instance, options)


def solve_sequence(instance: OffloadingInstance, options: ExactOptions, couple: bool = True) -> MethodOutput:
    """``seq-opt``; ``couple=False`` searches and bounds with the isolated bound alone (the benchmarks' "before")."""
    started = time.perf_counter()
    limit = options.time_limit if options.time_limit is not None else math.inf
    search = SequenceSearch(instance, started + limit * (1 - ROOT_SHARE if couple else 1), couple)
    oracle = run_policy(instance, oracle_policy("waterfill"))
    oracle_s = evaluate(instance, oracle).objective * instance.n_tasks
    entry = search.solve(0, (), oracle_s * (1 + 1e-12))
    root_s = float(search.isolated.sum())
    if couple and search.timed_out:  # the whole sequence's coupled bound, in the rest of the limit
        root_s = max(root_s, CoupledBound(instance, ROOT_CELLS).sequence_bound(started + limit))
    info = {
        "search_nodes": search.nodes,
        "states": len(search.memo),
        "search_s": time.perf_counter() - started,
        "root_bound": root_s / instance.n_tasks,
    }
    if not search.incumbent:  # no pattern sequence beats the oracle's (the cutoff): it is the best found
        decision, best_s = oracle, oracle_s
    else:
        decision, best_s = _decision(search.incumbent), search.incumbent_s
    n = instance.n_tasks
    if search.timed_out:  # the best sequence found; the search's bound or the whole sequence's coupled bound
        bound = max(entry.value, root_s) / n
        return MethodOutput(decision, Status.TIME_LIMIT, bound=min(bound, best_s / n), info=info)
    if not search.incumbent:
        return MethodOutput(decision, Status.OPTIMAL, bound=best_s / n, info=info)
    result = solve_pyomo(pattern_lp(instance, search.incumbent), options)
    return MethodOutput(
        decision, Status.OPTIMAL, bound=best_s / n, model_objective=result.objective, info=info, message=result.message
    )


def _decision(chosen: list[Child]) -> OffloadingDecision:
    return OffloadingDecision(nodes=tuple(c.compute for c in chosen), splits=tuple(c.split for c in chosen))
