"""The harness: suites, resumable store (kill -9), isolation, Dask, deterministic tables, plots."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cpnopt.bench.runner import execute, run_suite
from cpnopt.bench.store import RunRecord, Store
from cpnopt.bench.suite import load_suite, suite_from_dict
from cpnopt.bench.tables import build_table, to_csv, to_latex, to_markdown
from cpnopt.errors import InputError

SUITE = """
name = "tiny"
family = "clustering"
seeds = [0, 1]
reference = "milp"
metrics = ["platform_profit", "offloading_rate"]
job_timeout_s = 120

[params]
n_slots = 2
arrivals_per_slot = 3
n_metro_areas = 2

[sweep]
n_servers = {{ start = 4, stop = {stop}, step = 1 }}

[[methods]]
name = "milp"
options = {{ time_limit = 30, threads = 1 }}

[[methods]]
name = "km-rea"

[[methods]]
name = "rand-ob-rea"
options = {{ gamma = 0.9, seed = 1 }}
"""


def write_suite(tmp_path: Path, stop: int = 5) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(SUITE.format(stop=stop))
    return path


def row_set(db: Path) -> set:
    with Store(db) as store:
        return {
            (r["point"]["n_servers"], r["seed"], r["label"], r["status"], round(r["objective"], 4))
            for r in store.runs("tiny")
        }


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cpnopt.cli", *args], capture_output=True, text=True)


def test_suite_parsing_ranges_quick_and_errors(tmp_path):
    suite = load_suite(write_suite(tmp_path, stop=7))
    assert suite.sweep == {"n_servers": [4, 5, 6, 7]}
    assert len(suite.jobs()) == 4 * 2 * 3
    assert [m.label for m in suite.methods] == ["milp", "km-rea", "rand-ob-rea gamma=0.9 seed=1"]
    base = {"family": "clustering", "methods": [{"name": "km-rea"}]}
    with pytest.raises(InputError, match="sweep.n_serverz"):
        suite_from_dict({**base, "sweep": {"n_serverz": [3]}})
    with pytest.raises(InputError, match=r"methods\[0\].options.gama"):
        suite_from_dict({**base, "methods": [{"name": "km-rea", "options": {"gama": 3}}]})
    with pytest.raises(InputError, match=r"methods\[0\].options.time_limit"):
        suite_from_dict({**base, "methods": [{"name": "km-rea", "options": {"time_limit": 0}}]})
    with pytest.raises(InputError, match="colour"):
        suite_from_dict({**base, "colour": "red"})
    with pytest.raises(InputError, match="quick"):
        suite_from_dict(base).quick_variant()
    repo_suites = sorted(Path(__file__).parents[1].joinpath("benchmarks", "suites").glob("*.toml"))
    assert repo_suites, "the paper suites ship with the repository"
    for path in repo_suites:
        quick = load_suite(path).quick_variant()
        assert quick.name.endswith("-quick") and quick.jobs()


def test_kill_9_mid_sweep_loses_nothing_and_resume_completes(tmp_path):
    suite_path = write_suite(tmp_path, stop=8)
    reference_db, killed_db = tmp_path / "reference.db", tmp_path / "killed.db"
    assert cli("bench", "run", str(suite_path), "--db", str(reference_db), "--json").returncode == 0

    proc = subprocess.Popen(
        [sys.executable, "-m", "cpnopt.cli", "bench", "run", str(suite_path), "--db", str(killed_db), "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 60
    written = 0
    while time.time() < deadline and written < 5:
        time.sleep(0.05)
        if killed_db.exists():
            try:
                with sqlite3.connect(killed_db) as conn:
                    written = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
            except sqlite3.OperationalError:
                pass
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its run processes, mid-sweep
    proc.wait()
    with sqlite3.connect(killed_db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        partial = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM runs WHERE finished_at IS NULL OR status IS NULL").fetchone()[0] == 0
    total = len(load_suite(suite_path).jobs())
    assert 5 <= partial < total, "the kill must land mid-sweep"
    survivors = row_set(killed_db)

    resumed = cli("bench", "run", str(suite_path), "--db", str(killed_db), "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert f'"skipped": {partial}' in resumed.stdout
    assert survivors <= row_set(killed_db)
    assert row_set(killed_db) == row_set(reference_db)


def test_editing_a_suites_parameters_reruns_its_jobs(tmp_path):
    path = write_suite(tmp_path)
    with Store(tmp_path / "r.db") as store:
        first = run_suite(load_suite(path), store, progress=False)
        path.write_text(path.read_text().replace("arrivals_per_slot = 3", "arrivals_per_slot = 2"))
        second = run_suite(load_suite(path), store, progress=False)
        assert second.skipped == 0 and second.ran == first.ran
        table = build_table(store, "tiny")
    assert sum(row.values["runtime_s"].n for row in table.rows) == second.ran  # only the edited suite's runs


def test_dask_local_cluster_gives_the_same_rows(tmp_path):
    suite = load_suite(write_suite(tmp_path))
    with Store(tmp_path / "local.db") as local, Store(tmp_path / "dask.db") as dask:
        assert run_suite(suite, local, workers=2, progress=False).failed == 0
        summary = run_suite(suite, dask, executor="dask", workers=2, progress=False)
        assert summary.ran == len(suite.jobs()) and summary.failed == 0
    assert row_set(tmp_path / "local.db") == row_set(tmp_path / "dask.db")


def test_a_hung_run_is_killed_and_recorded_as_time_limit(tmp_path):
    suite = load_suite(write_suite(tmp_path))
    job = next(j for j in suite.jobs() if j.method.name == "milp")
    record = execute(type(job)(**{**job.__dict__, "timeout_s": 0.001}))
    assert record.status == "time_limit" and "killed" in record.report["message"]
    failing = type(job)(**{**job.__dict__, "params": {**job.params, "n_servers": -1}})
    record = execute(failing)
    assert record.status == "error" and "params.n_servers" in record.report["message"]


def test_same_seeds_give_byte_identical_csv(tmp_path):
    suite_path = write_suite(tmp_path)
    tables = []
    for name in ("a.db", "b.db"):
        db = tmp_path / name
        assert cli("bench", "run", str(suite_path), "--db", str(db), "--json").returncode == 0
        out = tmp_path / f"{name}.csv"
        assert cli("bench", "table", "--db", str(db), "--format", "csv", "--no-runtime", "-o", str(out)).returncode == 0
        tables.append(out.read_bytes())
    assert tables[0] == tables[1]
    again = cli("bench", "table", "--db", str(tmp_path / "a.db"), "--format", "csv")
    assert again.stdout == cli("bench", "table", "--db", str(tmp_path / "a.db"), "--format", "csv").stdout


def _record(method, seed, status, objective, bound=None, highspy="1.15.1"):
    return RunRecord(
        suite="synthetic",
        family="clustering",
        point='{"n_servers":4}',
        params='{"n_servers":4}',
        seed=seed,
        method=method,
        label=method,
        options="{}",
        instance_hash=None,
        instance_json=None,
        status=status,
        objective=objective,
        bound=bound,
        gap=None,
        runtime_s=1.0,
        wall_s=1.0,
        feasible=objective is not None,
        metrics={"platform_profit": objective} if objective is not None else {},
        report={"sense": "max"},
        versions={"highspy": highspy, "pyomo": "6.10.1"},
        host="h",
        started_at="t",
        finished_at="t",
    )


def test_table_gaps_go_to_the_bound_when_the_reference_is_not_proven(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.save_suite(
            "synthetic",
            {
                "axes": ["n_servers"],
                "params": {},
                "metrics": ["platform_profit"],
                "reference": "milp",
                "methods": ["milp", "km-rea"],
            },
        )
        store.add(_record("milp", 0, "optimal", 100.0, 100.0))
        store.add(_record("milp", 1, "time_limit", 90.0, 120.0))
        store.add(_record("km-rea", 0, "feasible", 50.0))
        store.add(_record("km-rea", 1, "feasible", 60.0))
        store.add(_record("km-rea", 2, "error", None, highspy="1.16.0"))
        table = build_table(store, "synthetic")
    gap_column = next(c for c in table.columns if c.key == "gap")
    assert gap_column.title == "gap to bound (%)"
    heuristic = next(r for r in table.rows if r.method == "km-rea")
    assert heuristic.values["gap"].mean == pytest.approx((0.5 + 0.5) / 2)  # (100−50)/100, (120−60)/120
    assert heuristic.statuses == {"error": 1, "feasible": 2}
    milp = next(r for r in table.rows if r.method == "milp")
    assert milp.values["gap"].mean == pytest.approx((0.0 + 30 / 120) / 2)
    markdown = to_markdown(table)
    assert "**95.0 ± 7.1**" in markdown  # best profit in bold
    latex = to_latex(table)
    assert r"\toprule" in latex and r"\textbf{" in latex
    # the tables name the solver versions their runs were made with
    assert "Made with highspy 1.15.1 / 1.16.0, pyomo 6.10.1." in markdown
    assert latex.rstrip().endswith("% made with highspy 1.15.1 / 1.16.0, pyomo 6.10.1")
    assert to_csv(table).splitlines()[0].startswith("n_servers,method,platform_profit_mean")


def test_plots_are_written_as_png_and_pdf(tmp_path):
    db = tmp_path / "p.db"
    assert cli("bench", "run", str(write_suite(tmp_path)), "--db", str(db), "--json").returncode == 0
    run = cli("bench", "plot", "--db", str(db), "--out-dir", str(tmp_path / "plots"))
    assert run.returncode == 0, run.stderr
    files = {Path(line).name for line in run.stdout.split()}
    for stem in ("tiny-platform_profit", "tiny-offloading_rate", "tiny-gap", "tiny-runtime_s"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= files
        assert (tmp_path / "plots" / f"{stem}.png").stat().st_size > 1000


def test_bench_errors_are_one_line(tmp_path):
    run = cli("bench", "table", "--db", str(tmp_path / "empty.db"), "--suite", "nope")
    assert run.returncode == 2 and run.stderr.startswith("error: suite")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = ")
    run = cli("bench", "run", str(bad))
    assert run.returncode == 2 and "invalid TOML" in run.stderr
