"""Topologies from topohub: only topohub's own keys are read (its loader joins the key into a path);
Gabriel graphs as defined."""

import importlib.resources
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from cpnopt.errors import InputError
from cpnopt.topology import from_topohub, gabriel_edges, topohub_keys


def test_real_keys_are_accepted():
    keys = topohub_keys()
    assert {"sndlib/abilene", "topozoo/Abilene", "gabriel/25/0"} <= keys
    assert from_topohub("sndlib/abilene").n_nodes == 12


def test_a_key_that_climbs_out_of_topohub_is_refused(tmp_path):
    """'../…' reached any JSON file on the machine through topohub's data/{key}.json."""
    import topohub

    graph = {
        "graph": {"demands": {}},
        "nodes": [{"id": 0, "pos": [0.0, 0.0]}, {"id": 1, "pos": [1.0, 1.0]}],
        "edges": [{"source": 0, "target": 1}],
    }
    (tmp_path / "outside.json").write_text(json.dumps(graph))
    data_dir = os.fspath(importlib.resources.files(topohub) / "data")
    key = os.path.relpath(tmp_path / "outside", data_dir)
    assert key.startswith("..")
    with pytest.raises(InputError, match="not a topohub key"):
        from_topohub(key)
    for bad in ("sndlib/", "sndlib/../sndlib/abilene", 7):
        with pytest.raises(InputError, match="topology"):
            from_topohub(bad)


def test_cli_says_one_line_with_how_to_list_the_keys(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from cpnopt.cli import main; main()",
            "generate",
            "routing",
            "--set",
            'topology="../../etc/x"',
            "-o",
            str(tmp_path / "r.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "topology" in lines[0] and "topohub_keys" in lines[0]
    assert not (tmp_path / "r.json").exists()


def _gabriel_by_definition(xy: np.ndarray) -> list[tuple[int, int]]:
    """Pair by pair: no third point strictly inside the circle with diameter uv."""
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=-1)
    n = len(xy)
    return [
        (u, v)
        for u in range(n)
        for v in range(u + 1, n)
        if not any(d2[u, w] + d2[v, w] < d2[u, v] for w in range(n) if w not in (u, v))
    ]


@pytest.mark.parametrize("n", [2, 3, 9, 31])
def test_gabriel_edges_match_the_definition(n):
    """The vectorised test gives the same edges, in the same order, as the pairwise definition,
    also on a grid (points on the circles: not inside)."""
    rng = np.random.default_rng(n)
    for xy in (rng.uniform(0, 100, size=(n, 2)), np.array([[i % 3, i // 3] for i in range(n)], dtype=float)):
        assert gabriel_edges(xy) == _gabriel_by_definition(xy)
