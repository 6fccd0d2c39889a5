"""The TSFT latency-predictor study (RLMS-CPN Sec. 3.3, Table 5 layout) for benchmarks/results/offloading-tsft.md.

    python benchmarks/offloading_tsft.py [--quick] [--seeds 0 1 2] [--device cpu|cuda] > offloading-tsft.md
    python benchmarks/offloading_tsft.py --table hw.csv --heldout edgegpu,raspi4 [--labelled 50]

Without ``--table`` the latencies come from the device-execution simulator of
studies.tsft.measured (23 simulated devices: 18 train TSFT's base model, the
last 5 — of every class — are held out; their operation profiles feed the layer-wise
predictor): **the figures describe the simulator, not real hardware.** With ``--table`` the
same study runs on a measured HW-NAS-Bench-style CSV (load_latency_table); it has no
operation profiles, so the layer-wise column is empty. Rows = held-out devices, columns =
MSE (ms²) / MAPE (%) / Spearman ρ of each predictor on the test architectures, mean ± std
over seeds; then the ablation over the number of labelled samples (means over held-out
devices).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import replace

import numpy as np
import torch

from cpnopt.errors import InputError
from cpnopt.problems.offloading.latency import LatencyTable, load_latency_table, random_cell
from studies.tsft.baselines import LayerwisePredictor
from studies.tsft.measured import (
    MeasuredDevice,
    OperationProfile,
    measure,
    operation_counts,
    profile_operations,
    simulated_devices,
)
from studies.tsft.study import PREDICTORS, Score, StudyConfig, run_study
from studies.tsft.tsft import TSFTConfig

N_DEVICES, N_HELDOUT = 23, 5
DEVICE_SEED, MEASURE_SEED, PROFILE_SEED, ARCH_SEED = 2026, 1, 2, 0
METRICS = (("mse", "MSE (ms²)", "{:.3g}"), ("mape", "MAPE (%)", "{:.2f}"), ("spearman", "Spearman ρ", "{:.3f}"))


def distinct_cells(n: int, seed: int) -> list:
    """``n`` distinct random NAS-Bench-201 cells (the search space has 15,625)."""
    rng, seen, cells = np.random.default_rng(seed), set(), []
    while len(cells) < n:
        cell = random_cell(rng)
        if cell.arch_str() not in seen:
            seen.add(cell.arch_str())
            cells.append(cell)
    return cells


def simulated_study_data(n_archs: int) -> tuple[LatencyTable, tuple[MeasuredDevice, ...], OperationProfile]:
    devices = simulated_devices(N_DEVICES, DEVICE_SEED)
    return (
        measure(distinct_cells(n_archs, ARCH_SEED), devices, MEASURE_SEED),
        devices,
        profile_operations(devices, PROFILE_SEED),
    )


def mean_std(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(np.mean(values))} ± {fmt.format(np.std(values))}"


def per_device_tables(scores: list[Score], n: int, heldout: tuple[str, ...], describe: dict[str, str]) -> list[str]:
    cells: dict[tuple[str, str], list[Score]] = defaultdict(list)
    for s in scores:
        if s.n_labelled == n:
            cells[(s.device, s.predictor)].append(s)
    predictors = [p for p in PREDICTORS if any((d, p) in cells for d in heldout)]
    lines = []
    for key, title, fmt in METRICS:
        lines += [
            f"\n**{title}**, {n} labelled samples per held-out device\n",
            "| held-out device | " + " | ".join(predictors) + " |",
            "|---" * (len(predictors) + 1) + "|",
        ]
        for d in heldout:
            row = [mean_std([getattr(s, key) for s in cells[(d, p)]], fmt) for p in predictors]
            lines.append(f"| {describe.get(d, d)} | " + " | ".join(row) + " |")
    return lines


def ablation_table(scores: list[Score], sizes: tuple[int, ...]) -> list[str]:
    by: dict[tuple[int, str], list[Score]] = defaultdict(list)
    for s in scores:
        by[(s.n_labelled, s.predictor)].append(s)
    predictors = [p for p in PREDICTORS if any((n, p) in by for n in sizes)]
    lines = [
        "\n| labelled samples | " + " | ".join(f"{p} MAPE / ρ" for p in predictors) + " |",
        "|---" * (len(predictors) + 1) + "|",
    ]
    for n in sizes:
        row = [
            f"{np.mean([s.mape for s in by[(n, p)]]):.2f} / {np.mean([s.spearman for s in by[(n, p)]]):.3f}"
            for p in predictors
        ]
        lines.append(f"| {n} | " + " | ".join(row) + " |")
    return lines


def describe_devices(table: LatencyTable, devices: tuple[MeasuredDevice, ...]) -> dict[str, str]:
    """Each simulated device's effects and its noise floor: the MAPE of the noise-free latency vs the measured one."""
    clean = measure(table.cells, tuple(replace(d, noise_sigma=0.0) for d in devices), MEASURE_SEED).latency_ms
    floor = 100 * np.mean(np.abs(clean - table.latency_ms) / table.latency_ms, axis=0)
    return {
        d.name: f"{d.name} (fusion {'on' if d.fusion else 'off'}, {d.streams} stream{'s' * (d.streams > 1)}, "
        f"throttle {d.throttle_depth:.2f}, noise σ {100 * d.noise_sigma:.1f} % = MAPE floor {floor[k]:.1f} %)"
        for k, d in enumerate(devices)
    }


