"""TSFT study: the device-execution simulator, the FLOPS-based / layer-wise / TSFT predictors, the study, bad input."""

import csv
import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import cpnopt
from cpnopt.problems.offloading.latency import Cell, LatencyTable, load_latency_table, network_flops, random_cell
from studies.tsft.baselines import FlopsPredictor, LayerwisePredictor
from studies.tsft.measured import (
    measure,
    noiseless_latency_ms,
    operation_counts,
    profile_operations,
    simulated_devices,
)
from studies.tsft.study import StudyConfig, run_study, split_architectures
from studies.tsft.tsft import TSFTConfig, adapt, encode_cells, predict, train_base

ROOT = Path(__file__).resolve().parents[1]
SMALL_TSFT = TSFTConfig(n_reference=5, hidden=32, base_epochs=30, finetune_steps=60, finetune_lr=1e-3, ensemble=2)


def uniform(op: str) -> Cell:
    """A cell with ``op`` on every edge."""
    return Cell(tuple(tuple(op if j > i else "none" for j in range(4)) for i in range(4)))


@pytest.fixture(scope="module")
def devices():
    return simulated_devices(9, seed=5)


@pytest.fixture(scope="module")
def cells():
    rng = np.random.default_rng(11)
    return [random_cell(rng) for _ in range(40)]


@pytest.fixture(scope="module")
def study_table():
    """A small simulated study: 7 devices (6 training, 1 held out), 160 architectures."""
    devices = simulated_devices(7, seed=3)
    rng = np.random.default_rng(4)
    return measure([random_cell(rng) for _ in range(160)], devices, seed=1), devices


def test_simulator_is_deterministic_per_seed_and_positive(devices, cells):
    first, again, other = measure(cells, devices, 7), measure(cells, devices, 7), measure(cells, devices, 8)
    np.testing.assert_array_equal(first.latency_ms, again.latency_ms)
    assert not np.allclose(first.latency_ms, other.latency_ms)
    assert (first.latency_ms > 0).all() and first.devices == tuple(d.name for d in devices)
    assert simulated_devices(9, seed=5) == devices
    assert {d.kind for d in devices} == {"cpu", "gpu", "other"}


def test_layerwise_sum_is_exact_only_when_every_non_additive_effect_is_off(devices, cells):
    counts = np.array([operation_counts(c) for c in cells])
    additive = tuple(d.additive() for d in devices)
    exact = measure(cells, additive, 0).latency_ms
    profile = profile_operations(additive, 0)
    for d, device in enumerate(additive):
        np.testing.assert_allclose(counts @ profile.latency_ms[d] + device.spec.fixed_ms, exact[:, d], rtol=1e-12)
        layerwise = LayerwisePredictor.fit(profile.latency_ms[d], counts[:10], exact[:10, d])
        np.testing.assert_allclose(layerwise.predict(counts), exact[:, d], rtol=1e-12)
    effects = next(d for d in devices if d.fusion and d.streams > 1)
    profiled = profile_operations((effects,), 0).latency_ms[0]
    clean = np.array([noiseless_latency_ms(c, effects) for c in cells])
    residual = clean - counts @ profiled
    assert np.ptp(residual) > 0.01 * clean.mean()  # no single offset explains the measurements


def _with(device, **changes):
    return dataclasses.replace(device.additive(), **changes)


def test_each_effect_moves_latency_the_documented_way(devices):
    base = devices[1]  # a gpu
    convs, pools, skips = uniform("nor_conv_3x3"), uniform("avg_pool_3x3"), uniform("skip_connect")
    additive = base.additive()
    plain = noiseless_latency_ms(convs, additive)
    assert noiseless_latency_ms(convs, _with(base, fusion=True)) < plain  # fusion lowers
    assert noiseless_latency_ms(convs, _with(base, streams=3)) < plain  # concurrency lowers
    full_contention = _with(base, streams=3, contention=1.0)
    assert noiseless_latency_ms(convs, full_contention) == pytest.approx(plain)
    assert noiseless_latency_ms(convs, _with(base, cache_kb=1024.0)) < plain  # cache carry-over lowers
    assert noiseless_latency_ms(pools, _with(base, cache_kb=1024.0)) < noiseless_latency_ms(pools, additive)
    assert noiseless_latency_ms(convs, _with(base, winograd=2.0)) < noiseless_latency_ms(
        convs, _with(base, winograd=1.0)
    )
    ones = uniform("nor_conv_1x1")
    assert noiseless_latency_ms(ones, _with(base, util_1x1=0.3)) > noiseless_latency_ms(ones, _with(base, util_1x1=1.0))
    throttled = _with(base, throttle_depth=0.3, throttle_tau_ms=2.0)
    long_ratio = noiseless_latency_ms(convs, throttled) / plain
    short_ratio = noiseless_latency_ms(skips, throttled) / noiseless_latency_ms(skips, additive)
    assert long_ratio > short_ratio > 1.0  # throttling raises long networks more


