"""The method-option contract: --time-limit for every method, --write-model for every exact
model, and every option value checked against its method's signature (one line, exit 2)."""

import contextlib
import io
import json
import subprocess
import sys

import pytest
import torch

import cpnopt
from cpnopt.cli import main
from cpnopt.files import load_instance


def cpnopt_cli(*args):
    """The command line in this process (its start-up is what a subprocess would spend the time on)."""
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def error_line(run):
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    return lines[0]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("options") / "inst.json"
    run = cpnopt_cli(
        "generate", "clustering", "--seed", "1", "--set", "n_servers=4", "--set", "arrivals_per_slot=2", "-o", str(path)
    )
    assert run.returncode == 0, run.stderr
    return path


@pytest.mark.parametrize("family", sorted(cpnopt.families()))
def test_every_method_accepts_a_time_limit(family):
    for method in cpnopt.methods(family).values():
        assert "time_limit" in method.check_options({"time_limit": 60.0}) or "time_limit" not in method.option_names()


def test_one_command_line_runs_every_clustering_method(tiny):
    """The loop over `cpnopt methods` with one set of options: every method runs and is scored."""
    run = subprocess.run(
        [sys.executable, "-m", "cpnopt.cli", "solve", str(tiny), "--method", "km-rea", "--time-limit", "60", "--json"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["feasible"] is True
    inst = load_instance(tiny)
    for name in [n for n, m in cpnopt.methods("clustering").items() if m.available()]:
        solution = cpnopt.solve(inst, name, time_limit=60)
        assert solution.evaluation.feasible, name
        assert solution.report.options == {"time_limit": 60}


def test_a_method_without_a_budget_says_when_it_ran_past_the_limit(tiny):
    inst = load_instance(tiny)
    report = cpnopt.solve(inst, "km-rea", time_limit=1e-9).report
    assert report.status is cpnopt.Status.FEASIBLE
    assert "takes no time limit" in report.message
    assert report.options == {"time_limit": 1e-9}
    assert cpnopt.solve(inst, "km-rea", time_limit=60).report.message == ""


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_a_time_limit_must_be_positive_and_finite(tiny, value):
    for method in ("milp", "km-rea"):
        line = error_line(cpnopt_cli("solve", str(tiny), "-m", method, f"--time-limit={value}"))
        assert "options.time_limit" in line


@pytest.mark.parametrize(
    "option,method,expected",
    [
        ("gamma=abc", "km-rea", "options.gamma: expected a number"),
        ("seed=1.5", "rand-rea", "options.seed: expected an integer"),
        ("interval_cuts=3", "milp", "options.interval_cuts: expected true or false"),
        ("mip_rel_gap=[1]", "milp", "options.mip_rel_gap: expected a number"),
        ("exact=7", "opt-rea", "options.exact: expected a string"),
        ("threads=0", "milp", "options.threads: must be ≥ 1"),
        ("checkpoint=5", "dcat", "options.checkpoint: expected a string (or null)"),
    ],
)
def test_option_values_are_checked_against_the_signature(tiny, option, expected, method):
    assert error_line(cpnopt_cli("solve", str(tiny), "-m", method, "--option", option)).startswith(f"error: {expected}")


def test_suite_method_options_are_checked_the_same_way(tmp_path):
    suite = tmp_path / "s.toml"
    suite.write_text(
        'name = "s"\nfamily = "clustering"\nseeds = [0]\nmetrics = ["platform_profit"]\n'
        '[sweep]\nn_servers = [4]\n[[methods]]\nname = "km-rea"\noptions = { gamma = "abc" }\n'
    )
    line = error_line(cpnopt_cli("bench", "run", str(suite), "--db", str(tmp_path / "r.db")))
    assert "methods[0].options.gamma" in line


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_a_cuda_device_without_cuda_is_one_line(tiny):
    line = error_line(cpnopt_cli("solve", str(tiny), "-m", "dcat", "--option", 'device="cuda"'))
    assert "options.device" in line and "CUDA" in line
    assert "options.device" in error_line(cpnopt_cli("solve", str(tiny), "-m", "dcat", "--option", "device=tpu"))


def test_write_model_on_a_method_without_a_model_is_one_line(tiny, tmp_path):
    for method in ("km-rea", "enumerate", "dcat"):
        line = error_line(cpnopt_cli("solve", str(tiny), "-m", method, "--write-model", str(tmp_path / "m.lp")))
        assert f"{method} builds no model" in line and "milp" in line and "cg" in line
    assert not (tmp_path / "m.lp").exists()
    assert "folder does not exist" in error_line(
        cpnopt_cli("solve", str(tiny), "-m", "milp", "--write-model", str(tmp_path / "no" / "m.lp"))
    )


def test_every_exact_method_with_a_model_takes_write_model():
    """Exact methods whose solver reads a model (every one but the enumerators and the per-task oracle)."""
    without_model = {"enumerate", "oracle"}
    for family in cpnopt.families():
        for method in cpnopt.methods(family).values():
            if method.kind == "exact" and method.name not in without_model:
                assert "write_model" in method.option_names(), (family, method.name)


def test_cg_writes_its_integer_master(tiny, tmp_path):
    path = tmp_path / "master.lp"
    run = cpnopt_cli("solve", str(tiny), "-m", "cg", "--write-model", str(path), "--threads", "1", "--json")
    assert run.returncode == 0, run.stderr
    text = path.read_text()
    assert "clustering-master" in text and "x(0)" in text


def test_placement_milp_writes_one_model_per_iteration(tmp_path):
    inst = tmp_path / "p.json"
    assert (
        cpnopt_cli(
            "generate",
            "placement",
            "--seed",
            "0",
            "--set",
            "n_devices=3",
            "--set",
            "n_layers=2",
            "--set",
            "n_iterations=2",
            "-o",
            str(inst),
        ).returncode
        == 0
    )
    run = cpnopt_cli("solve", str(inst), "-m", "milp", "--write-model", str(tmp_path / "m.mps"), "--threads", "1")
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in tmp_path.glob("m*.mps")) == ["m.iteration0.mps", "m.iteration1.mps"]
