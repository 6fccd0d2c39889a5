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
    processes = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                   "--port", str(port), "--no-dashboard"], stdout=logs[0], stderr=logs[0], env=env,
                                  cwd=tmp_path, start_new_session=True)]
    try:
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", str(n_workers),
             "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(tmp_path)],
            stdout=logs[1], stderr=logs[1], env=env, cwd=tmp_path, start_new_session=True))
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
    run = subprocess.run([sys.executable, "-c", "from cpnopt.cli import main; main()", *args], cwd=cwd,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def test_real_dask_cluster_gives_the_local_table(tmp_path):
    """2 of 28 runs were 'HiGHS ended with unknown' on a real cluster (a worker process runs many jobs)."""
    tables = {}
    with dask_cluster(tmp_path) as address:
        _cpnopt("bench", "run", str(SUITE), "--quick", "--db", str(tmp_path / "dask.db"), "--json",
                "--executor", "dask", "--scheduler", address, cwd=tmp_path)
    _cpnopt("bench", "run", str(SUITE), "--quick", "--db", str(tmp_path / "local.db"), "--json", "--workers", "2",
            cwd=tmp_path)
    for name in ("local", "dask"):
        tables[name] = _cpnopt("bench", "table", "--db", str(tmp_path / f"{name}.db"), "--suite", "clustering-servers",
                               "--quick", "--format", "csv", "--no-runtime", cwd=tmp_path).stdout
    assert "error" not in tables["dask"]
    assert tables["dask"] == tables["local"]
