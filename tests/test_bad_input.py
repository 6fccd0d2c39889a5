"""Bad input found by fuzzing (issue 13, part 3): one line on stderr, exit 2, nothing wrongly accepted."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import cpnopt
from cpnopt.bench.store import Store
from cpnopt.errors import InputError
from cpnopt.files import instance_to_dict
from cpnopt.jsonio import from_dict
from cpnopt.problems.clustering.decision import ClusteringDecision
from cpnopt.problems.placement.decision import PlacementDecision
from cpnopt.registry import get_family
from tests.cli_runner import assert_one_line_error, run_cli

FAST = {
    "clustering": "rand-rea",
    "routing": "nearest",
    "placement": "rule",
    "regional": "nearest-region",
    "offloading": "base2",
}
SMALL = {
    "clustering": {"n_servers": 4, "n_slots": 2, "arrivals_per_slot": 3},
    "routing": {},
    "placement": {"n_iterations": 2},
    "regional": {},
    "offloading": {"n_tasks": 5},
}


def instance_file(tmp_path: Path, family: str, edit=None) -> Path:
    data = instance_to_dict(cpnopt.generate(family, seed=1, **SMALL[family]))
    if edit is not None:
        edit(data)
    path = tmp_path / f"{family}.json"
    path.write_text(json.dumps(data))
    return path


def unchecked_instance(path: Path):
    """The instance in ``path`` built without the JSON reader's range checks: only its own validation runs."""
    data = json.loads(path.read_text(), parse_constant=float)
    family = get_family(data.pop("family"))
    data.pop("format_version")
    return from_dict(family.instance_type, data, checked=False)


def solution_file(tmp_path: Path, family: str, edit=None) -> tuple[Path, Path]:
    inst = instance_file(tmp_path, family)
    sol = tmp_path / f"{family}-sol.json"
    assert run_cli(["solve", str(inst), "--method", FAST[family], "-o", str(sol), "--json"]).code == 0
    if edit is not None:
        data = json.loads(sol.read_text())
        edit(data)
        sol.write_text(json.dumps(data))
    return inst, sol


@pytest.mark.parametrize("family", sorted(FAST))
def test_non_utf8_instance_and_solution(tmp_path, family):
    inst, sol = solution_file(tmp_path, family)
    bad = tmp_path / "bad.json"
    bad.write_bytes(
        inst.read_bytes().replace(b'"name"', b'"n\xff\xfeme"', 1)
        if b'"name"' in inst.read_bytes()
        else b'{"family": "\xff"}'
    )
    assert_one_line_error(run_cli(["solve", str(bad), "--method", FAST[family]]), "not UTF-8")
    sol.write_bytes(b'{"decision": "\xc3\x28"}')
    assert_one_line_error(run_cli(["evaluate", str(inst), str(sol)]), "not UTF-8")


def test_deep_nesting_and_a_family_that_is_not_a_name(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000)
    assert_one_line_error(run_cli(["solve", str(deep), "--method", "km-rea"]), str(deep))
    deep.write_text("[" * 100000 + "]" * 100000)
    assert_one_line_error(run_cli(["solve", str(deep), "--method", "km-rea"]), "nested too deeply")
    for family in ([], {}):
        path = instance_file(tmp_path, "clustering", lambda d: d.update(family=family))
        assert_one_line_error(run_cli(["solve", str(path), "--method", "km-rea"]), "family")
    inst, sol = solution_file(tmp_path, "clustering")
    sol.write_text('{"decision": ' + "[" * 50000 + "]" * 50000 + "}")
    assert_one_line_error(run_cli(["evaluate", str(inst), str(sol)]), "nested too deeply")


@pytest.mark.parametrize(
    "family, field, value",
    [
        ("clustering", "base_price", 1e308),
        ("regional", "urgency", 1e308),
        ("routing", "base_price", 1e308),
        ("clustering", "base_price", 1e13),
    ],
)
def test_overflowing_economics_are_refused_at_load(tmp_path, family, field, value):
    path = instance_file(tmp_path, family, lambda d: d["economics"].update({field: value}))
    assert_one_line_error(run_cli(["solve", str(path), "--method", FAST[family]]), f"economics.{field}")
    with pytest.raises(InputError, match=f"economics.{field}"):  # the instance's own validation, for the Python API
        unchecked_instance(path)


