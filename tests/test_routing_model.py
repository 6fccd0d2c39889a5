"""Routing instances: the paper's settings, topologies, the price/hydro series, validation and the CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest

import cpnopt
from cpnopt.files import instance_from_dict, instance_to_dict, load_decision, load_instance, save_instance
from cpnopt.problems.routing.timeseries import SAMPLE_CSV, load_csv, synthetic_series, write_csv


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cpnopt.cli", *args], capture_output=True, text=True, cwd=cwd)


def error_line(run):
    assert run.returncode == 2, (run.returncode, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_defaults_follow_the_paper_settings():
    inst = cpnopt.generate("routing", seed=4)
    compute = [n.power_tflops for n in inst.nodes if n.power_tflops > 0]
    assert len(compute) == 10 and all(1 <= f <= 10 for f in compute)
    assert all(10 <= l.bandwidth_mbps <= 50 for l in inst.links)
    assert {(t.size_mb, t.max_latency_s) for t in inst.tasks} == {(5.0, 2.0)}
    e = inst.economics
    assert (e.base_price, e.urgency, e.time_coef) == (0.5, 2.0, 0.2)
    assert all(inst.nodes[u.access_node].power_tflops == 0 for u in inst.users)  # users attach at routers


def test_same_seed_same_instance_and_json_round_trip():
    a, b = cpnopt.generate("routing", seed=7), cpnopt.generate("routing", seed=7)
    assert a == b and a != cpnopt.generate("routing", seed=8)
    assert instance_from_dict(json.loads(json.dumps(instance_to_dict(a)))) == a


def test_workload_follows_the_daily_wave():
    inst = cpnopt.generate("routing", seed=0, n_users=1, n_frames=24, workload_noise=0.0, start_hour=0)
    work = np.array([t.workload_tflop for t in inst.tasks])
    assert work.max() == pytest.approx(1.5, rel=0.01) and work.min() == pytest.approx(0.5, rel=0.02)


def test_topohub_graph_with_its_link_lengths():
    inst = cpnopt.generate("routing", seed=0, topology="sndlib/abilene", n_routers=3)
    assert len(inst.nodes) == 12 and sum(n.power_tflops == 0 for n in inst.nodes) == 3
    assert all(l.length_km > 0 for l in inst.links)
    assert cpnopt.solve(inst, "nearest").feasible


def test_sample_csv_is_the_generator_output_and_drives_the_frames(tmp_path):
    sample = load_csv(SAMPLE_CSV)
    assert sample == synthetic_series(168, np.random.default_rng(0))
    inst = cpnopt.generate("routing", seed=0, series_csv=str(SAMPLE_CSV), start_hour=30, n_frames=3)
    assert [f.electricity_eur_mwh for f in inst.frames] == list(sample.price_eur_mwh[30:33])
    peak = np.argmax(sample.hydro_mw)
    discounts = cpnopt.generate("routing", seed=0, series_csv=str(SAMPLE_CSV), start_hour=int(peak), n_frames=1)
    assert min(discounts.frames[0].hydro_discount) < 1


def test_synthetic_prices_are_lower_at_weekends():
    series = synthetic_series(24 * 14, np.random.default_rng(1))
    day = np.arange(24 * 14) // 24 % 7
    price = np.array(series.price_eur_mwh)
    assert price[day >= 5].mean() < price[day < 5].mean()


@pytest.mark.parametrize(
    "text,field",
    [
        ("hour,price\n0,1\n", "series_csv"),
        ("hour,price_eur_mwh,hydro_mw\n0,50,10\n2,50,10\n", "series_csv line 3.hour"),
        ("hour,price_eur_mwh,hydro_mw\n0,cheap,10\n", "series_csv line 2"),
    ],
)
def test_bad_csv_is_named(tmp_path, text, field):
    path = tmp_path / "s.csv"
    path.write_text(text)
    with pytest.raises(cpnopt.InputError) as err:
        load_csv(path)
    assert err.value.field == field


def test_csv_round_trip(tmp_path):
    series = synthetic_series(30, np.random.default_rng(2))
    write_csv(series, tmp_path / "s.csv")
    assert load_csv(tmp_path / "s.csv") == series


@pytest.mark.parametrize(
    "mutate,field",
    [
        (lambda d: d["links"][0].update(bandwidth_mbps=-1), "links[0].bandwidth_mbps"),
        (lambda d: d["frames"][0]["hydro_discount"].__setitem__(0, 1.5), "frames[0].hydro_discount[0]"),
        (lambda d: d["users"][0].update(access_node=99), "users[0].access_node"),
        (lambda d: d["tasks"][1].update(max_latency_s="soon"), "tasks[1].max_latency_s"),
        (lambda d: d.update(links=d["links"][:1]), "links"),
        (lambda d: [n.update(power_tflops=0.0) for n in d["nodes"]], "nodes"),
        (lambda d: d.update(switch_slots=-1), "switch_slots"),
    ],
)
def test_bad_instance_field_is_named(mutate, field):
    data = instance_to_dict(cpnopt.generate("routing", seed=0, n_users=2, n_frames=1))
    mutate(data)
    with pytest.raises(cpnopt.InputError) as err:
        instance_from_dict(json.loads(json.dumps(data)))
    assert err.value.field == field


@pytest.mark.parametrize(
    "params,field",
    [
        ({"n_users": 0}, "params.n_users"),
        ({"bandwidth_mbps": [50, 10]}, "params.bandwidth_mbps"),
        ({"topology": "sndlib/nowhere"}, "topology"),
        ({"topology": "sndlib/abilene", "n_routers": 12}, "params.n_routers"),
    ],
)
def test_bad_generator_parameter_is_named(params, field):
    with pytest.raises(cpnopt.InputError) as err:
        cpnopt.generate("routing", **params)
    assert err.value.field == field


def test_cli_solve_json_file_round_trip_and_one_line_error(tmp_path):
    inst, sol = tmp_path / "inst.json", tmp_path / "sol.json"
    save_instance(cpnopt.generate("routing", seed=2, n_users=3, n_frames=1), inst)
    run = cli("solve", str(inst), "-m", "milp", "--time-limit", "30", "-o", str(sol), "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["family"] == "routing" and summary["status"] == "optimal" and summary["feasible"]
    assert {"profit", "revenue", "energy_cost", "mean_delay_s", "mean_offset_s"} <= set(summary["metrics"])
    data = json.loads(sol.read_text())
    route = next(r for r in data["decision"]["routes"] if len(r["path"]) > 1)
    route["path"] = route["path"][:1] + route["path"]  # a loop through the access node
    sol.write_text(json.dumps(data))
    tampered = cpnopt.evaluate(load_instance(inst), load_decision(sol, load_instance(inst)))
    assert not tampered.feasible and any("loop" in v for v in tampered.violations)
    data = json.loads(inst.read_text())
    data["links"][0]["bandwidth_mbps"] = -1
    inst.write_text(json.dumps(data))
    assert error_line(cli("solve", str(inst), "-m", "random")).startswith("error: links[0].bandwidth_mbps")
