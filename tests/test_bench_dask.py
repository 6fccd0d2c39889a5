"""Scale-out: a real Dask scheduler and worker processes on 127.0.0.1 (not a LocalCluster) give
the local executor's table, run for run."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]
SUITE = REPO / "benchmarks" / "suites" / "clustering-servers.toml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(tmp_path: Path, n_workers: int = 2):
    """`dask scheduler` + `dask worker --nworkers N --nthreads 1` as processes; always torn down."""
    distributed = pytest.importorskip("distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = [open(tmp_path / name, "w") for name in ("scheduler.log", "worker.log")]
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "True"}  # the default: nanny processes are daemonic
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=logs[0],
            stderr=logs[0],
            env=env,
            cwd=tmp_path,
            start_new_session=True,
        )
    ]
    try:
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--nworkers",
                    str(n_workers),
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                    "--local-directory",
                    str(tmp_path),
                ],
                stdout=logs[1],
                stderr=logs[1],
                env=env,
                cwd=tmp_path,
                start_new_session=True,
            )
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                with distributed.Client(address, timeout=10) as client:
                    client.wait_for_workers(n_workers, timeout=max(1.0, deadline - time.monotonic()))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
        for log in logs:
            log.close()


def _cpnopt(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, "-c", "from cpnopt.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run


TINY = """
name = "tiny-dask"
family = "clustering"
seeds = [0]
reference = "milp"
metrics = ["platform_profit", "offloading_rate"]
job_timeout_s = 120
[params]
n_slots = 2
arrivals_per_slot = 3
n_metro_areas = 2
[sweep]
n_servers = [4, 5]
[[methods]]
name = "milp"
options = { time_limit = 30, threads = 1 }
[[methods]]
name = "km-rea"
"""


def _dask_equals_local(tmp_path: Path, suite: Path, name: str, *quick: str) -> None:
    with dask_cluster(tmp_path) as address:
        _cpnopt(
            "bench",
            "run",
            str(suite),
            *quick,
            "--db",
            str(tmp_path / "dask.db"),
            "--json",
            "--executor",
            "dask",
            "--scheduler",
            address,
            cwd=tmp_path,
        )
    _cpnopt(
        "bench", "run", str(suite), *quick, "--db", str(tmp_path / "local.db"), "--json", "--workers", "2", cwd=tmp_path
    )
    tables = {
        db: _cpnopt(
            "bench",
            "table",
            "--db",
            str(tmp_path / f"{db}.db"),
            "--suite",
            name,
            *quick,
            "--format",
            "csv",
            "--no-runtime",
            cwd=tmp_path,
        ).stdout
        for db in ("local", "dask")
    }
    assert "error" not in tables["dask"] and "time_limit" not in tables["dask"]
    assert tables["dask"] == tables["local"]


def test_real_dask_cluster_gives_the_local_table(tmp_path):
    suite = tmp_path / "tiny-dask.toml"
    suite.write_text(TINY)
    _dask_equals_local(tmp_path, suite, "tiny-dask")


@pytest.mark.slow
def test_real_dask_cluster_gives_the_local_table_for_clustering_servers_quick(tmp_path):
    """2 of 28 runs were 'HiGHS ended with unknown' on a real cluster (a worker process ran many jobs)."""
    _dask_equals_local(tmp_path, SUITE, "clustering-servers", "--quick")


def test_a_run_in_a_fresh_interpreter_is_recorded_like_a_forked_one(tmp_path):
    """Daemonic workers (Dask nannies) may not fork: their runs go to a fresh interpreter, isolated
    and with the wall limit, instead of running inside the worker beside its other runs."""
    from cpnopt.bench.runner import execute, execute_in_interpreter
    from cpnopt.bench.suite import load_suite

    suite = load_suite(SUITE).quick_variant()
    job = next(j for j in suite.jobs() if j.method.name == "km-rea")
    fresh, forked = execute_in_interpreter(job), execute(job)
    assert fresh.status == forked.status == "feasible" and fresh.objective == forked.objective
    assert fresh.instance_hash == forked.instance_hash and fresh.wall_s > 0
    slow = next(j for j in suite.jobs() if j.method.name == "milp")
    assert execute_in_interpreter(type(slow)(**{**slow.__dict__, "timeout_s": 0.5})).status == "time_limit"
    broken = type(job)(**{**job.__dict__, "params": {**job.params, "n_servers": -1}})
    record = execute_in_interpreter(broken)
    assert record.status == "error" and "n_servers" in record.report["message"]
