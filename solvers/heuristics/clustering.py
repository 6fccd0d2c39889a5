"""The DCAT paper's clustering heuristics and auction pricing for P1.

Clustering
    ``rand``  random clustering: servers in random order each join, uniformly at random,
              one of the clusters they fit in (diameter ≤ R_max, size ≤ limit) or open a new one.
    ``km``    k-means on server locations with k = ⌈|S| / max_cluster_size⌉ (3 when the size is
              unlimited), k-means++ seeding; any cluster breaking R_max or the size limit is
              split in two by 2-means, recursively, until all are feasible.
    ``opt``   the clusters of the exact method, ``milp`` or ``cg`` (option ``exact``): separates the
              loss of clustering from the loss of pricing.

Pricing (tasks auctioned one at a time in arrival order, ties by index; a cluster is
*capable* of a task when adding it to the cluster's FIFO queue keeps every accepted task
and the new one on time, Eq. 10b; it is *qualified* at offer p when capable and its cost
c_{n,k} ≤ p, Eq. 10f)
    ``rea``     Algorithm 2, reverse English auction: start at the posted price p^(0) = p_n
                (the platform never pays more than the user pays), lower the offer
                p^(k) = γ p^(k−1) while two or more clusters are qualified; exactly one
                left → it serves the task at payment p^(k); none left → the task fails,
                as written, also when the last round had several (ties in cost included).
                Theorem 2: with γ > c₁/c₂ the task is always assigned, and the final payment
                minus the lowest cost is below c₂ − c₁.
    ``ob-rea``  one-off offer: the paper is silent on the offer, we offer γ p_n, i.e. REA's
                first descending round, so the two differ only in iterating; a qualified
                cluster drawn uniformly at random serves at that payment, none → fails.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.cluster.vq import kmeans2

from cpnopt.errors import InputError
from cpnopt.fifo import fifo_schedule
from cpnopt.formulations.clustering import milp
from cpnopt.formulations.clustering_cg import column_generation
from cpnopt.problems.clustering import ClusteringDecision, ClusteringInstance, ClusterTerms
from cpnopt.registry import register_method
from cpnopt.solution import MethodOutput, Status

Clusters = tuple[tuple[int, ...], ...]


# ---------------------------------------------------------------------- clustering
def fits(instance: ClusteringInstance, members: list[int]) -> bool:
    limit = instance.max_cluster_size
    return (limit is None or len(members) <= limit) and instance.diameter_km(members) <= instance.r_max_km * (1 + 1e-9)


def random_clustering(instance: ClusteringInstance, rng: np.random.Generator) -> Clusters:
    clusters: list[list[int]] = []
    for i in rng.permutation(instance.n_servers):
        options = [c for c in clusters if fits(instance, c + [int(i)])]
        pick = int(rng.integers(0, len(options) + 1))
        if pick == len(options):
            clusters.append([int(i)])
        else:
            options[pick].append(int(i))
    return tuple(tuple(sorted(c)) for c in clusters)


def kmeans_clustering(instance: ClusteringInstance, rng: np.random.Generator) -> Clusters:
    xy = instance.server_xy_km
    size = instance.max_cluster_size or 3
    k = min(instance.n_servers, math.ceil(instance.n_servers / size))
    pending = _kmeans_split(xy, list(range(instance.n_servers)), k, rng)
    done: list[tuple[int, ...]] = []
    while pending:
        members = pending.pop()
        if fits(instance, members):
            done.append(tuple(sorted(members)))
        elif len(members) == 2:
            pending += [[members[0]], [members[1]]]
        else:
            pending += _kmeans_split(xy, members, 2, rng)
    return tuple(sorted(done))


def _kmeans_split(xy: np.ndarray, members: list[int], k: int, rng: np.random.Generator) -> list[list[int]]:
    """Split ``members`` into k groups by k-means on their locations (empty groups dropped)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, labels = kmeans2(xy[members], k, minit="++", seed=rng)
    groups = [[members[j] for j in np.flatnonzero(labels == g)] for g in range(k)]
    groups = [g for g in groups if g]
    if len(groups) == 1:  # k-means could not separate (coincident points): split by index
        half = len(members) // 2
        groups = [members[:half], members[half:]]
    return groups


# ---------------------------------------------------------------------- auctions
@dataclass(frozen=True)
class AuctionOutcome:
    winner: int | None  # position in the cost list, None if the task fails
    payment: float | None
    rounds: int


