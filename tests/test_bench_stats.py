"""Robust statistics: stratified-bootstrap coverage, Holm by hand, Wilcoxon as scipy computes it,
and `bench compare` on a store with known gaps."""

import numpy as np
import pytest
from scipy import stats

from cpnopt.bench.compare import compare, to_csv, to_latex, to_markdown
from cpnopt.bench.stats import holm, probability_of_improvement, stratified_bootstrap, wilcoxon_p
from cpnopt.bench.store import Store
from tests.bench_synthetic import PROFITS, synthetic_store
from tests.cli_runner import assert_one_line_error, run_cli


def test_stratified_bootstrap_interval_covers_the_true_mean_in_at_least_90_percent_of_simulations():
    rng = np.random.default_rng(2026)
    stratum_means = np.array([0.1, 0.2, 0.3, 0.5])
    covered = 0
    simulations = 200
    for i in range(simulations):
        strata = [rng.normal(m, 0.1, size=8) for m in stratum_means]
        interval = stratified_bootstrap(strata, "mean", resamples=1000, seed=i)
        assert interval.low <= interval.estimate <= interval.high
        covered += interval.low <= stratum_means.mean() <= interval.high
    assert covered / simulations >= 0.90


def test_bootstrap_keeps_each_stratum_its_weight_and_iqm_trims_a_quarter_each_side():
    # a stratum of one value is never resampled away: the interval of two one-value strata is a point
    assert stratified_bootstrap([[1.0], [3.0]]).low == stratified_bootstrap([[1.0], [3.0]]).high == 2.0
    interval = stratified_bootstrap([[0.0, 0.0, 0.0, 100.0]], "iqm")
    assert interval.estimate == 0.0  # the outlier is outside the middle 50 %
    assert stratified_bootstrap([[0.0, 0.0, 0.0, 100.0]], "mean").estimate == 25.0


def test_holm_matches_a_hand_computed_case():
    # sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, max(0.06, 0.04·1) = 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    adjusted = holm([float("nan"), 0.01, 0.02])  # NaN does not count in m
    assert np.isnan(adjusted[0]) and adjusted[1:] == pytest.approx([0.02, 0.02])


def test_wilcoxon_p_is_scipys_and_all_zero_differences_give_one():
    x = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
    y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])
    assert wilcoxon_p(x - y) == pytest.approx(stats.wilcoxon(x, y).pvalue)
    assert wilcoxon_p([0.0, 0.0]) == 1.0


def test_probability_of_improvement_counts_pairs_and_half_ties():
    assert probability_of_improvement([[0.0, 1.0]], [[0.5]]) == 0.5
    assert probability_of_improvement([[0.0]], [[0.0]]) == 0.5
    assert probability_of_improvement([[0.0], [2.0]], [[1.0], [1.0]]) == 0.5  # averaged over strata


def gaps(method):
    """Hand-computed gaps to milp's optimum of the synthetic store, None where the method failed."""
    return {k: None if v is None else (PROFITS["milp"][k] - v) / PROFITS["milp"][k] for k, v in PROFITS[method].items()}


def test_compare_pairs_instances_and_matches_scipy_and_holm(tmp_path):
    with Store(synthetic_store(tmp_path / "s.db", PROFITS)) as store:
        found = compare(store, "synthetic")
    assert found.baseline == "km-rea"  # the first method that is not the reference
    rows = {row.method: row for row in found.rows}
    km, rand = gaps("km-rea"), gaps("rand-rea")
    milp_d = [0.0 - km[k] for k in sorted(km)]
    rand_d = [rand[k] - km[k] for k in sorted(km) if rand[k] is not None]
    p_milp, p_rand = stats.wilcoxon(milp_d).pvalue, stats.wilcoxon(rand_d).pvalue
    assert rows["milp"].paired.p_value == pytest.approx(p_milp)
    assert rows["rand-rea"].paired.p_value == pytest.approx(p_rand)
    low, high = sorted([p_milp, p_rand])
    holm_low, holm_high = min(1, 2 * low), max(min(1, 2 * low), high)
    assert sorted([rows["milp"].paired.p_holm, rows["rand-rea"].paired.p_holm]) == pytest.approx([holm_low, holm_high])
    # milp ties km-rea on (4, 1) and wins elsewhere; rand-rea loses everywhere, its failure on (6, 2) included
    assert (rows["milp"].paired.wins, rows["milp"].paired.ties, rows["milp"].paired.losses) == (5, 1, 0)
    assert (rows["rand-rea"].paired.wins, rows["rand-rea"].paired.losses) == (0, 6)
    assert (rows["rand-rea"].solved, rows["rand-rea"].unsolved) == (5, 1)
    assert rows["milp"].paired.improvement == pytest.approx((7.5 / 9 + 1.0) / 2)
    assert rows["km-rea"].mean.estimate == pytest.approx(np.mean(list(km.values())))
    assert rows["km-rea"].paired is None
    markdown, latex, csv = to_markdown(found), to_latex(found), to_csv(found)
    assert "| km-rea (baseline) |" in markdown and "| 5/1/0 |" in markdown
    assert r"\toprule" in latex and "stratified-bootstrap" in latex
    assert csv.splitlines()[0].startswith("method,baseline,solved,unsolved,gap_mean,gap_mean_low")


def test_compare_refuses_an_unknown_baseline_in_one_line(tmp_path):
    done = run_cli(["bench", "compare", "--db", str(synthetic_store(tmp_path / "s.db", PROFITS)), "--baseline", "nope"])
    assert_one_line_error(done, "--baseline", "nope", "km-rea")