def test_cache_carry_over_depends_on_execution_context(devices):
    """0→1→2→3 chain reads each node right after it is written; 0→3 … reads node 0 after other work."""
    cached = _with(devices[0], cache_kb=1024.0, cache_speedup=8.0)
    chain = Cell(
        (
            ("none", "nor_conv_3x3", "none", "none"),
            ("none", "none", "nor_conv_3x3", "none"),
            ("none", "none", "none", "nor_conv_3x3"),
            ("none",) * 4,
        )
    )
    fan = Cell((("none", "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3"), ("none",) * 4, ("none",) * 4, ("none",) * 4))
    saving = [noiseless_latency_ms(c, cached.additive()) - noiseless_latency_ms(c, cached) for c in (chain, fan)]
    assert saving[0] > saving[1] > 0  # same operations and FLOPs, different carry-over
    assert network_flops(chain) == network_flops(fan)


def test_flops_fit_is_exact_on_latency_linear_in_flops(cells):
    flops = np.array([network_flops(c) for c in cells])
    latency = 3e-8 * flops + 1.7
    fitted = FlopsPredictor.fit(flops[:5], latency[:5])
    assert fitted.slope == pytest.approx(3e-8) and fitted.intercept == pytest.approx(1.7)
    np.testing.assert_allclose(fitted.predict(flops), latency, rtol=1e-9)


@pytest.fixture(scope="module")
def trained(study_table):
    table, _ = study_table
    labelled, unlabelled, test = split_architectures(len(table.cells), 30, 60, SMALL_TSFT.n_reference, seed=0)
    seen = np.r_[labelled, unlabelled]
    arch, log_latency = encode_cells(table.cells), np.log(table.latency_ms)
    base = train_base(arch[seen], log_latency[np.ix_(seen, range(6))], SMALL_TSFT, seed=0, progress=False)
    stages = adapt(base, arch[labelled], log_latency[labelled, 6], arch[unlabelled], SMALL_TSFT, seed=0)
    return table, arch, log_latency, (labelled, unlabelled, test), base, stages


def test_fine_tuning_lowers_held_out_error_vs_base(trained):
    table, arch, log_latency, (labelled, _, test), base, stages = trained
    fingerprint = log_latency[labelled[: SMALL_TSFT.n_reference], 6]
    truth = table.latency_ms[test, 6]

    def mse(model):
        return np.mean((np.exp(predict(model, arch[test], fingerprint)) - truth) ** 2)

    assert mse(stages.stage1) < mse(base)


def test_stage2_pseudo_labels_are_stage1_predictions_not_the_truth(trained):
    _, arch, log_latency, (labelled, unlabelled, _), _, stages = trained
    fingerprint = log_latency[labelled[: SMALL_TSFT.n_reference], 6]
    kept = unlabelled[stages.pseudo_index]
    assert len(kept) == int(np.ceil(SMALL_TSFT.keep_fraction * len(unlabelled)))
    np.testing.assert_allclose(stages.pseudo_log_latency, predict(stages.stage1, arch[kept], fingerprint), rtol=1e-6)
    assert not np.allclose(stages.pseudo_log_latency, log_latency[kept, 6], rtol=1e-3)


def test_training_is_deterministic_per_seed(study_table):
    table, _ = study_table
    arch, log_latency = encode_cells(table.cells[:40]), np.log(table.latency_ms[:40, :3])
    config = dataclasses.replace(SMALL_TSFT, base_epochs=2)
    first, again = (train_base(arch, log_latency, config, seed=4, progress=False) for _ in range(2))
    fingerprint = log_latency[: config.n_reference, 0]
    np.testing.assert_array_equal(predict(first, arch, fingerprint), predict(again, arch, fingerprint))


