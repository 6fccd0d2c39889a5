"""Instances shared by the routing tests (no tests here)."""

import cpnopt


def tiny(seed: int, **params):
    """Small enough for brute force: 3 compute nodes + 1 router, 0.2 s slots, 1.6 s latency (≤ 8 slots)."""
    settings = dict(n_nodes=3, n_routers=1, n_users=3, n_frames=1, slot_s=0.2, max_latency_s=1.6, size_mb=8.0)
    settings.update(params)
    return cpnopt.generate("routing", seed=seed, **settings)


def small(seed: int, **params):
    """Solved by the MILP in well under a second: 5 compute nodes + 2 routers, 4 users, 1 frame."""
    settings = dict(n_nodes=5, n_routers=2, n_users=4, n_frames=1)
    settings.update(params)
    return cpnopt.generate("routing", seed=seed, **settings)
