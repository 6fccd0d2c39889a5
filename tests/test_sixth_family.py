"""The extension path of docs/adding-a-family.md, followed: a sixth family outside the repository.

A tiny 0/1 knapsack family is written into a temporary package (instance, decision and
generator; the evaluator; one exact method through the shared ending and HiGHS; one
heuristic), with a distribution record naming it in the ``cpnopt.families`` entry points,
as an installed package would. Then generate → solve → evaluate run through the public
API, and generate → solve → evaluate → a quick bench suite → its table through the
command line in a fresh interpreter that finds the package on ``PYTHONPATH``.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import cpnopt
from cpnopt import registry

PACKAGE = {
    "__init__.py": '''
        """``tinyknap``: a 0/1 knapsack (items of profit p_j and size w_j, capacity C, max Σ p_j x_j)."""

        from cpnopt.registry import Family, register_family
        from cpnopt.solution import Sense
        from tinyknap.evaluate import evaluate
        from tinyknap.model import KnapsackDecision, KnapsackInstance, KnapsackParams, generate


        def describe(instance: KnapsackInstance) -> dict[str, float]:
            return {"items": len(instance.profits), "capacity": instance.capacity}


        FAMILY = register_family(Family(
            name="tinyknap", description="0/1 knapsack: max profit within one capacity", sense=Sense.MAXIMIZE,
            instance_type=KnapsackInstance, decision_type=KnapsackDecision, params_type=KnapsackParams,
            generate=generate, evaluate=evaluate, describe=describe,
            method_modules=("tinyknap.milp", "tinyknap.heuristics"),
        ))
    ''',
    "model.py": """
        from __future__ import annotations

        from dataclasses import dataclass

        import numpy as np

        from cpnopt.errors import InputError


        @dataclass(frozen=True)
        class KnapsackInstance:
            profits: tuple[float, ...]
            sizes: tuple[float, ...]
            capacity: float
            name: str = ""

            def __post_init__(self) -> None:
                if len(self.sizes) != len(self.profits):
                    raise InputError("sizes", len(self.sizes), f"one size per item ({len(self.profits)})")
                if not self.capacity > 0:
                    raise InputError("capacity", self.capacity, "must be > 0")


        @dataclass(frozen=True)
        class KnapsackDecision:
            chosen: tuple[int, ...]  # the items packed


        @dataclass(frozen=True)
        class KnapsackParams:
            n_items: int = 8
            capacity_share: float = 0.4  # capacity = this share of the total size


        def generate(params: KnapsackParams, seed: int) -> KnapsackInstance:
            if params.n_items < 1:
                raise InputError("params.n_items", params.n_items, "must be ≥ 1")
            rng = np.random.default_rng(seed)
            sizes = rng.integers(1, 10, params.n_items).astype(float)
            profits = rng.integers(1, 20, params.n_items).astype(float)
            return KnapsackInstance(tuple(profits.tolist()), tuple(sizes.tolist()),
                                    float(max(1.0, round(params.capacity_share * sizes.sum()))))
    """,
    "evaluate.py": '''
        from cpnopt.solution import Evaluation
        from tinyknap.model import KnapsackDecision, KnapsackInstance


        def evaluate(instance: KnapsackInstance, decision: KnapsackDecision) -> Evaluation:
            """The single source of truth: every item exists and is packed once, the sizes fit."""
            items = range(len(instance.profits))
            violations = [f"item {j} does not exist" for j in decision.chosen if j not in items]
            if len(set(decision.chosen)) != len(decision.chosen):
                violations.append("an item is packed twice")
            if violations:
                return Evaluation(feasible=False, objective=0.0, metrics={}, violations=violations)
            load = sum(instance.sizes[j] for j in decision.chosen)
            if load > instance.capacity + 1e-9:
                violations.append(f"load {load} exceeds the capacity {instance.capacity}")
            profit = sum(instance.profits[j] for j in decision.chosen)
            return Evaluation(feasible=not violations, objective=profit,
                              metrics={"profit": profit, "fill": load / instance.capacity}, violations=violations)
    ''',
    "milp.py": """
        import time

        import pyomo.environ as pyo

        from cpnopt.formulations.common.exact import register_exact, solve_built
        from cpnopt.solvers.highs import ExactOptions
        from tinyknap.model import KnapsackDecision, KnapsackInstance


        @register_exact("tinyknap", "milp", description="0/1 knapsack MILP (HiGHS)")
        def milp(instance: KnapsackInstance, options: ExactOptions) -> "MethodOutput":
            start = time.perf_counter()
            items = range(len(instance.profits))
            m = pyo.ConcreteModel(name="tinyknap")
            m.x = pyo.Var(items, domain=pyo.Binary)
            m.profit = pyo.Objective(expr=sum(instance.profits[j] * m.x[j] for j in items), sense=pyo.maximize)
            m.capacity = pyo.Constraint(expr=sum(instance.sizes[j] * m.x[j] for j in items) <= instance.capacity)
            read = lambda: KnapsackDecision(tuple(j for j in items if pyo.value(m.x[j]) > 0.5))  # noqa: E731
            return solve_built(m, options, start, read, {"items": len(items)})
    """,
    "heuristics.py": """
        from cpnopt.registry import Kind, register_method
        from cpnopt.solution import MethodOutput, Status
        from tinyknap.model import KnapsackDecision, KnapsackInstance


        @register_method("tinyknap", "greedy", Kind.HEURISTIC, description="items by profit/size, packed while they fit")
        def greedy(instance: KnapsackInstance) -> MethodOutput:
            order = sorted(range(len(instance.profits)), key=lambda j: (-instance.profits[j] / instance.sizes[j], j))
            chosen, load = [], 0.0
            for j in order:
                if load + instance.sizes[j] <= instance.capacity:
                    chosen.append(j)
                    load += instance.sizes[j]
            return MethodOutput(decision=KnapsackDecision(tuple(sorted(chosen))), status=Status.FEASIBLE)
    """,
}

SUITE = """
name = "tinyknap-items"
family = "tinyknap"
description = "tinyknap: profit vs number of items"
seeds = [0, 1, 2]
reference = ["milp"]
metrics = ["profit"]

