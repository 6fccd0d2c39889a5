"""The GWP evaluator: hand-computed Eq. (1)–(10) on a one-device model, planted violations, bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

import cpnopt
from cpnopt.files import instance_from_dict, instance_to_dict
from cpnopt.jsonio import from_dict, to_dict
from cpnopt.problems.placement import Device, DeviceState, Layer, PlacementDecision, PlacementInstance, evaluate


@pytest.fixture(scope="module")
def inst():
    return cpnopt.generate(
        "placement",
        seed=2,
        n_devices=3,
        n_layers=3,
        width_multiplier=0.125,
        n_iterations=3,
        frequency_levels=[1.0, 0.6],
    )


@pytest.fixture(scope="module")
def feasible(inst):
    return cpnopt.solve(inst, "rule").decision


def test_instance_and_decision_survive_json(inst, feasible):
    assert instance_from_dict(json.loads(json.dumps(instance_to_dict(inst)))) == inst
    again = from_dict(PlacementDecision, json.loads(json.dumps(to_dict(feasible))))
    assert again == feasible and evaluate(inst, again).objective == evaluate(inst, feasible).objective


def test_one_device_one_layer_by_hand():
    """Every term of Eq. (1)–(9) computed here from the definitions, independently of the instance code."""
    dev = Device(
        f_max_ghz=2.0,
        cycles_per_flop=0.5,
        energy_coef=1.2,
        memory_mb=100.0,
        heat_compute_w=0.4,
        heat_compute_w_per_ghz2=0.1,
        heat_comm_w=0.3,
        heat_comm_w_per_ghz2=0.05,
    )
    layer = Layer(neurons=4, mflop_per_neuron=250.0, out_mbit_per_neuron=2.0, in_mbit=10.0, memory_mb_per_neuron=1.0)
    state = DeviceState(capacity_share=0.5, freq_ghz=1.6, bandwidth_mbps=100.0)
    inst = PlacementInstance(
        devices=(dev,), layers=(layer,), trace=((state,),), batch_size=8, alpha=0.3, frequency_levels=(1.0, 0.5)
    )
    level, freq = 1, 0.8  # run at half of f = 1.6 GHz
    cycles = 4 * 250e-3 * 8 * 0.5  # Gcycles
    compute = cycles / (freq * 0.5)
    comm = (10.0 * 8 + 4 * 2.0 * 8) / 100.0
    energy = 1.2 * cycles * (freq * 0.5) ** 2 + (0.4 + 0.1 * freq**2) * compute + (0.3 + 0.05 * freq**2) * comm
    ev = evaluate(inst, PlacementDecision(neurons=(((4,),),), levels=((level,),)))
    assert ev.feasible, ev.violations
    assert ev.metrics["time_s"] == pytest.approx(compute + comm, rel=1e-12)
    assert ev.metrics["energy_j"] == pytest.approx(energy, rel=1e-12)
    # the reference is the same placement at the top level: Eq. (10) normalises by it
    top_compute = cycles / (1.6 * 0.5)
    top_energy = 1.2 * cycles * 0.8**2 + (0.4 + 0.1 * 1.6**2) * top_compute + (0.3 + 0.05 * 1.6**2) * comm
    assert inst.reference == pytest.approx((top_energy, top_compute + comm), rel=1e-12)
    expected = 0.3 * energy / top_energy + 0.7 * (compute + comm) / (top_compute + comm)
    assert ev.objective == pytest.approx(expected, rel=1e-12)
    assert evaluate(inst, PlacementDecision(neurons=(((4,),),))).objective == pytest.approx(1.0, rel=1e-12)


def test_layer_time_is_the_slowest_device_and_waiting_is_measured(inst, feasible):
    ev = evaluate(inst, feasible)
    v = inst.top_level
    waiting = 0.0
    for k in range(inst.n_iterations):
        t, counts = inst.terms(k), np.array(feasible.neurons[k])
        used = counts > 0
        device_time = counts * t.neuron_time_s[v] + used * t.input_time_s  # Eq. (4)
        layer_time = device_time.max(axis=1)  # Eq. (5)
        assert ev.metrics[f"time_s_iter{k}"] == pytest.approx(layer_time.sum())
        waiting += (layer_time[:, None] - device_time)[used].sum()
    assert ev.metrics["waiting_s"] == pytest.approx(waiting)
    assert ev.metrics["waiting_s"] > 0
    assert sum(ev.metrics[f"time_s_iter{k}"] for k in range(inst.n_iterations)) == pytest.approx(ev.metrics["time_s"])


def _replace(decision, k, l, row):
    neurons = [list(map(list, it)) for it in decision.neurons]
    neurons[k][l] = list(row)
    return PlacementDecision(neurons=tuple(tuple(map(tuple, it)) for it in neurons), levels=decision.levels)


def test_missing_and_duplicated_neurons_are_flagged(inst, feasible):
    row = list(feasible.neurons[1][2])
    i = int(np.argmax(row))
    fewer = row.copy()
    fewer[i] -= 1
    more = row.copy()
    more[i] += 1
    for bad in (fewer, more):
        ev = evaluate(inst, _replace(feasible, 1, 2, bad))
        assert not ev.feasible
        assert ev.violations == [
            f"iteration 1 layer 2: {sum(bad)} neurons placed, the layer has {inst.neurons[2]} "
            "(each neuron exactly once)"
        ]


def test_memory_overflow_is_flagged(inst, feasible):
    i = int(np.argmin(inst.memory_mb))
    counts = np.zeros((inst.n_layers, inst.n_devices), dtype=int)
    counts[:, i] = inst.neurons
    assert inst.memory_per_neuron_mb @ inst.neurons > inst.memory_mb[i]
    ev = evaluate(inst, PlacementDecision.repeated(counts, inst.n_iterations))
    assert not ev.feasible
    assert len(ev.violations) == inst.n_iterations and all(
        f"device {i}:" in v and "> memory" in v for v in ev.violations
    )


@pytest.mark.parametrize(
    "change,expected",
    [
        (lambda d: PlacementDecision(neurons=d.neurons[:-1]), "neurons has 2 iterations, the trace has 3"),
        (lambda d: _replace(d, 0, 0, (-1,) + d.neurons[0][0][1:]), "neuron counts must be integers in 0.."),
        (lambda d: _replace(d, 0, 0, d.neurons[0][0][:-1]), "2 device counts for 3 devices"),
        (lambda d: PlacementDecision(neurons=d.neurons, levels=((0, 0, 2),) * 3), "levels must be 3 indices in 0..1"),
    ],
)
def test_malformed_decisions_are_flagged(inst, feasible, change, expected):
    ev = evaluate(inst, change(feasible))
    assert not ev.feasible
    assert any(expected in v for v in ev.violations), ev.violations


@pytest.mark.parametrize(
    "path,value,message",
    [
        (("alpha",), 1.5, "alpha: must be in [0, 1]"),
        (("trace", 1, 0, "capacity_share"), 0.0, "trace[1][0].capacity_share: must be in [1e-09, 1]"),
        (("trace", 0, 2, "freq_ghz"), 99.0, "trace[0][2].freq_ghz: exceeds the device's f_max_ghz"),
        (("layers", 1, "neurons"), 0, "layers[1].neurons: must be an integer in [1, 1000000000]"),
        (("devices", 0, "cycles_per_flop"), -1.0, "devices[0].cycles_per_flop: must be a positive number"),
        (("frequency_levels",), [1.0, 1.0], "frequency_levels: levels must be distinct"),
        (("layers", 0, "neurons"), "many", "layers[0].neurons: expected an integer"),
    ],
)
def test_bad_instance_fields_are_named(inst, path, value, message):
    data = json.loads(json.dumps(instance_to_dict(inst)))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(cpnopt.InputError) as err:
        instance_from_dict(data)
    assert str(err.value).startswith(message)


def test_model_that_fits_nowhere_is_rejected(inst):
    data = json.loads(json.dumps(instance_to_dict(inst)))
    for device in data["devices"]:
        device["memory_mb"] = 0.01
    with pytest.raises(cpnopt.InputError, match="no placement fits the devices' memory"):
        instance_from_dict(data)


def test_cli_bad_parameter_is_one_line_exit_2(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "cpnopt.cli",
            "generate",
            "placement",
            "--set",
            "alpha=2",
            "-o",
            str(tmp_path / "x.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == ["error: alpha: must be in [0, 1] (got 2.0)"]
