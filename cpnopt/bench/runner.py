"""Running a suite: every job in its own process, results written to the store as they finish.

The runner is written against :class:`concurrent.futures.Executor`: the local path uses a
thread pool (``--workers N`` threads, each waiting on its job's process), the Dask path
the executor of a ``distributed.Client`` (a given scheduler address, or a LocalCluster).
Each job runs in a child process forked from a preloaded fork server (in a daemonic
process, such as a Dask nanny's worker, which may not fork: in a fresh interpreter), so a
crash is recorded as ``error`` and a hang past the job's wall limit is killed and recorded
as ``time_limit``; neither stops the sweep, and no run shares solver state with another. Only the submitting process writes the store.
As with any multiprocessing start method other than fork, a script that calls
:func:`run_suite` must guard its top level with ``if __name__ == "__main__":`` (the fork
server imports the main module once).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import multiprocessing as mp
import pickle
import platform
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cpnopt.api import generate, solve
from cpnopt.bench.store import RunRecord, Store
from cpnopt.bench.suite import Job, Suite, canonical
from cpnopt.files import instance_to_dict
from cpnopt.jsonio import to_dict
from cpnopt.registry import get_family

# Imported once by the fork server, so a run's process starts in milliseconds. '__main__' is
# there because each child otherwise re-imports the main module (the whole CLI, say).
PRELOAD = ["__main__", "cpnopt", "cpnopt.bench.runner"]


@dataclass(frozen=True)
class RunSummary:
    total: int
    skipped: int
    ran: int
    failed: int
    wall_s: float


@functools.cache
def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("cpnopt", "highspy", "pyomo", "cvxpy", "numpy", "torch"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def _record(job: Job, started: str, wall_s: float, **fields: Any) -> RunRecord:
    base: dict[str, Any] = dict(
        suite=job.suite,
        family=job.family,
        point=job.point_key,
        params=job.params_key,
        seed=job.seed,
        method=job.method.name,
        label=job.method.label,
        options=job.options_key,
        instance_hash=None,
        instance_json=None,
        objective=None,
        bound=None,
        gap=None,
        runtime_s=None,
        wall_s=wall_s,
        feasible=False,
        metrics={},
        report={},
        versions=dict(versions()),
        host=socket.gethostname(),
        started_at=started,
        finished_at=_now(),
    )
    base.update(fields)
    return RunRecord(**base)


def run_in_process(job: Job) -> RunRecord:
    """Generate the job's instance, solve it, score it: the body of one isolated run."""
    started, t0 = _now(), time.perf_counter()
    try:
        family = get_family(job.family)
        instance = generate(job.family, seed=job.seed, **job.params)
        instance_json = canonical(instance_to_dict(instance))
        solution = solve(instance, job.method.name, **job.method.options)
        summary = solution.summary()
        return _record(
            job,
            started,
            time.perf_counter() - t0,
            instance_hash=hashlib.sha256(instance_json.encode()).hexdigest(),
            instance_json=instance_json,
            status=summary["status"],
            objective=summary["objective"],
            bound=summary["bound"],
            gap=summary["gap"] if summary["gap"] is not None and math.isfinite(summary["gap"]) else None,
            runtime_s=summary["runtime_s"],
            feasible=summary["feasible"],
            metrics=summary["metrics"],
            report=json.loads(json.dumps(to_dict(solution.report))) | {"sense": family.sense.value},
        )
    except Exception as exc:  # recorded, never raised: one failing run must not stop a sweep
        return _record(
            job,
            started,
            time.perf_counter() - t0,
            status="error",
            report={"message": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()},
        )


def _child(conn: Any, job: Job) -> None:
    conn.send(run_in_process(job))
    conn.close()


def _killed(job: Job, started: str, t0: float) -> RunRecord:
    return _record(
        job,
        started,
        time.perf_counter() - t0,
        status="time_limit",
        report={"message": f"killed after the job's wall limit of {job.timeout_s} s"},
    )


def _died(job: Job, started: str, t0: float, exitcode: int | None) -> RunRecord:
    return _record(
        job,
        started,
        time.perf_counter() - t0,
        status="error",
        report={"message": f"the run's process died (exit code {exitcode})"},
    )


def execute(job: Job) -> RunRecord:
    """Run ``job`` in a child process with its wall limit; crash → error, hang → time_limit."""
    if mp.current_process().daemon:  # daemonic workers (e.g. Dask nannies) cannot have children
        return execute_in_interpreter(job)
    ctx = mp.get_context("forkserver")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(send, job))
    started, t0 = _now(), time.perf_counter()
    process.start()
    send.close()
    try:
        if receive.poll(job.timeout_s):
            record: RunRecord = receive.recv()
            return replace(record, wall_s=time.perf_counter() - t0)  # fork, generation, solve, IPC
        process.kill()
        return _killed(job, started, t0)
    except EOFError:
        process.join()
        return _died(job, started, t0, process.exitcode)
    finally:
        process.join()
        receive.close()


