"""Runners sharing one store split the work: each run is claimed before it starts; a claim of a
dead process (or one older than the run's wall limit) expires."""

import json
import socket
import subprocess
import sys
import time

from cpnopt.bench.store import CLAIM_SLACK_S, Store
from cpnopt.bench.suite import load_suite

SUITE = """
name = "shared"
family = "clustering"
seeds = [0, 1, 2, 3]
metrics = ["platform_profit"]
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


def test_two_concurrent_runners_run_every_job_exactly_once(tmp_path):
    suite = tmp_path / "shared.toml"
    suite.write_text(SUITE)
    db = tmp_path / "r.db"
    Store(db).close()  # the schema exists before both start
    command = [
        sys.executable,
        "-c",
        "from cpnopt.cli import main; main()",
        "bench",
        "run",
        str(suite),
        "--db",
        str(db),
        "--json",
    ]
    runners = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    summaries = []
    for runner in runners:
        out, err = runner.communicate(timeout=600)
        assert runner.returncode == 0, err
        summaries.append(json.loads(out))
    total = len(load_suite(suite).jobs())
    assert sum(s["ran"] for s in summaries) == total  # without claims each runner ran all of them
    assert all(s["ran"] > 0 for s in summaries)
    with Store(db) as store:
        runs = list(store.runs("shared"))
        assert len(runs) == total and all(r["status"] in ("optimal", "feasible") for r in runs)
        assert store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_a_claim_expires_when_its_process_is_gone_or_too_old(tmp_path):
    key = ("s", "{}", 0, "km-rea", "{}")
    host = socket.gethostname()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        with Store(tmp_path / "c.db") as store:

            def held_by(pid, age_s=0.0, on=host):
                store.conn.execute("DELETE FROM claims")
                store.conn.execute(
                    "INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (*key, on, pid, time.time() - age_s)
                )
                store.conn.commit()

            held_by(sleeper.pid)
            assert not store.claim(key, timeout_s=10)  # a live runner's claim is honoured
            held_by(sleeper.pid, on="elsewhere")
            assert not store.claim(key, timeout_s=10)  # a pid on another host is not checked
            held_by(sleeper.pid, age_s=10 + CLAIM_SLACK_S + 1, on="elsewhere")
            assert store.claim(key, timeout_s=10)  # older than the run's wall limit
            held_by(gone.pid)
            assert store.claim(key, timeout_s=10)  # its process is gone
            assert store.claim(key, timeout_s=10)  # our own claim stays ours
            store.release_claims()
            assert store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    finally:
        sleeper.kill()
        sleeper.wait()
