"""How large a GWP iteration the MILP proves optimal in 60 s: devices × DVFS levels, full MobileNet V1.

One iteration (one per-iteration MILP, the unit ``milp`` solves K times) of the full
MobileNet V1 (15 layers, 6,984 neurons) on 2..20 devices, without DVFS and with three
levels (1.0, 0.8, 0.6). A series stops after two sizes in a row that are not proven within
the limit, unless ``--devices`` names the sizes (then every one runs). Usage:

    python benchmarks/placement_scaling.py [--time-limit 60] [--seeds 2] [-o benchmarks/results/placement-scaling.md]
    python benchmarks/placement_scaling.py --dvfs "3 levels" --devices 4 8 16 64
"""

from __future__ import annotations

import argparse
import platform
import statistics
from pathlib import Path

from tqdm import tqdm

import cpnopt
from cpnopt.solution import Status

DEVICES = (2, 3, 4, 6, 8, 12, 16, 20)
LEVELS = {"off": [1.0], "3 levels": [1.0, 0.8, 0.6]}


def run(
    time_limit: float, seeds: int, devices: tuple[int, ...] = DEVICES, dvfs: tuple[str, ...] = tuple(LEVELS)
) -> list[str]:
    rows = [
        "| DVFS | devices | neuron-count vars (as many used-binaries) | proven optimal | solve time (s), mean / max | gap at the limit, max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label in dvfs:
        levels = LEVELS[label]
        misses = 0
        for m in tqdm(devices, desc=f"DVFS {label}"):
            times, gaps, proven = [], [], 0
            for seed in range(seeds):
                inst = cpnopt.generate("placement", seed=seed, n_devices=m, n_iterations=1, frequency_levels=levels)
                sol = cpnopt.solve(inst, "milp", time_limit=time_limit, threads=1)
                times.append(sol.report.runtime_s)
                gaps.append(sol.report.gap if sol.report.gap is not None else float("inf"))
                proven += sol.report.status is Status.OPTIMAL
            n_int = inst.n_layers * m * len(levels)
            rows.append(
                f"| {label} | {m} | {n_int} | {proven}/{seeds} | {statistics.mean(times):.2f} / {max(times):.2f} "
                f"| {max(gaps):.2%} |"
            )
            misses = misses + 1 if proven < seeds else 0
            if misses == 2 and devices == DEVICES:
                break
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--devices", type=int, nargs="+", help="device counts (default: the sweep, with its stop rule)")
    parser.add_argument("--dvfs", nargs="+", choices=list(LEVELS), default=list(LEVELS))
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    rows = run(args.time_limit, args.seeds, tuple(args.devices) if args.devices else DEVICES, tuple(args.dvfs))
    text = (
        "\n".join(rows)
        + f"\n\nmilp, threads = 1, time limit {args.time_limit:g} s per iteration; {platform.machine()}.\n"
    )
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
