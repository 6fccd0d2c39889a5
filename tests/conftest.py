import pytest

import cpnopt


def tiny_instance(seed: int, n_servers: int = 4, n_tasks: int = 5, max_cluster_size: int | None = None, **params):
    """A tiny P1 instance that enumeration can solve, with tasks spread over two slots."""
    per_slot = (n_tasks + 1) // 2
    return cpnopt.generate(
        "clustering",
        seed=seed,
        n_servers=n_servers,
        n_slots=2,
        arrivals_per_slot=per_slot,
        n_metro_areas=2,
        max_cluster_size=max_cluster_size,
        **params,
    )


@pytest.fixture(scope="session")
def default_instance():
    return cpnopt.generate("clustering", seed=0)


@pytest.fixture(scope="session")
def default_milp(default_instance):
    return cpnopt.solve(default_instance, "milp")
