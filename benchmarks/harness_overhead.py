"""Harness overhead per run: the wall time the runner sees minus the method's own runtime.

    python benchmarks/harness_overhead.py [--db results.db] [--suite NAME]

Reads an existing store (or runs the clustering-servers quick suite into a temporary one)
and prints, per method, the median and mean of the run's own time and of the overhead
(process start from the fork server, instance generation, evaluation, IPC), in ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from cpnopt.bench.runner import run_suite
from cpnopt.bench.store import Store
from cpnopt.bench.suite import load_suite

SUITE = Path(__file__).parent / "suites" / "clustering-servers.toml"


def report(store: Store, suite: str) -> str:
    by_method: dict[str, list[tuple[float, float]]] = {}
    for run in store.runs(suite):
        if run["runtime_s"] is not None:
            by_method.setdefault(run["label"], []).append((run["runtime_s"], run["wall_s"] - run["runtime_s"]))
    lines = [
        "| method | runs | run time median (ms) | overhead median (ms) | overhead mean (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, pairs in by_method.items():
        own = [1e3 * p[0] for p in pairs]
        extra = [1e3 * p[1] for p in pairs]
        lines.append(
            f"| {label} | {len(pairs)} | {statistics.median(own):.1f} | {statistics.median(extra):.1f} "
            f"| {statistics.mean(extra):.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db")
    parser.add_argument("--suite")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.db:
        with Store(args.db) as store:
            print(report(store, args.suite or store.suites()[0]))
        return
    suite = load_suite(SUITE).quick_variant()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "overhead.db") as store:
        summary = run_suite(suite, store, workers=args.workers, progress=False)
        print(f"{suite.name}: {summary.ran} runs in {summary.wall_s:.2f} s with {args.workers} worker(s)\n")
        print(report(store, suite.name))


if __name__ == "__main__":
    main()
