"""The regional family through the command line: round trip, and bad input as one line with exit code 2."""

import json

import pytest
from test_cli import _error_line, cpnopt_cli

import cpnopt
from cpnopt.errors import InputError
from cpnopt.files import instance_from_dict, load_instance


@pytest.fixture(scope="module")
def instance_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("regional") / "inst.json"
    run = cpnopt_cli("generate", "regional", "--seed", "2", "--set", "n_tasks=10", "-o", str(path))
    assert run.returncode == 0, run.stderr
    return path


def test_generate_solve_evaluate_round_trip_and_a_planted_deadline_miss(instance_file, tmp_path):
    assert load_instance(instance_file).n_tasks == 10
    sol_path = tmp_path / "sol.json"
    run = cpnopt_cli("solve", str(instance_file), "-m", "milp", "-o", str(sol_path), "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["family"] == "regional" and summary["status"] == "optimal" and summary["feasible"]
    run = cpnopt_cli("evaluate", str(instance_file), str(sol_path), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["objective"] == pytest.approx(summary["objective"])
    data = json.loads(sol_path.read_text())
    data["decision"]["assignment"] = [0] * 10  # every task on server 0
    sol_path.write_text(json.dumps(data))
    run = cpnopt_cli("evaluate", str(instance_file), str(sol_path))
    assert run.returncode == 1 and "deadline" in run.stdout


@pytest.mark.parametrize(
    "mutate,field",
    [
        (lambda d: d["servers"][0].update(power_ghz=-5), "servers[0].power_ghz"),
        (lambda d: d["servers"][1].update(region=9), "servers[1].region"),
        (lambda d: d["regions"][0].update(energy_price=0), "regions[0].energy_price"),
        (lambda d: d["tasks"][1].update(deadline_s="soon"), "tasks[1].deadline_s"),
        (lambda d: d["tasks"][2].update(origin=-1), "tasks[2].origin"),
        (lambda d: d["tasks"][3].update(arrival_s=-1.0), "tasks[3].arrival_s"),
        (lambda d: d["latency_s"].pop(), "latency_s"),
        (lambda d: d["bandwidth_mbps"][0].__setitem__(1, 0.0), "bandwidth_mbps[0][1]"),
        (lambda d: d["economics"].update(base_price=-1), "economics.base_price"),
        (lambda d: d.update(servers=[s for s in d["servers"] if s["region"] != 3]), "regions[3]"),
    ],
)
def test_bad_instance_field_is_named(instance_file, mutate, field):
    data = json.loads(instance_file.read_text())
    mutate(data)
    with pytest.raises(InputError) as error:
        instance_from_dict(data)
    assert str(error.value).startswith(f"{field}:")


@pytest.mark.parametrize(
    "params,field",
    [
        ({"n_east": 9}, "params.n_east"),
        ({"deadline_s": [5, 1]}, "params.deadline_s"),
        ({"topology": "sndlib/abilene"}, "params.topology"),
        ({"east_demand_share": 2}, "params.east_demand_share"),
    ],
)
def test_bad_generator_parameter_is_named(params, field):
    with pytest.raises(InputError, match=field.replace(".", r"\.")):
        cpnopt.generate("regional", **params)


def test_bad_options_and_sizes_are_named():
    inst = cpnopt.generate("regional", seed=0, n_tasks=30)
    with pytest.raises(InputError, match="fifo"):
        cpnopt.solve(inst, "milp", fifo="edf")
    with pytest.raises(InputError, match="estimate"):
        cpnopt.solve(inst, "two-stage", estimate="worst")
    with pytest.raises(InputError, match="options.seed"):
        cpnopt.solve(inst, "two-stage", seed=1)
    with pytest.raises(InputError, match="too large for enumerate"):
        cpnopt.solve(inst, "enumerate")


def test_cli_prints_bad_input_as_one_line_with_exit_2(instance_file, tmp_path):
    data = json.loads(instance_file.read_text())
    data["servers"][0]["power_ghz"] = -5
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    assert _error_line(cpnopt_cli("solve", str(path), "-m", "two-stage")).startswith("error: servers[0].power_ghz")