EFFECTS_OFF = (
    ("every effect on", {}),
    ("no fusion", {"fusion": False}),
    ("no branch concurrency", {"streams": 1}),
    ("no cache carry-over", {"cache_kb": 0.0}),
    ("no throttling", {"throttle_depth": 0.0}),
    ("no noise", {"noise_sigma": 0.0}),
    ("all off (additive)", None),
)


def effect_ablation(table: LatencyTable, heldout: tuple[MeasuredDevice, ...], n_labelled: int) -> list[str]:
    """Layer-wise MAPE (%) on the held-out devices re-simulated with one effect switched off at a time: what it misses."""
    counts = np.array([operation_counts(cell) for cell in table.cells])
    lab = np.random.default_rng(0).permutation(len(table.cells))
    lab, test = lab[:n_labelled], lab[n_labelled:]
    lines = [
        "\n| held-out devices re-simulated with | " + " | ".join(d.name for d in heldout) + " |",
        "|---" * (len(heldout) + 1) + "|",
    ]
    for label, off in EFFECTS_OFF:
        devices = tuple(d.additive() if off is None else replace(d, **off) for d in heldout)
        latency = measure(table.cells, devices, MEASURE_SEED).latency_ms
        profile = profile_operations(devices, PROFILE_SEED)
        row = []
        for k, device in enumerate(devices):
            fitted = LayerwisePredictor.fit(profile.row(device.name), counts[lab], latency[lab, k])
            row.append(
                f"{100 * np.mean(np.abs(fitted.predict(counts[test]) - latency[test, k]) / latency[test, k]):.2f}"
            )
        lines.append(f"| {label} | " + " | ".join(row) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 600 architectures, no ablation, short training")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--archs", type=int, default=1200, help="simulated architectures (distinct cells)")
    parser.add_argument(
        "--labelled", type=int, default=50, help="labelled samples of each held-out device (Table 5: 50)"
    )
    parser.add_argument("--ablation", type=int, nargs="*", default=[10, 20, 50, 100], help="labelled-sample counts")
    parser.add_argument("--unlabelled", type=int, default=500, help="stage 2's pseudo-label pool")
    parser.add_argument("--table", help="a HW-NAS-Bench-style CSV instead of the simulator")
    parser.add_argument("--heldout", help="comma-separated held-out devices of --table (default: its last min(5, D−1))")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="PyTorch device for TSFT")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    tsft = TSFTConfig()
    seeds, n_archs, sizes = tuple(args.seeds), args.archs, tuple(sorted({args.labelled, *args.ablation}))
    if args.quick:
        seeds, n_archs, sizes, tsft = seeds[:1], 600, (args.labelled,), replace(tsft, base_epochs=15)
    try:
        start = time.perf_counter()
        if args.table:
            table, devices, profile = load_latency_table(args.table), (), None
            names = table.devices
            heldout = tuple(args.heldout.split(",")) if args.heldout else names[-min(N_HELDOUT, len(names) - 1) :]
            source = f"measured table `{args.table}` ({len(table.cells)} architectures, {len(names)} devices)"
        else:
            table, devices, profile = simulated_study_data(n_archs)
            heldout = tuple(d.name for d in devices[-N_HELDOUT:])
            source = (
                f"the device-execution simulator (studies.tsft.measured; {N_DEVICES} devices drawn with "
                f"seed {DEVICE_SEED}, {n_archs} distinct cells) — figures describe the simulator, not real hardware"
            )
        data_s = time.perf_counter() - start
        config = StudyConfig(
            labelled_sizes=sizes,
            n_unlabelled=min(args.unlabelled, len(table.cells) // 2),
            tsft=tsft,
            device=args.device,
            progress=not args.no_progress,
        )
        runs = [run_study(table, heldout, seed, config, profile) for seed in seeds]
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scores = [s for run in runs for s in run.scores]
    lines = [
        f"Data: {source}. Held-out devices: {', '.join(heldout)}; the other {len(table.devices) - len(heldout)} "
        f"train TSFT's base model. Seeds {', '.join(map(str, seeds))} (architecture split and training); "
        f"{config.n_unlabelled} unlabelled architectures for stage 2; the rest are test architectures."
    ]
    lines += per_device_tables(scores, args.labelled, heldout, describe_devices(table, devices) if devices else {})
    if len(sizes) > 1:
        lines += ["\n**Ablation over the number of labelled samples** (mean over held-out devices and seeds)"]
        lines += ablation_table(scores, sizes)
    if devices:
        lines += [
            f"\n**What the layer-wise predictor misses**: its MAPE (%) with {args.labelled} labelled samples "
            "(offset fit) when the held-out devices are re-simulated with one effect switched off"
        ]
        lines += effect_ablation(table, devices[-N_HELDOUT:], args.labelled)
    lines += [
        f"\nWall time: data {data_s:.1f} s; TSFT base model {np.mean([r.base_training_s for r in runs]):.1f} s per seed; "
        f"stage 1 + 2 {np.mean([r.adaptation_s for r in runs]) / (len(heldout) * len(sizes)):.2f} s per "
        f"(device, labelled size); device `{args.device}`, {args.threads} torch thread(s)."
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
