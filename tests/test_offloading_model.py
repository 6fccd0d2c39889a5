"""Offloading instances: generator, JSON round trip, latency model and table loader, candidates, bad input."""

import dataclasses
import json

import numpy as np
import pytest

import cpnopt
from cpnopt.files import instance_from_dict, instance_to_dict
from cpnopt.problems.offloading.latency import (
    Cell,
    analytic_latency_ms,
    load_latency_table,
    network_flops,
    random_cell,
    standard_devices,
)


@pytest.fixture(scope="module")
def abilene():
    return cpnopt.generate("offloading", seed=3)


def test_same_seed_same_instance_and_json_round_trip(abilene):
    again = cpnopt.generate("offloading", seed=3)
    assert again == abilene
    data = json.loads(json.dumps(instance_to_dict(abilene)))
    assert instance_from_dict(data) == abilene


def test_abilene_has_the_papers_30_directed_links(abilene):
    assert abilene.n_nodes == 12 and len(abilene.directed_links) == 30
    assert 2 <= len(abilene.access_points) <= 4
    assert not set(abilene.access_points) & {c.node for c in abilene.compute_nodes}


def test_state_varies_over_time_and_stays_in_range(abilene):
    background = np.asarray(abilene.background)
    assert abilene.n_slots > 1 and np.ptp(background, axis=0).max() > 0
    assert background.min() >= 0.1 - 1e-12 and background.max() <= 0.7 + 1e-12


def test_candidates_are_top_n_and_paths_link_disjoint(abilene):
    for j, task in enumerate(abilene.tasks):
        cands = abilene.candidates[j]
        assert len(cands) == abilene.n_candidates
        score = abilene.computation_s[j] + abilene.hop_weight_s * abilene.hops[task.access_point]
        outside = [c for c in range(len(abilene.compute_nodes)) if c not in cands]
        assert max(score[list(cands)]) <= min(score[outside], default=np.inf) + 1e-12
        for c in cands:
            paths = abilene.paths(task.access_point, c)
            assert 1 <= len(paths) <= abilene.k_paths
            links = [e for p in paths for e in p.links]
            assert len(links) == len(set(links))
            for p in paths:  # each path is a walk from the access point to the node
                ends = [abilene.directed_links[e] for e in p.links]
                assert ends[0][0] == abilene.access_points[task.access_point]
                assert ends[-1][1] == abilene.compute_nodes[c].node
                assert all(a[1] == b[0] for a, b in zip(ends, ends[1:]))
            delays = [p.delay_s for p in paths]
            assert delays == sorted(delays)


def test_synthetic_gabriel_topology():
    inst = cpnopt.generate("offloading", seed=1, topology="gabriel", gabriel_nodes=15, n_tasks=5)
    assert inst.n_nodes == 15 and inst.topology == "gabriel-15"


def test_cell_string_round_trip_and_flops_order():
    rng = np.random.default_rng(0)
    for _ in range(20):
        cell = random_cell(rng)
        assert Cell.from_arch_str(cell.arch_str()) == cell
        assert cell.adjacency.sum() == int((cell.op_matrix() > 0).sum())
    empty = Cell.from_arch_str("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    heavy = Cell.from_arch_str(
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    )
    assert network_flops(heavy) > network_flops(empty)
    table = analytic_latency_ms([empty, heavy], standard_devices())
    assert (table[1] > table[0]).all()
    assert len({d.kind for d in standard_devices()}) == 3 and len(standard_devices()) >= 23


def test_latency_table_loader_feeds_the_generator(tmp_path):
    rng = np.random.default_rng(1)
    cells = [random_cell(rng) for _ in range(4)]
    path = tmp_path / "hw.csv"
    lines = ["arch_str,edgegpu_latency,raspi4_latency,fpga_latency"]
    lines += [f"{c.arch_str()},{5 + i},{20 + i},{3 + i}" for i, c in enumerate(cells)]
    path.write_text("\n".join(lines) + "\n")
    table = load_latency_table(path)
    assert table.devices == ("edgegpu", "raspi4", "fpga") and table.latency_ms.shape == (4, 3)
    inst = cpnopt.generate("offloading", seed=0, latency_table=str(path), n_architectures=3, n_tasks=4)
    assert [d.kind for d in inst.devices] == ["gpu", "cpu", "other"]
    for arch, row in zip(inst.architectures, inst.latency_ms):
        assert list(row) == list(table.latency_ms[cells.index(arch)])


@pytest.mark.parametrize(
    "text,field",
    [
        ("arch_str,edgegpu_latency\n|bogus~0|+|none~0|none~1|+|none~0|none~1|none~2|,3\n", "operations"),
        ("arch_str,edgegpu_latency\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,fast\n", "edgegpu_latency"),
        ("arch_str,edgegpu_latency\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,-1\n", "edgegpu_latency"),
        ("arch,edgegpu_latency\nx,1\n", "latency_table"),
    ],
)
def test_bad_latency_table_names_the_cell(tmp_path, text, field):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(cpnopt.InputError, match=field):
        load_latency_table(path)


@pytest.mark.parametrize(
    "change,field",
    [
        (lambda i: {"flow_share": 0.0}, "flow_share"),
        (lambda i: {"flow_share": 1.0}, "flow_share"),
        (lambda i: {"k_paths": 0}, "k_paths"),
        (lambda i: {"links": i.links + (dataclasses.replace(i.links[0]),)}, "links"),
        (lambda i: {"links": (dataclasses.replace(i.links[0], capacity_mbps=-5.0),) + i.links[1:]}, "capacity_mbps"),
        (lambda i: {"links": i.links[:1]}, "disconnected"),
        (lambda i: {"access_points": (i.compute_nodes[0].node,)}, "compute_nodes"),
        (lambda i: {"tasks": i.tasks[::-1]}, "arrival order"),
        (lambda i: {"tasks": (dataclasses.replace(i.tasks[0], data_mb=0.0),) + i.tasks[1:]}, r"tasks\[0\].data_mb"),
        (
            lambda i: {"tasks": (dataclasses.replace(i.tasks[0], architecture=99),) + i.tasks[1:]},
            r"tasks\[0\].architecture",
        ),
        (lambda i: {"background": (tuple(1.0 for _ in i.background[0]),) + i.background[1:]}, r"background\[0\]\[0\]"),
        (lambda i: {"node_load": i.node_load[:-1]}, "node_load"),
        (lambda i: {"latency_ms": ((0.0,) + i.latency_ms[0][1:],) + i.latency_ms[1:]}, r"latency_ms\[0\]\[0\]"),
    ],
)
def test_bad_instance_names_the_field(abilene, change, field):
    with pytest.raises(cpnopt.InputError, match=field):
        dataclasses.replace(abilene, **change(abilene))


@pytest.mark.parametrize(
    "params,field",
    [
        ({"n_access_points": 12}, "n_access_points"),
        ({"background": [0.2, 1.0]}, "background"),
        ({"topology": "sndlib/nowhere"}, "topology"),
        ({"data_mb": [10, 5]}, "data_mb"),
        ({"n_tsks": 3}, "n_tsks"),
    ],
)
def test_bad_generator_parameters_name_the_field(params, field):
    with pytest.raises(cpnopt.InputError, match=field):
        cpnopt.generate("offloading", seed=0, **params)
