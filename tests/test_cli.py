"""The command line: its contract (docs/cli.md), JSON round trips, and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest

import cpnopt
from cpnopt.files import instance_from_dict, instance_to_dict, load_instance, load_solution


def cpnopt_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cpnopt.cli", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def instance_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "inst.json"
    run = cpnopt_cli(
        "generate", "clustering", "--seed", "3", "--set", "n_servers=6", "--set", "arrivals_per_slot=4", "-o", str(path)
    )
    assert run.returncode == 0, run.stderr
    return path


def test_instance_json_round_trip(default_instance):
    again = instance_from_dict(json.loads(json.dumps(instance_to_dict(default_instance))))
    assert again == default_instance


def test_generate_solve_evaluate_round_trip(instance_file, tmp_path):
    inst = load_instance(instance_file)
    assert inst.n_servers == 6 and inst.n_tasks == 8
    sol_path = tmp_path / "sol.json"
    run = cpnopt_cli(
        "solve", str(instance_file), "--method", "milp", "--time-limit", "30", "-o", str(sol_path), "--json"
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert list(summary) == [
        "family",
        "method",
        "status",
        "objective",
        "bound",
        "gap",
        "runtime_s",
        "feasible",
        "metrics",
    ]
    assert summary["status"] == "optimal" and summary["feasible"] is True
    stored = load_solution(sol_path, inst)
    assert stored.report.objective == pytest.approx(summary["objective"])
    run = cpnopt_cli("evaluate", str(instance_file), str(sol_path), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["objective"] == pytest.approx(summary["objective"])


def test_evaluate_rejects_a_tampered_solution(instance_file, tmp_path):
    sol_path = tmp_path / "sol.json"
    assert cpnopt_cli("solve", str(instance_file), "-m", "km-rea", "-o", str(sol_path)).returncode == 0
    data = json.loads(sol_path.read_text())
    data["decision"]["clusters"] = [list(range(6))]  # one cluster of all servers: breaks R_max / size
    sol_path.write_text(json.dumps(data))
    run = cpnopt_cli("evaluate", str(instance_file), str(sol_path))
    assert run.returncode == 1
    assert "violation" in run.stdout


def _error_line(run):
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_broken_json_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert "invalid JSON" in _error_line(cpnopt_cli("solve", str(bad), "-m", "milp"))


@pytest.mark.parametrize(
    "mutate,field",
    [
        (lambda d: d["tasks"][1].update(deadline_s="soon"), "tasks[1].deadline_s"),
        (lambda d: d["servers"][0].update(power_ghz=-5), "servers[0].power_ghz"),
        (lambda d: d["tasks"][0].update(colour="red"), "tasks[0].colour"),
        (lambda d: d["tasks"][2].update(origin=99), "tasks[2].origin"),
        (lambda d: d.update(links=[]), "links"),
        (lambda d: d.update(family="routing-x"), "family"),
    ],
)
def test_bad_instance_field_is_named(instance_file, tmp_path, mutate, field):
    data = json.loads(instance_file.read_text())
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    assert _error_line(cpnopt_cli("solve", str(path), "-m", "km-rea")).startswith(f"error: {field}")


def test_bad_method_option_and_parameter_are_named(instance_file, tmp_path):
    assert "method" in _error_line(cpnopt_cli("solve", str(instance_file), "-m", "nope"))
    assert "options.gama" in _error_line(
        cpnopt_cli("solve", str(instance_file), "-m", "km-rea", "--option", "gama=0.9")
    )
    assert "write_model" in _error_line(cpnopt_cli("solve", str(instance_file), "-m", "milp", "--write-model", "m.txt"))
    assert "params.n_servers" in _error_line(
        cpnopt_cli("generate", "clustering", "--set", "n_servers=0", "-o", str(tmp_path / "x.json"))
    )
    assert "params.n_serverz" in _error_line(
        cpnopt_cli("generate", "clustering", "--set", "n_serverz=3", "-o", str(tmp_path / "x.json"))
    )


def test_methods_lists_every_registered_method():
    run = cpnopt_cli("methods", "clustering")
    assert run.returncode == 0
    for name in cpnopt.methods("clustering"):
        assert name in run.stdout
    for paper_name in ("rea", "ob-rea", "km-rea", "opt-rea"):
        assert paper_name in run.stdout


def test_quickstart_prints_the_optimum_and_every_heuristic_and_agent_gap():
    run = cpnopt_cli("quickstart")
    assert run.returncode == 0, run.stderr
    assert "milp is proven optimal" in run.stdout
    for name in ("rand-rea", "rand-ob-rea", "km-rea", "km-ob-rea", "opt-rea", "dcat"):
        row = next(line for line in run.stdout.splitlines() if line.startswith(f"| {name} |"))
        assert row.count("%") == 2  # offloading rate and gap to optimum
    assert "meet the deadline alone" in run.stdout