def _write_csv(path: Path, table: LatencyTable) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["arch_str", *(f"{d}_latency" for d in table.devices)])
        for cell, row in zip(table.cells, table.latency_ms):
            writer.writerow([cell.arch_str(), *row])


def _benchmark():
    spec = importlib.util.spec_from_file_location("offloading_tsft", ROOT / "benchmarks" / "offloading_tsft.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_study_runs_end_to_end_on_a_measured_csv(tmp_path, study_table, capsys):
    table, _ = study_table
    small = LatencyTable(table.cells[:60], ("edgegpu", "raspi4", "pixel3", "eyeriss"), table.latency_ms[:60, :4])
    _write_csv(tmp_path / "hw.csv", small)
    loaded = load_latency_table(tmp_path / "hw.csv")
    np.testing.assert_allclose(loaded.latency_ms, small.latency_ms)
    assert (
        _benchmark().main(
            [
                "--table",
                str(tmp_path / "hw.csv"),
                "--heldout",
                "pixel3,eyeriss",
                "--quick",
                "--labelled",
                "12",
                "--unlabelled",
                "20",
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "| pixel3 |" in out and "| eyeriss |" in out and "TSFT stage 2" in out
    assert "layer-wise" not in out  # a measured table has no operation profiles


def test_study_scores_every_predictor_on_the_simulator(study_table):
    table, devices = study_table
    profile = profile_operations(devices, 0)
    config = StudyConfig(labelled_sizes=(10, 20), n_unlabelled=40, tsft=SMALL_TSFT, progress=False)
    run = run_study(table, (devices[-1].name,), seed=0, config=config, profile=profile)
    assert {(s.predictor, s.n_labelled) for s in run.scores} == {
        (p, n) for p in ("FLOPS-based", "layer-wise", "TSFT base", "TSFT stage 1", "TSFT stage 2") for n in (10, 20)
    }
    assert all(s.mse >= 0 and s.mape >= 0 and -1 <= s.spearman <= 1 for s in run.scores)


@pytest.mark.parametrize(
    "heldout, config, field",
    [
        (("sim-nope",), StudyConfig(progress=False), "heldout"),
        ((), StudyConfig(progress=False), "heldout"),
        (None, StudyConfig(labelled_sizes=(150,), n_unlabelled=40, progress=False), "n_labelled"),
        (None, StudyConfig(labelled_sizes=(3,), progress=False), "n_labelled"),
    ],
)
def test_bad_study_input_names_the_field(study_table, heldout, config, field):
    table, devices = study_table
    heldout = (devices[-1].name,) if heldout is None else heldout
    with pytest.raises(cpnopt.InputError, match=field) as error:
        run_study(table, heldout, seed=0, config=config)
    assert error.value.field == field


def test_bad_data_names_the_field(tmp_path, study_table):
    table, devices = study_table
    (tmp_path / "empty.csv").write_text("arch_str,edgegpu_latency\n")
    with pytest.raises(cpnopt.InputError, match="latency_table"):
        load_latency_table(tmp_path / "empty.csv")
    empty = LatencyTable((), table.devices, np.zeros((0, len(table.devices))))
    with pytest.raises(cpnopt.InputError, match="latency_table"):
        run_study(empty, (devices[-1].name,), seed=0)
    with pytest.raises(cpnopt.InputError, match="device"):
        profile_operations(devices, 0).row("sim-nope")
    with pytest.raises(cpnopt.InputError, match="n_devices"):
        simulated_devices(0, seed=0)
    with pytest.raises(cpnopt.InputError, match="latency_ms"):
        FlopsPredictor.fit(np.array([1.0]), np.array([2.0]))


def test_benchmark_cli_exits_2_on_an_unknown_held_out_device(tmp_path, study_table, capsys):
    table, _ = study_table
    _write_csv(tmp_path / "hw.csv", LatencyTable(table.cells[:30], ("a", "b"), table.latency_ms[:30, :2]))
    assert _benchmark().main(["--table", str(tmp_path / "hw.csv"), "--heldout", "zz", "--no-progress"]) == 2
    assert "heldout" in capsys.readouterr().err