def reverse_auction(costs: list[float], start_offer: float, gamma: float) -> AuctionOutcome:
    """Algorithm 2 (REA) on the costs of the capable clusters; see the module docstring.

    The offers p^(k) = p^(0) γ^k descend until fewer than two clusters qualify, i.e. until
    the first k with p^(k) < c₂ (the second-lowest cost); the cheapest cluster wins at p^(k)
    if p^(k) ≥ c₁, else the task fails. That round is found in closed form, so a γ close to 1
    costs no more than any other.
    """
    if not costs:
        return AuctionOutcome(None, None, 1)
    order = sorted(range(len(costs)), key=lambda j: costs[j])
    c1 = costs[order[0]]
    c2 = costs[order[1]] if len(costs) > 1 else math.inf
    if c2 <= 0:  # two clusters at zero cost: no positive offer ever separates them
        return AuctionOutcome(None, None, 1)
    k = 0 if start_offer < c2 else max(0, math.floor(math.log(c2 / start_offer) / math.log(gamma)))
    while k > 0 and start_offer * gamma ** (k - 1) < c2:  # guard the logarithm's rounding
        k -= 1
    while start_offer * gamma**k >= c2:
        k += 1
    offer = start_offer * gamma**k
    if offer >= c1:
        return AuctionOutcome(order[0], offer, k + 1)
    return AuctionOutcome(None, None, k + 1)


def _check_gamma(gamma: float) -> None:
    if not 0 < gamma < 1:
        raise InputError("gamma", gamma, "must be in (0, 1)")


def auction_tasks(instance: ClusteringInstance, clusters: Clusters, pricing: str, gamma: float,
                  rng: np.random.Generator) -> ClusteringDecision:
    """Serve tasks one at a time in arrival order with REA or OB-REA pricing."""
    terms = [instance.cluster_terms(c) for c in clusters]
    queues: list[list[int]] = [[] for _ in clusters]
    assignment: list[int | None] = [None] * instance.n_tasks
    payments: list[float | None] = [None] * instance.n_tasks
    order = sorted(range(instance.n_tasks), key=lambda n: (instance.tasks[n].arrival_slot, n))
    for n in order:
        capable = [k for k in range(len(clusters)) if _on_time_with(instance, terms[k], queues[k] + [n])]
        price = float(instance.price[n])
        if pricing == "rea":
            outcome = reverse_auction([float(terms[k].cost[n]) for k in capable], price, gamma)
            winner = None if outcome.winner is None else capable[outcome.winner]
            payment = outcome.payment
        else:
            payment = gamma * price
            qualified = [k for k in capable if terms[k].cost[n] <= payment]
            winner = qualified[int(rng.integers(len(qualified)))] if qualified else None
        if winner is not None:
            queues[winner].append(n)
            assignment[n] = winner
            payments[n] = payment
    return ClusteringDecision(clusters=clusters, assignment=tuple(assignment), payments=tuple(payments))


def _on_time_with(instance: ClusteringInstance, terms: ClusterTerms, tasks: list[int]) -> bool:
    schedule = fifo_schedule(terms.release_s[tasks], terms.processing_s[tasks])
    return bool(np.all(schedule.completion_s <= instance.due_s[tasks] + 1e-9))


# ---------------------------------------------------------------------- registered methods
def _heuristic(instance: ClusteringInstance, clustering: str, pricing: str, gamma: float, seed: int) -> MethodOutput:
    _check_gamma(gamma)
    rng = np.random.default_rng(seed)
    clusters = random_clustering(instance, rng) if clustering == "rand" else kmeans_clustering(instance, rng)
    decision = auction_tasks(instance, clusters, pricing, gamma, rng)
    return MethodOutput(decision=decision, status=Status.FEASIBLE)


def _register_combination(clustering: str, pricing: str, aliases: tuple[str, ...]) -> None:
    name = f"{clustering}-{pricing}"
    what = {"rand": "random clustering", "km": "k-means clustering"}[clustering]
    how = {"rea": "REA descending auction (Alg. 2)", "ob-rea": "one-off offer γ·p_n (OB-REA)"}[pricing]

    def run(instance: ClusteringInstance, gamma: float = 0.8, seed: int = 0) -> MethodOutput:
        return _heuristic(instance, clustering, pricing, gamma, seed)

    run.__name__ = name.replace("-", "_")
    register_method("clustering", name, kind="heuristic", description=f"{what} + {how}", aliases=aliases)(run)


_register_combination("rand", "rea", ("rea",))
_register_combination("rand", "ob-rea", ("ob-rea",))
_register_combination("km", "rea", ())
_register_combination("km", "ob-rea", ())


@register_method(
    "clustering", "opt-rea", kind="heuristic",
    description="clusters of the exact method (milp, or cg at large sizes) + REA pricing: the loss of pricing alone",
)
def opt_rea(instance: ClusteringInstance, gamma: float = 0.8, time_limit: float | None = 60.0,
            threads: int | None = None, exact: str = "milp") -> MethodOutput:
    _check_gamma(gamma)
    solvers = {"milp": milp, "cg": column_generation}
    if exact not in solvers:
        raise InputError("exact", exact, f"must be one of {', '.join(solvers)}")
    best = solvers[exact](instance, time_limit=time_limit, threads=threads)
    if best.decision is None:
        return MethodOutput(decision=None, status=Status.ERROR, message=f"{exact} gave no clustering: {best.message}")
    decision = auction_tasks(instance, best.decision.clusters, "rea", gamma, np.random.default_rng(0))
    return MethodOutput(decision=decision, status=Status.FEASIBLE, info={f"{exact}_status": best.status.value})