@pytest.mark.parametrize("family", ["clustering", "regional", "routing"])
def test_largest_documented_economics_give_finite_objectives(tmp_path, family):
    """At the top of the documented range every objective is still a finite number."""

    def edit(d):
        for key in d["economics"]:
            d["economics"][key] = 1e12

    path = instance_file(tmp_path, family, edit)
    result = run_cli(["solve", str(path), "--method", FAST[family], "--json"])
    assert result.code == 0, result
    assert math.isfinite(json.loads(result.stdout)["objective"])


def test_placement_integers_beyond_int64_and_wrap_around(tmp_path):
    path = instance_file(tmp_path, "placement", lambda d: d["layers"][0].update(neurons=2**63))
    assert_one_line_error(run_cli(["solve", str(path), "--method", "rule"]), "layers[0].neurons")
    path = instance_file(tmp_path, "placement", lambda d: d["layers"][0].update(neurons=10**10))
    assert_one_line_error(run_cli(["solve", str(path), "--method", "rule"]), "layers[0].neurons")
    inst, sol = solution_file(tmp_path, "placement", lambda d: d["decision"]["neurons"][0][0].__setitem__(0, 1e30))
    assert_one_line_error(run_cli(["evaluate", str(inst), str(sol)]), "decision.neurons[0][0][0]")
    # int64 wrap-around: four counts of 2^62 (+32) sum to 32 in int64; the layer needs no memory
    instance = cpnopt.generate("placement", seed=0, n_devices=4, n_layers=2, n_iterations=1, width_multiplier=0.1)
    instance = dataclasses.replace(
        instance,
        layers=(dataclasses.replace(instance.layers[0], neurons=32, memory_mb_per_neuron=0.0), *instance.layers[1:]),
    )
    fine = cpnopt.solve(instance, "rule").decision
    counts = [list(row) for row in fine.neurons[0]]
    counts[0] = [2**62, 2**62, 2**62, 2**62 + 32]
    wrapped = PlacementDecision(neurons=(tuple(tuple(r) for r in counts),))
    verdict = cpnopt.evaluate(instance, wrapped)
    assert not verdict.feasible and "0..32" in verdict.violations[0]


def test_offloading_node_count_has_a_documented_ceiling(tmp_path):
    for n in (10**30, 10**6):
        path = instance_file(tmp_path, "offloading", lambda d: d.update(n_nodes=n))
        assert_one_line_error(run_cli(["solve", str(path), "--method", "base2"]), "n_nodes")


def test_nan_payment_is_never_feasible(tmp_path):
    served = 0

    def nan_payment(d):
        nonlocal served
        served = next(n for n, k in enumerate(d["decision"]["assignment"]) if k is not None)
        d["decision"]["payments"][served] = float("nan")

    inst, sol = solution_file(tmp_path, "clustering", nan_payment)
    assert "NaN" in sol.read_text()
    assert_one_line_error(run_cli(["evaluate", str(inst), str(sol)]), f"decision.payments[{served}]", "nan")
    instance = cpnopt.generate("clustering", seed=1, **SMALL["clustering"])
    decision = cpnopt.solve(instance, "rand-rea").decision
    served = next(n for n, k in enumerate(decision.assignment) if k is not None)
    payments = list(decision.payments)
    payments[served] = math.nan
    verdict = cpnopt.evaluate(instance, ClusteringDecision(decision.clusters, decision.assignment, tuple(payments)))
    assert not verdict.feasible and any("non-finite payment" in v for v in verdict.violations)


def test_a_non_finite_objective_is_reported_infeasible():
    """The safety net under every family: whatever an evaluator computes, NaN or ±inf is infeasible."""
    instance = cpnopt.generate("clustering", seed=1, **SMALL["clustering"])
    decision = cpnopt.solve(instance, "rand-rea").decision
    served = next(n for n, k in enumerate(decision.assignment) if k is not None)
    object.__setattr__(instance, "price", instance.price * math.inf)  # bypasses validation, as a bug would
    payments = list(decision.payments)
    verdict = cpnopt.evaluate(instance, ClusteringDecision(decision.clusters, decision.assignment, tuple(payments)))
    assert not verdict.feasible and any("not a finite number" in v for v in verdict.violations), served


