"""The GWP generator: MobileNet V1 as published, reproducible draws, traces that move."""

import numpy as np
import pytest

import cpnopt
from cpnopt.problems.placement import mobilenet_layers
from cpnopt.problems.placement.generator import BYTES_PER_PARAMETER, TRAINING_FACTOR


def test_mobilenet_matches_the_published_size():
    """Howard et al. 2017, MobileNet V1 1.0-224: 569 M multiply-adds, 4.2 M parameters."""
    layers = mobilenet_layers()
    macs = sum(l.neurons * l.mflop_per_neuron for l in layers) * 1e6 / TRAINING_FACTOR / 2
    assert macs == pytest.approx(569e6, rel=0.01)
    # memory = parameter bytes + batch × activation bytes: two batch sizes separate them
    one, two = mobilenet_layers(batch_size=1), mobilenet_layers(batch_size=2)
    params = sum(a.neurons * (2 * a.memory_mb_per_neuron - b.memory_mb_per_neuron) * 1e6 for a, b in zip(one, two))
    assert params / BYTES_PER_PARAMETER == pytest.approx(4.2e6, rel=0.02)
    assert sum(l.neurons for l in layers) == 6984


def test_same_seed_same_instance_other_seed_other_instance():
    assert cpnopt.generate("placement", seed=5) == cpnopt.generate("placement", seed=5)
    assert cpnopt.generate("placement", seed=5) != cpnopt.generate("placement", seed=6)


def test_width_multiplier_and_layers_shrink_the_model():
    inst = cpnopt.generate("placement", n_layers=2, width_multiplier=0.0625)
    assert inst.neurons.tolist() == [2, 4]


def test_trace_moves_and_bandwidth_switches_between_two_states():
    inst = cpnopt.generate("placement", seed=1, n_devices=5, n_iterations=40)
    states = [inst.state(k) for k in range(inst.n_iterations)]
    u, f, b = (np.array([s[j] for s in states]) for j in range(3))
    assert np.all(u.std(axis=0) > 0.02) and np.all(f.std(axis=0) > 0.02)
    for i in range(inst.n_devices):
        levels = np.unique(b[:, i].round(9))
        assert len(levels) == 2 and levels[0] == pytest.approx(0.25 * levels[1])


def test_bad_parameter_is_named():
    with pytest.raises(cpnopt.InputError, match="params.n_layers"):
        cpnopt.generate("placement", n_layers=99)
    with pytest.raises(cpnopt.InputError, match="params.memory_slack"):
        cpnopt.generate("placement", memory_slack=0.5)
