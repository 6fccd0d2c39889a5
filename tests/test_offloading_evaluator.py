"""The offloading evaluator: hand-computed latencies, the shared network state, planted violations, the CLI."""

import dataclasses
import json
import subprocess
import sys

import pytest

import cpnopt
from cpnopt.files import save_instance
from cpnopt.problems.offloading import (
    Cell,
    ComputeNode,
    Device,
    Link,
    OffloadingDecision,
    OffloadingInstance,
    Task,
    evaluate,
)

EMPTY = Cell.from_arch_str("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def triangle(second_arrival_s: float) -> OffloadingInstance:
    """AP 0; compute nodes 1 and 2; links 0-1 (200 km, 100 Mb/s), 0-2 (400 km, 300 Mb/s), 1-2 (200 km, 100 Mb/s)."""
    return OffloadingInstance(
        n_nodes=3,
        links=(Link(0, 1, 200.0, 100.0), Link(0, 2, 400.0, 300.0), Link(1, 2, 200.0, 100.0)),
        access_points=(0,),
        compute_nodes=(ComputeNode(1, 0), ComputeNode(2, 0)),
        devices=(Device("cpu-x", "cpu"),),
        architectures=(EMPTY,),
        latency_ms=((10.0,),),
        tasks=(Task(0.0, 0, 10.0, 0, 2), Task(second_arrival_s, 0, 10.0, 0, 2)),
        background=((0.0,) * 6,),
        node_load=((0.0, 0.0),),
        n_candidates=2,
        k_paths=2,
    )


@pytest.mark.parametrize("second_arrival_s,second_rate", [(0.0, 25.0), (0.05, 25.0), (0.1, 50.0), (0.2, 50.0)])
def test_hand_computed_latency_with_the_earlier_task_still_sending(second_arrival_s, second_rate):
    inst = triangle(second_arrival_s)
    paths = inst.paths(0, 0)  # to node 1: direct (1 ms), via node 2 (3 ms)
    assert [round(p.delay_s, 6) for p in paths] == [0.001, 0.003]
    # task 0 halves its 10 Mb over both paths at α × 100 = 50 Mb/s each: 0.1 s + 3 ms; holds half of link 0→1 for 0.1 s
    # task 1 on the direct path gets α × 100 × (1 − 1/2) = 25 Mb/s while task 0 still sends, 50 Mb/s after
    decision = OffloadingDecision(nodes=(0, 0), splits=((0.5, 0.5), (1.0, 0.0)))
    ev = evaluate(inst, decision)
    assert ev.feasible, ev.violations
    first = 0.02 + 0.5 * 10 / 50 + 0.003
    second = 0.02 + 10 / second_rate + 0.001
    assert ev.objective == pytest.approx((first + second) / 2, rel=1e-12)
    assert ev.metrics["max_latency_ms"] == pytest.approx(1e3 * max(first, second))
    assert ev.metrics["mean_computation_ms"] == pytest.approx(20.0)


def test_unused_paths_do_not_count():
    inst = triangle(5.0)
    ev = evaluate(inst, OffloadingDecision(nodes=(0, 0), splits=((1.0, 0.0), (0.0, 1.0))))
    assert ev.objective == pytest.approx(((0.02 + 10 / 50 + 0.001) + (0.02 + 10 / 50 + 0.003)) / 2)


def test_node_load_divides_throughput():
    inst = dataclasses.replace(triangle(5.0), node_load=((0.5, 0.0),))
    ev = evaluate(inst, OffloadingDecision(nodes=(0, 1), splits=((1.0, 0.0), (1.0, 0.0))))
    assert inst.computation_s[0, 0] == pytest.approx(0.04) and inst.computation_s[1, 1] == pytest.approx(0.02)
    assert ev.metrics["mean_computation_ms"] == pytest.approx(30.0)


@pytest.mark.parametrize(
    "nodes,splits,message",
    [
        ((0, 5), ((1.0, 0.0), (1.0, 0.0)), "does not exist"),
        ((0, 0), ((0.6, 0.6), (1.0, 0.0)), "not on the simplex"),
        ((0, 0), ((1.2, -0.2), (1.0, 0.0)), "not on the simplex"),
        ((0, 0), ((float("nan"), 1.0), (1.0, 0.0)), "not on the simplex"),
        ((0, 0), ((1.0,), (1.0, 0.0)), "1 ratios for 2 candidate paths"),
        ((0,), ((1.0, 0.0),), "for 2 tasks"),
    ],
)
def test_planted_violations_are_flagged(nodes, splits, message):
    ev = evaluate(triangle(0.0), OffloadingDecision(nodes=nodes, splits=splits))
    assert not ev.feasible
    assert any(message in v for v in ev.violations), ev.violations


def test_node_outside_the_candidates_is_flagged():
    inst = cpnopt.generate("offloading", seed=2, n_tasks=3, n_candidates=2)
    outside = next(c for c in range(len(inst.compute_nodes)) if c not in inst.candidates[0])
    good = cpnopt.solve(inst, "base1").decision
    bad = OffloadingDecision(nodes=(outside,) + good.nodes[1:], splits=((1.0,),) + good.splits[1:])
    ev = evaluate(inst, bad)
    assert not ev.feasible and "is not one of its candidates" in ev.violations[0]


def test_every_method_goes_through_the_evaluator():
    inst = cpnopt.generate("offloading", seed=4, n_tasks=6)
    for method in ("oracle", "base1", "base2", "base3", "base4", "milp"):
        sol = cpnopt.solve(inst, method)
        assert sol.feasible, (method, sol.report.message)
        assert sol.report.objective == pytest.approx(evaluate(inst, sol.decision).objective, rel=1e-12)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cpnopt.cli", *args], capture_output=True, text=True)


def test_cli_solve_json_and_one_line_errors(tmp_path):
    inst_path, sol_path = tmp_path / "inst.json", tmp_path / "sol.json"
    save_instance(cpnopt.generate("offloading", seed=1, n_tasks=4), inst_path)
    run = cli("solve", str(inst_path), "--method", "base2", "-o", str(sol_path), "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["family"] == "offloading" and summary["feasible"] and summary["metrics"]["tasks"] == 4
    data = json.loads(inst_path.read_text())
    data["tasks"][0]["data_mb"] = "large"
    inst_path.write_text(json.dumps(data))
    run = cli("solve", str(inst_path), "--method", "base2")
    assert run.returncode == 2 and run.stderr.strip().count("\n") == 0 and "tasks[0].data_mb" in run.stderr
    assert json.loads((tmp_path / "sol.json").read_text())["family"] == "offloading"