[sweep]
n_items = [6, 10, 14]

[[methods]]
name = "milp"
options = { time_limit = 30, threads = 1 }

[[methods]]
name = "greedy"

[quick]
seeds = [0, 1]
sweep = { n_items = [5, 8] }
time_limit = 10
"""


def write_package(root: Path) -> Path:
    package = root / "tinyknap"
    package.mkdir(parents=True)
    for name, source in PACKAGE.items():
        (package / name).write_text(textwrap.dedent(source).lstrip())
    record = root / "tinyknap-0.1.dist-info"  # what `pip install` of a package naming the entry point leaves
    record.mkdir()
    (record / "METADATA").write_text("Metadata-Version: 2.1\nName: tinyknap\nVersion: 0.1\n")
    (record / "entry_points.txt").write_text(f"[{registry.FAMILY_ENTRY_POINTS}]\ntinyknap = tinyknap\n")
    return root


@pytest.fixture
def tinyknap(tmp_path, monkeypatch):
    """The package on sys.path and registered in this process; the registry and modules restored after."""
    root = write_package(tmp_path / "site")
    monkeypatch.syspath_prepend(str(root))
    import tinyknap  # noqa: F401  registers the family, as the entry point does in a fresh process

    yield root
    registry._families.pop("tinyknap", None)
    registry._methods.pop("tinyknap", None)
    for name in [m for m in sys.modules if m == "tinyknap" or m.startswith("tinyknap.")]:
        del sys.modules[name]


def brute_force(instance) -> float:
    items = range(len(instance.profits))
    return max(
        sum(instance.profits[j] for j in subset)
        for r in range(len(instance.profits) + 1)
        for subset in itertools.combinations(items, r)
        if sum(instance.sizes[j] for j in subset) <= instance.capacity
    )


def test_generate_solve_evaluate_through_the_api(tinyknap):
    assert "tinyknap" in cpnopt.families()
    assert set(cpnopt.methods("tinyknap")) == {"milp", "greedy"}
    assert registry.get_method("tinyknap", "milp").option_names() == [
        "time_limit",
        "mip_rel_gap",
        "threads",
        "write_model",
        "verbose",
        "trace",
    ]
    for seed in range(3):
        instance = cpnopt.generate("tinyknap", seed=seed, n_items=9)
        exact = cpnopt.solve(instance, "milp", threads=1)
        greedy = cpnopt.solve(instance, "greedy")
        assert exact.report.status is cpnopt.Status.OPTIMAL and exact.feasible and greedy.feasible
        assert exact.report.objective == pytest.approx(brute_force(instance))
        assert greedy.report.objective <= exact.report.objective + 1e-9
        assert cpnopt.evaluate(instance, exact.decision).objective == exact.report.objective
        assert not cpnopt.evaluate(instance, type(exact.decision)(tuple(range(9)))).feasible  # everything packed


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cpnopt.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def test_generate_solve_evaluate_bench_through_the_cli(tmp_path):
    root = write_package(tmp_path / "site")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        "CPNOPT_RESULTS_DIR": str(tmp_path / "results"),
    }
    listed = cli("methods", "tinyknap", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "milp" in listed.stdout and "greedy" in listed.stdout

    made = cli("generate", "tinyknap", "--seed", "3", "--set", "n_items=7", "-o", "inst.json", env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    solved = cli(
        "solve", "inst.json", "-m", "milp", "--threads", "1", "--json", "-o", "sol.json", env=env, cwd=tmp_path
    )
    assert solved.returncode == 0, solved.stderr
    summary = json.loads(solved.stdout)
    assert summary["status"] == "optimal" and summary["feasible"]
    checked = cli("evaluate", "inst.json", "sol.json", "--json", env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["objective"] == summary["objective"]
    bad = cli("generate", "tinyknap", "--set", "n_items=0", "-o", "x.json", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "params.n_items" in bad.stderr

    (tmp_path / "suite.toml").write_text(SUITE)
    ran = cli("bench", "run", "suite.toml", "--quick", "--workers", "2", "--db", "runs.db", env=env, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    table = cli(
        "bench",
        "table",
        "--db",
        "runs.db",
        "--suite",
        "tinyknap-items-quick",
        "--format",
        "csv",
        "--no-runtime",
        env=env,
        cwd=tmp_path,
    )
    assert table.returncode == 0, table.stderr
    rows = table.stdout.strip().splitlines()
    assert len(rows) == 1 + 2 * 2  # header + (2 sizes × 2 methods)
    assert all("optimal=2" in row for row in rows if ",milp," in row), rows
