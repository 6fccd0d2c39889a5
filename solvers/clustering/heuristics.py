"""The DCAT paper's clustering heuristics and auction pricing for P1.

Clustering
    ``rand``  random clustering: servers in random order each join, uniformly at random,
              one of the clusters they fit in (diameter ≤ R_max, size ≤ limit) or open a new one.
    ``km``    k-means on server locations with k = ⌈|S| / max_cluster_size⌉ (3 when the size is
              unlimited), k-means++ seeding; any cluster breaking R_max or the size limit is
              split in two by 2-means, recursively, until all are feasible.
    ``opt``   the clusters of the exact method, ``milp`` or ``cg`` (option ``exact``; run through the
              registry, heuristics import no exact model): separates the loss of clustering from
              the loss of pricing.

Pricing: the REA and OB-REA auctions of :mod:`cpnopt.problems.clustering.auction` (the
paper's market mechanism, shared with the ``dcat`` environment).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.cluster.vq import kmeans2

from cpnopt.errors import InputError
from cpnopt.problems.clustering import ClusteringInstance
from cpnopt.problems.clustering.auction import auction_tasks, check_gamma
from cpnopt.registry import Kind, get_method, register_method
from cpnopt.solution import MethodOutput, Status

Clusters = tuple[tuple[int, ...], ...]
EXACT = ("milp", "cg")  # opt-rea's choices of exact method


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
    """Split ``members`` into k groups by k-means on their locations (empty groups dropped).

    k = 1 keeps them together (no k-means run: the group is only split later if it does not fit)."""
    if k <= 1:
        return [list(members)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, labels = kmeans2(xy[members], k, minit="++", seed=rng)
    groups = [[members[j] for j in np.flatnonzero(labels == g)] for g in range(k)]
    groups = [g for g in groups if g]
    if len(groups) == 1:  # k-means could not separate (coincident points): split by index (k ≥ 2, so ≥ 2 members)
        half = len(members) // 2
        groups = [members[:half], members[half:]]
    return groups


# ---------------------------------------------------------------------- registered methods
def _heuristic(instance: ClusteringInstance, clustering: str, pricing: str, gamma: float, seed: int) -> MethodOutput:
    check_gamma(gamma)
    rng = np.random.default_rng(seed)
    clusters = random_clustering(instance, rng) if clustering == "rand" else kmeans_clustering(instance, rng)
    decision = auction_tasks(instance, clusters, pricing, gamma, rng)
    return MethodOutput(decision=decision, status=Status.FEASIBLE)


@register_method(
    "clustering",
    "rand-rea",
    Kind.HEURISTIC,
    aliases=("rea",),
    description="random clustering + REA descending auction (Alg. 2)",
)
def rand_rea(instance: ClusteringInstance, gamma: float = 0.8, seed: int = 0) -> MethodOutput:
    return _heuristic(instance, "rand", "rea", gamma, seed)


@register_method(
    "clustering",
    "rand-ob-rea",
    Kind.HEURISTIC,
    aliases=("ob-rea",),
    description="random clustering + one-off offer γ·p_n (OB-REA)",
)
def rand_ob_rea(instance: ClusteringInstance, gamma: float = 0.8, seed: int = 0) -> MethodOutput:
    return _heuristic(instance, "rand", "ob-rea", gamma, seed)


@register_method(
    "clustering", "km-rea", Kind.HEURISTIC, description="k-means clustering + REA descending auction (Alg. 2)"
)
def km_rea(instance: ClusteringInstance, gamma: float = 0.8, seed: int = 0) -> MethodOutput:
    return _heuristic(instance, "km", "rea", gamma, seed)


@register_method(
    "clustering", "km-ob-rea", Kind.HEURISTIC, description="k-means clustering + one-off offer γ·p_n (OB-REA)"
)
def km_ob_rea(instance: ClusteringInstance, gamma: float = 0.8, seed: int = 0) -> MethodOutput:
    return _heuristic(instance, "km", "ob-rea", gamma, seed)


@register_method(
    "clustering",
    "opt-rea",
    Kind.HEURISTIC,
    description="clusters of the exact method (milp, or cg at large sizes) + REA pricing: the loss of pricing alone",
)
def opt_rea(
    instance: ClusteringInstance,
    gamma: float = 0.8,
    time_limit: float | None = 60.0,
    threads: int | None = None,
    exact: str = "milp",
) -> MethodOutput:
    check_gamma(gamma)
    if exact not in EXACT:
        raise InputError("exact", exact, f"must be one of {', '.join(EXACT)}")
    best = get_method("clustering", exact).run(instance, time_limit=time_limit, threads=threads)
    if best.decision is None:
        return MethodOutput(decision=None, status=Status.ERROR, message=f"{exact} gave no clustering: {best.message}")
    decision = auction_tasks(instance, best.decision.clusters, "rea", gamma, np.random.default_rng(0))
    return MethodOutput(decision=decision, status=Status.FEASIBLE, info={f"{exact}_status": best.status.value})
