"""The results store: one SQLite database (WAL mode), one row per finished run.

Instances are stored once by the SHA-256 of their canonical JSON. Every run is written in
one transaction as it finishes (its instance, if new, and its row), so a sweep killed at
any moment leaves only whole rows, and re-running it skips what is there.

Runners that share a store split the work through claims: a runner claims a run (one row
in ``claims``, written in an immediate transaction) before starting it and the claim goes
when the run's row is written. A claim held by another runner is honoured unless it
expired: its process is gone (same host, pid not alive) or it is older than the run's
wall limit plus :data:`CLAIM_SLACK_S`.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpnopt.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    hash TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS suites (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    suite TEXT NOT NULL,
    family TEXT NOT NULL,
    point TEXT NOT NULL,
    params TEXT NOT NULL,
    seed INTEGER NOT NULL,
    method TEXT NOT NULL,
    label TEXT NOT NULL,
    options TEXT NOT NULL,
    instance_hash TEXT REFERENCES instances(hash),
    status TEXT NOT NULL,
    objective REAL,
    bound REAL,
    gap REAL,
    runtime_s REAL,
    wall_s REAL,
    feasible INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    report TEXT NOT NULL,
    versions TEXT NOT NULL,
    host TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    UNIQUE (suite, params, seed, method, options)
);
CREATE TABLE IF NOT EXISTS claims (
    suite TEXT NOT NULL,
    params TEXT NOT NULL,
    seed INTEGER NOT NULL,
    method TEXT NOT NULL,
    options TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    claimed_at REAL NOT NULL,  -- seconds since the epoch
    PRIMARY KEY (suite, params, seed, method, options)
);
"""

CLAIM_SLACK_S = 60.0  # process start, generation and IPC on top of a run's wall limit

RunKey = tuple[str, str, int, str, str]  # suite, params, seed, method, options


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


@dataclass(frozen=True)
class RunRecord:
    """What one run leaves in the store."""

    suite: str
    family: str
    point: str  # canonical JSON of the sweep values
    params: str  # canonical JSON of all generator parameters: editing a suite's params re-runs its jobs
    seed: int
    method: str
    label: str
    options: str  # canonical JSON
    instance_hash: str | None
    instance_json: str | None
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float | None  # the method's own time
    wall_s: float  # the whole run as the harness saw it: process start, generation, solve, evaluation
    feasible: bool
    metrics: dict[str, float]
    report: dict[str, Any]
    versions: dict[str, str]
    host: str
    started_at: str
    finished_at: str


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=60.0)  # waits for another runner's transaction
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
        except sqlite3.Error as exc:  # a missing folder, a directory, a file that is not SQLite, a full disk
            raise InputError("--db", str(self.path), f"cannot open the results store: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save_suite(self, name: str, definition: dict[str, Any]) -> None:
        """Remember how a suite's table is read: its sweep axes, metrics and reference method."""
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO suites (name, definition) VALUES (?, ?)",
                (name, json.dumps(definition, sort_keys=True)),
            )

    def suite_definition(self, name: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT definition FROM suites WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise InputError("suite", name, f"not in {self.path}; suites there: {', '.join(self.suites()) or 'none'}")
        return json.loads(row[0])

    def done_keys(self, suite: str) -> set[tuple[str, int, str, str]]:
        rows = self.conn.execute("SELECT params, seed, method, options FROM runs WHERE suite = ?", (suite,))
        return {tuple(r) for r in rows}

    def claim(self, key: RunKey, timeout_s: float) -> bool:
        """Claim the run ``key`` for this process; False when it is done or another live runner holds it."""
        host, pid, now = socket.gethostname(), os.getpid(), time.time()
        where = "suite = ? AND params = ? AND seed = ? AND method = ? AND options = ?"
        self.conn.execute("BEGIN IMMEDIATE")  # one runner at a time reads and writes the claim
        try:
            if self.conn.execute(f"SELECT 1 FROM runs WHERE {where}", key).fetchone():
                return False
            held = self.conn.execute(f"SELECT host, pid, claimed_at FROM claims WHERE {where}", key).fetchone()
            if held is not None and (held[0], held[1]) != (host, pid):
                expired = (held[0] == host and not _alive(held[1])) or now - held[2] > timeout_s + CLAIM_SLACK_S
                if not expired:
                    return False
            self.conn.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (*key, host, pid, now))
            return True
        finally:
            self.conn.commit()

    def release_claims(self) -> None:
        """Drop this process's claims (runs it will not finish)."""
        with self.conn:
            self.conn.execute("DELETE FROM claims WHERE host = ? AND pid = ?", (socket.gethostname(), os.getpid()))

    def add(self, record: RunRecord) -> None:
        """Write one run (and its instance, once) in a single transaction; its claim goes with it."""
        with self.conn:
            self.conn.execute(
                "DELETE FROM claims WHERE suite = ? AND params = ? AND seed = ? AND method = ? AND options = ?",
                (record.suite, record.params, record.seed, record.method, record.options),
            )
            if record.instance_hash is not None:
                self.conn.execute(
                    "INSERT OR IGNORE INTO instances (hash, family, data) VALUES (?, ?, ?)",
                    (record.instance_hash, record.family, record.instance_json),
                )
            self.conn.execute(
                """INSERT OR REPLACE INTO runs (suite, family, point, params, seed, method, label, options,
                   instance_hash, status, objective, bound, gap, runtime_s, wall_s, feasible, metrics, report,
                   versions, host, started_at, finished_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    record.suite,
                    record.family,
                    record.point,
                    record.params,
                    record.seed,
                    record.method,
                    record.label,
                    record.options,
                    record.instance_hash,
                    record.status,
                    record.objective,
                    record.bound,
                    record.gap,
                    record.runtime_s,
                    record.wall_s,
                    int(record.feasible),
                    json.dumps(record.metrics, sort_keys=True),
                    json.dumps(record.report, sort_keys=True),
                    json.dumps(record.versions, sort_keys=True),
                    record.host,
                    record.started_at,
                    record.finished_at,
                ),
            )

    def runs(self, suite: str | None = None) -> Iterator[dict[str, Any]]:
        """Every run (of one suite), decoded, in a stable order. Runs of parameters the suite
        no longer has stay in the store; tables read what is there."""
        query = (
            "SELECT * FROM runs"
            + (" WHERE suite = ?" if suite else "")
            + " ORDER BY suite, point, seed, method, options"
        )
        cursor = self.conn.execute(query, (suite,) if suite else ())
        names = [c[0] for c in cursor.description]
        for row in cursor:
            run = dict(zip(names, row))
            for key in ("point", "params", "metrics", "report", "versions"):
                run[key] = json.loads(run[key])
            run["feasible"] = bool(run["feasible"])
            yield run

    def suites(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM suites ORDER BY name")]