@pytest.mark.parametrize(
    "family, edit, field",
    [
        ("placement", lambda d: d.update(frequency_levels=[5e-324]), "frequency_levels[0]"),
        ("clustering", lambda d: d["access_points"][0].update(x_km=float("nan")), "access_points[0].x_km"),
        ("clustering", lambda d: d["access_points"][0].update(y_km=float("inf")), "access_points[0].y_km"),
        ("routing", lambda d: d["nodes"][0].update(x_km=float("-inf")), "nodes[0].x_km"),
        ("routing", lambda d: d["nodes"][1].update(y_km=1e300), "nodes[1].y_km"),
    ],
)
def test_tiny_and_non_finite_numbers_are_refused(tmp_path, family, edit, field):
    path = instance_file(tmp_path, family, edit)
    assert_one_line_error(run_cli(["solve", str(path), "--method", FAST[family]]), field)
    with pytest.raises(InputError, match=re.escape(field)):  # the instance's own validation, for the Python API
        unchecked_instance(path)


def test_a_checkpoint_that_is_not_one(tmp_path):
    inst = instance_file(tmp_path, "clustering")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a checkpoint\n" * 10)
    result = run_cli(["solve", str(inst), "--method", "dcat", "--option", f"checkpoint={garbage}"])
    assert_one_line_error(result, "checkpoint", "not a PyTorch checkpoint")
    import torch

    torch.save({"something": 1}, garbage)
    result = run_cli(["solve", str(inst), "--method", "dcat", "--option", f"checkpoint={garbage}"])
    assert_one_line_error(result, "checkpoint", "policy_kwargs")
    result = run_cli(
        ["train", "clustering", "--method", "dcat", "--steps", "8", "-o", str(garbage), "--resume", "--quiet"]
    )
    assert_one_line_error(result, "--resume", "not a cpnopt checkpoint")
    garbage.write_bytes(b"\x80\x04garbage")
    result = run_cli(
        ["train", "clustering", "--method", "dcat", "--steps", "8", "-o", str(garbage), "--resume", "--quiet"]
    )
    assert_one_line_error(result, "--resume", "not a PyTorch checkpoint")


SUITE = """name = "tiny"
family = "clustering"
seeds = [0]
[params]
n_servers = 4
n_slots = 1
arrivals_per_slot = 3
[[methods]]
name = "km-rea"
"""


def test_bench_non_utf8_suite_and_bad_stores(tmp_path):
    suite = tmp_path / "tiny.toml"
    suite.write_bytes(SUITE.encode().replace(b"tiny", b"t\xffny", 1))
    assert_one_line_error(run_cli(["bench", "run", str(suite), "--db", str(tmp_path / "r.db")]), "not UTF-8")
    suite.write_text(SUITE)
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("my notes, not a database\n" * 200)
    before = not_sqlite.read_bytes()
    for db in (not_sqlite, tmp_path / "missing" / "r.db", tmp_path):
        for command in (["run", str(suite)], ["table"]):
            assert_one_line_error(run_cli(["bench", *command, "--db", str(db)]), "--db", "results store")
    assert not_sqlite.read_bytes() == before  # nothing lost
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("mount") is None, reason="mounting a small tmpfs needs root")
def test_bench_on_a_full_disk_keeps_what_it_stored(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        suite = tmp_path / "tiny.toml"
        suite.write_text(SUITE)
        db = disk / "results.db"
        assert run_cli(["bench", "run", str(suite), "--db", str(db), "--json"]).code == 0
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as handle:  # fill the disk to the last block
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError:
                pass
        os.truncate(
            filler, filler.stat().st_size - 48 * 1024
        )  # room to open the store (its 32 KiB index), not to fill it
        suite.write_text(SUITE.replace('"tiny"', '"tiny2"').replace("seeds = [0]", f"seeds = {list(range(20))}"))
        result = run_cli(["bench", "run", str(suite), "--db", str(db), "--json"])
        assert_one_line_error(result, "--db", "database or disk is full", "kept")
        filler.unlink()
        with Store(db) as store:
            assert len(list(store.runs("tiny"))) == 1  # what was stored before the disk filled is kept
    finally:
        subprocess.run(["umount", "-l", str(disk)])
