"""The DCAT paper's pricing mechanisms for P1: REA (Algorithm 2) and OB-REA.

They are the paper's market: the heuristics (``rand-rea``, ``km-ob-rea``, …, ``opt-rea``)
and the ``dcat`` environment price the tasks of a given clustering with them.

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
from dataclasses import dataclass

import numpy as np

from cpnopt.errors import InputError
from cpnopt.fifo import fifo_schedule
from cpnopt.problems.clustering.decision import ClusteringDecision
from cpnopt.problems.clustering.instance import ClusteringInstance, ClusterTerms

Clusters = tuple[tuple[int, ...], ...]


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


def check_gamma(gamma: float) -> None:
    if not 0 < gamma < 1:
        raise InputError("gamma", gamma, "must be in (0, 1)")


def auction_tasks(
    instance: ClusteringInstance, clusters: Clusters, pricing: str, gamma: float, rng: np.random.Generator
) -> ClusteringDecision:
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
    return bool(np.all(schedule.completion_s <= instance.latest_finish_s[tasks]))
