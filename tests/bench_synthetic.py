"""A store of hand-written runs with known numbers, for the tables, statistics and figures tests."""

from __future__ import annotations

import json
from pathlib import Path

from cpnopt.bench.store import RunRecord, Store

SUITE = "synthetic"
# platform profit per method and (n_servers, seed); rand-rea fails on (6, 2)
PROFITS = {
    "milp": {(4, 0): 100.0, (4, 1): 120.0, (4, 2): 110.0, (6, 0): 200.0, (6, 1): 210.0, (6, 2): 190.0},
    "km-rea": {(4, 0): 90.0, (4, 1): 120.0, (4, 2): 99.0, (6, 0): 150.0, (6, 1): 200.0, (6, 2): 171.0},
    "rand-rea": {(4, 0): 50.0, (4, 1): 60.0, (4, 2): 55.0, (6, 0): 100.0, (6, 1): 105.0, (6, 2): None},
}


def record(
    method: str,
    n_servers: int,
    seed: int,
    objective: float | None,
    status: str = "feasible",
    bound: float | None = None,
    runtime_s: float = 1.0,
    trace: list[list[float | None]] | None = None,
) -> RunRecord:
    point = json.dumps({"n_servers": n_servers})
    return RunRecord(
        suite=SUITE,
        family="clustering",
        point=point,
        params=point,
        seed=seed,
        method=method,
        label=method,
        options="{}",
        instance_hash=None,
        instance_json=None,
        status=status,
        objective=objective,
        bound=bound,
        gap=None,
        runtime_s=runtime_s,
        wall_s=runtime_s,
        feasible=objective is not None,
        metrics={"platform_profit": objective, "offloading_rate": 0.5} if objective is not None else {},
        report={"sense": "max", "info": {"trace": trace}} if trace else {"sense": "max"},
        versions={"highspy": "1.16.0"},
        host="h",
        started_at="t",
        finished_at="t",
    )


def synthetic_store(
    path: Path, profits: dict[str, dict[tuple[int, int], float | None]], runtimes: dict[str, float] | None = None
) -> Path:
    """A store whose suite ``synthetic`` has ``profits[method][(n_servers, seed)]``; "milp" is the
    reference and proves optimality wherever it has a value, with the trace of :func:`milp_trace`."""
    with Store(path) as store:
        store.save_suite(
            SUITE,
            {
                "family": "clustering",
                "axes": ["n_servers"],
                "params": {},
                "metrics": ["platform_profit", "offloading_rate"],
                "reference": "milp",
                "methods": list(profits),
            },
        )
        for method, values in profits.items():
            for (n, seed), value in values.items():
                status = (
                    "optimal"
                    if method == "milp" and value is not None
                    else "feasible"
                    if value is not None
                    else "error"
                )
                runtime = (runtimes or {}).get(method, 1.0) * (1 + seed)
                exact = method == "milp" and value is not None
                store.add(
                    record(
                        method,
                        n,
                        seed,
                        value,
                        status,
                        bound=value if exact else None,
                        runtime_s=runtime,
                        trace=milp_trace(value, runtime) if exact else None,
                    )
                )
    return path


def milp_trace(optimum: float, runtime_s: float) -> list[list[float | None]]:
    """No incumbent until a tenth of the runtime, half the optimum until half of it, then the
    optimum; the bound from 1.5 × the optimum down to it."""
    return [
        [0.05 * runtime_s, None, 1.5 * optimum],
        [0.1 * runtime_s, 0.5 * optimum, 1.5 * optimum],
        [0.5 * runtime_s, optimum, 1.2 * optimum],
        [runtime_s, optimum, optimum],
    ]