def execute_in_interpreter(job: Job) -> RunRecord:
    """Run ``job`` in a fresh interpreter (``python -m cpnopt.bench.runner JOB RECORD``) with its
    wall limit: where multiprocessing may not start children, a run is as isolated as a forked one
    (no solver state or module state shared with the worker's other runs), at an interpreter's start-up."""
    started, t0 = _now(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cpnopt-run-") as folder:
        job_file, record_file = Path(folder, "job.pickle"), Path(folder, "record.pickle")
        job_file.write_bytes(pickle.dumps(job))
        try:
            process = subprocess.run(
                [sys.executable, "-m", "cpnopt.bench.runner", str(job_file), str(record_file)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=job.timeout_s,
            )
        except subprocess.TimeoutExpired:  # subprocess.run kills the child
            return _killed(job, started, t0)
        if process.returncode != 0 or not record_file.exists():
            return _died(job, started, t0, process.returncode)
        record: RunRecord = pickle.loads(record_file.read_bytes())
    return replace(record, wall_s=time.perf_counter() - t0)


def make_executor(kind: str, workers: int, scheduler: str | None = None) -> tuple[Executor, Any, int]:
    """A concurrent.futures executor, the object to close after it (a Dask client, or None),
    and how many runs it executes at once."""
    if kind == "local":
        return ThreadPoolExecutor(max_workers=workers), None, workers
    if kind == "dask":
        from distributed import Client, LocalCluster

        client = (
            Client(scheduler)
            if scheduler
            else Client(LocalCluster(n_workers=1, threads_per_worker=workers, processes=False, dashboard_address=None))
        )
        return client.get_executor(pure=False), client, max(1, sum(client.nthreads().values()))
    raise ValueError(f"unknown executor {kind!r}")


def run_key(job: Job) -> tuple[str, str, int, str, str]:
    return (job.suite, job.params_key, job.seed, job.method.name, job.options_key)


def run_suite(
    suite: Suite,
    store: Store,
    executor: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
) -> RunSummary:
    """Run every job of ``suite`` not yet in ``store``; see the module docstring.

    Only as many runs as the executor runs at once are in flight, each claimed in the store
    just before it is submitted, so several runners on one store split the work; runs
    another live runner holds are left to it (counted as skipped).
    """
    t0 = time.perf_counter()
    jobs = suite.jobs()
    done = store.done_keys(suite.name)
    pending = deque(j for j in jobs if (j.params_key, j.seed, j.method.name, j.options_key) not in done)
    n_pending = len(pending)
    try:
        mp.get_context("forkserver").set_forkserver_preload(PRELOAD + list(get_family(suite.family).method_modules))
    except ValueError:
        pass
    store.save_suite(
        suite.name,
        {
            "family": suite.family,
            "axes": list(suite.sweep),
            "params": suite.params,
            "metrics": list(suite.metrics),
            "reference": suite.reference,
            "methods": [m.label for m in suite.methods],
            "description": suite.description,
            "time_budget_s": suite.time_budget_s,
        },
    )
    pool, closer, capacity = make_executor(executor, workers, scheduler)
    failed = ran = 0
    bar = tqdm(
        total=len(jobs),
        initial=len(jobs) - n_pending,
        desc=suite.name,
        disable=not progress,
        file=sys.stderr,
        unit="run",
    )
    in_flight: set[Future] = set()

    def submit_more() -> None:
        while pending and len(in_flight) < capacity:
            job = pending.popleft()
            if store.claim(run_key(job), job.timeout_s):
                in_flight.add(pool.submit(execute, job))
            else:  # finished or held by another runner
                bar.update()

    try:
        submit_more()
        while in_flight:
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                in_flight.discard(future)
                record = future.result()
                store.add(record)
                ran += 1
                failed += record.status == "error"
                bar.update()
                bar.set_postfix(failed=failed)
            submit_more()
    finally:
        bar.close()
        for future in in_flight:
            future.cancel()
        pool.shutdown(wait=True)
        if closer is not None:
            closer.close()
        store.release_claims()
    return RunSummary(total=len(jobs), skipped=len(jobs) - ran, ran=ran, failed=failed, wall_s=time.perf_counter() - t0)


if __name__ == "__main__":  # execute_in_interpreter's child: JOB_FILE RECORD_FILE
    _job_file, _record_file = sys.argv[1:3]
    Path(_record_file).write_bytes(pickle.dumps(run_in_process(pickle.loads(Path(_job_file).read_bytes()))))
