"""The harness's files and paths: plot names stay in --out-dir, sweeps of lists plot, the paper
script goes on past a failing suite and writes outside the repository by default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cpnopt.bench.plots import plot_table
from cpnopt.bench.store import RunRecord, Store
from cpnopt.bench.suite import suite_from_dict
from cpnopt.bench.tables import build_table
from cpnopt.errors import InputError

REPO = Path(__file__).parents[1]


def _record(suite, point, seed, method, objective):
    return RunRecord(
        suite=suite,
        family="routing",
        point=point,
        params=point,
        seed=seed,
        method=method,
        label=method,
        options="{}",
        instance_hash=None,
        instance_json=None,
        status="optimal",
        objective=objective,
        bound=objective,
        gap=0.0,
        runtime_s=0.5,
        wall_s=1.0,
        feasible=True,
        metrics={"profit": objective},
        report={"sense": "max"},
        versions={},
        host="h",
        started_at="t",
        finished_at="t",
    )


def _store(path, suite, axis, values):
    store = Store(path)
    store.save_suite(
        suite,
        {"axes": [axis], "params": {}, "metrics": ["profit"], "reference": "milp", "methods": ["milp", "nearest"]},
    )
    for i, value in enumerate(values):
        shown = str(value).replace(" ", "").replace("'", '"')
        point = f'{{"{axis}":{shown}}}'
        for seed in (0, 1):
            store.add(_record(suite, point, seed, "milp", 10.0 + i + seed))
            store.add(_record(suite, point, seed, "nearest", 8.0 + i))
    return store


def test_plot_names_stay_inside_out_dir(tmp_path):
    """A suite named '../escaped' wrote its figures next to --out-dir, not in it."""
    out = tmp_path / "deep" / "plots"
    with _store(tmp_path / "s.db", "../escaped", "n_servers", [4, 5]) as store:
        written = plot_table(build_table(store, "../escaped"), out)
    assert written and all(path.parent == out for path in written)
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["plots"]
    assert {p.name for p in out.iterdir()} == {p.name for p in written}


@pytest.mark.parametrize("name", ["../escaped", "a/b", "", ".hidden", "x\\y"])
def test_suite_names_that_are_not_plain_file_names_are_refused(name):
    with pytest.raises(InputError, match="name"):
        suite_from_dict({"name": name, "family": "clustering", "methods": [{"name": "km-rea"}]})
    assert (
        suite_from_dict(
            {"name": "clustering-servers.v2_a", "family": "clustering", "methods": [{"name": "km-rea"}]}
        ).name
        == "clustering-servers.v2_a"
    )


def test_a_sweep_of_lists_plots(tmp_path):
    """routing-power sweeps power_tflops = [[1, 10], [1, 50]]: 'too many values to unpack' in bench plot."""
    with _store(tmp_path / "s.db", "power", "power_tflops", [[1.0, 10.0], [1.0, 50.0]]) as store:
        written = plot_table(build_table(store, "power"), tmp_path / "plots")
    assert {p.name for p in written} >= {"power-profit.png", "power-gap.pdf", "power-runtime_s.png"}
    assert all(p.stat().st_size > 1000 for p in written)


SUITE = """
name = "{name}"
family = "clustering"
seeds = [0]
metrics = ["platform_profit"]
job_timeout_s = 60
[params]
n_slots = 2
arrivals_per_slot = 2
n_metro_areas = 1
[sweep]
n_servers = [3, 4]
{extra_axis}
[[methods]]
name = "km-rea"
"""


def test_paper_script_goes_on_past_a_failing_suite_and_writes_outside_the_repo(tmp_path):
    """set -e stopped at the first failing suite; and the script rewrote benchmarks/results/."""
    suites = tmp_path / "suites"
    suites.mkdir()
    # two sweep axes: runs and tables work, the plot refuses (one line, exit 2)
    (suites / "a-two-axes.toml").write_text(SUITE.format(name="a-two-axes", extra_axis="n_slots = [1, 2]"))
    (suites / "b-tiny.toml").write_text(SUITE.format(name="b-tiny", extra_axis=""))
    results = tmp_path / "cache"
    env = {
        **os.environ,
        "CPNOPT_RESULTS_DIR": str(results),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    before = subprocess.run(
        ["git", "status", "--porcelain", "benchmarks"], cwd=REPO, capture_output=True, text=True
    ).stdout
    run = subprocess.run(
        ["bash", str(REPO / "benchmarks" / "run_paper_suites.sh"), "--suites", str(suites), "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stderr
    assert "failed suites: a-two-axes" in run.stderr
    out = results / "paper-suites"
    for suffix in ("md", "tex", "csv"):
        assert (out / f"b-tiny.{suffix}").stat().st_size > 0
    assert (out / "plots" / "b-tiny-platform_profit.png").exists()
    assert not list((out / "plots").glob("a-two-axes*"))
    after = subprocess.run(
        ["git", "status", "--porcelain", "benchmarks"], cwd=REPO, capture_output=True, text=True
    ).stdout
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "suites"]
