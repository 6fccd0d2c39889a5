"""The Table-5 study: latency predictors for held-out devices, scored on architectures none of them saw.

For one seed: the table's architectures are split into labelled (the first ``n_reference`` of
them are TSFT's reference architectures), unlabelled (stage 2's pseudo-label pool) and test
architectures. TSFT's base model trains on the training devices' latencies of the labelled and
unlabelled architectures (never the test ones). Then on each held-out device, with its first
n labelled samples for every n of ``labelled_sizes`` (nested sets, so the ablation compares
like with like): the FLOPS-based fit, the layer-wise predictor (when an operation profile of
the device exists — a measured table has none), TSFT's base model (only the n_reference
fingerprint latencies of the device), stage 1 and stage 2. Scores on the test architectures:
MSE (ms²), MAPE (%) and Spearman's ρ of the latency.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr
from tqdm import tqdm

from cpnopt.errors import InputError
from cpnopt.problems.offloading.latency import LatencyTable, network_flops
from studies.tsft.baselines import FlopsPredictor, LayerwisePredictor
from studies.tsft.measured import OperationProfile, operation_counts
from studies.tsft.tsft import TSFTConfig, adapt, encode_cells, predict, train_base

PREDICTORS = ("FLOPS-based", "layer-wise", "TSFT base", "TSFT stage 1", "TSFT stage 2")


@dataclass(frozen=True)
class StudyConfig:
    labelled_sizes: tuple[int, ...] = (50,)
    n_unlabelled: int = 500
    tsft: TSFTConfig = TSFTConfig()
    device: str = "cpu"
    progress: bool = True


@dataclass(frozen=True)
class Score:
    device: str
    predictor: str
    n_labelled: int
    seed: int
    mse: float
    mape: float
    spearman: float


@dataclass(frozen=True)
class StudyRun:
    scores: tuple[Score, ...]
    base_training_s: float
    adaptation_s: float  # stage 1 + stage 2 over every held-out device and labelled size


def split_architectures(
    n_arch: int, n_labelled: int, n_unlabelled: int, n_reference: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random disjoint (labelled, unlabelled, test) architecture indices; at least one test architecture."""
    if n_labelled < n_reference:
        raise InputError("n_labelled", n_labelled, f"must be ≥ n_reference = {n_reference} (the fingerprint)")
    if n_unlabelled < 1:
        raise InputError("n_unlabelled", n_unlabelled, "must be ≥ 1")
    if n_labelled + n_unlabelled >= n_arch:
        raise InputError(
            "n_labelled",
            n_labelled,
            f"n_labelled + n_unlabelled = {n_labelled + n_unlabelled} leaves no test architecture among {n_arch}",
        )
    order = np.random.default_rng(seed).permutation(n_arch)
    return order[:n_labelled], order[n_labelled : n_labelled + n_unlabelled], order[n_labelled + n_unlabelled :]


def _scores(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    return (
        float(np.mean((predicted - truth) ** 2)),
        float(100 * np.mean(np.abs(predicted - truth) / truth)),
        float(spearmanr(truth, predicted).statistic),
    )


def run_study(
    table: LatencyTable,
    heldout: tuple[str, ...],
    seed: int,
    config: StudyConfig = StudyConfig(),
    profile: OperationProfile | None = None,
) -> StudyRun:
    """Every predictor on every held-out device of ``table`` (module docstring); the other devices train TSFT."""
    if len(table.cells) == 0 or len(table.devices) == 0:
        raise InputError("latency_table", len(table.cells), "is empty")
    unknown = [name for name in heldout if name not in table.devices]
    if unknown or not heldout:
        raise InputError("heldout", unknown or heldout, f"must name devices of the table: {', '.join(table.devices)}")
    training = [d for d, name in enumerate(table.devices) if name not in heldout]
    if not training:
        raise InputError("heldout", heldout, "leaves no training device")
    if not config.labelled_sizes or min(config.labelled_sizes) < config.tsft.n_reference:
        raise InputError(
            "n_labelled", config.labelled_sizes, f"every size must be ≥ n_reference = {config.tsft.n_reference}"
        )
    labelled, unlabelled, test = split_architectures(
        len(table.cells), max(config.labelled_sizes), config.n_unlabelled, config.tsft.n_reference, seed
    )
    arch = encode_cells(table.cells)
    log_latency = np.log(table.latency_ms)
    flops = np.array([network_flops(cell) for cell in table.cells])
    counts = np.array([operation_counts(cell) for cell in table.cells])
    seen = np.r_[labelled, unlabelled]  # references first: they are the first labelled ones
    start = time.perf_counter()
    base = train_base(
        arch[seen], log_latency[np.ix_(seen, training)], config.tsft, seed, config.device, config.progress
    )
    base_s, adapt_s = time.perf_counter() - start, 0.0
    scores = []
    jobs = [(name, n) for name in heldout for n in config.labelled_sizes]
    for name, n in tqdm(jobs, desc=f"held-out devices (seed {seed})", disable=not config.progress, leave=False):
        d = table.devices.index(name)
        lab, truth = labelled[:n], table.latency_ms[test, d]
        fingerprint = log_latency[labelled[: config.tsft.n_reference], d]
        start = time.perf_counter()
        stages = adapt(base, arch[lab], log_latency[lab, d], arch[unlabelled], config.tsft, seed)
        adapt_s += time.perf_counter() - start
        predictions = {
            "FLOPS-based": FlopsPredictor.fit(flops[lab], table.latency_ms[lab, d]).predict(flops[test]),
            "TSFT base": np.exp(predict(base, arch[test], fingerprint)),
            "TSFT stage 1": np.exp(predict(stages.stage1, arch[test], fingerprint)),
            "TSFT stage 2": np.exp(predict(stages.stage2, arch[test], fingerprint)),
        }
        if profile is not None and name in profile.devices:
            layerwise = LayerwisePredictor.fit(profile.row(name), counts[lab], table.latency_ms[lab, d])
            predictions["layer-wise"] = layerwise.predict(counts[test])
        for predictor in PREDICTORS:
            if predictor in predictions:
                scores.append(Score(name, predictor, n, seed, *_scores(truth, predictions[predictor])))
    return StudyRun(tuple(scores), base_s, adapt_s)
