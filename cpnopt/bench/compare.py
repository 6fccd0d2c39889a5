"""``cpnopt bench compare``: every method of a suite against a baseline, over all its instances.

The score is each run's gap to the reference optimum or bound (:mod:`cpnopt.bench.data`),
smaller is better. Per method: mean and interquartile mean (IQM) of the gap over the
instances it solved, each with a 95 % stratified-bootstrap interval (strata: the sweep
points); the instances it did not solve are counted as "no solution". Against the baseline,
on the instances both ran: wins, ties (gaps within :data:`TIE_TOLERANCE`) and losses — a
method without a solution loses to one with a solution —, the two-sided Wilcoxon
signed-rank p-value of the paired gaps (instances both solved), Holm-adjusted over the
methods compared, and the probability of improvement P(gap of the method < gap of the
baseline), pairs inside each sweep point, ties counting one half. See docs/benchmarks.md.
"""

from __future__ import annotations

import csv
import html
import io
import math
from dataclasses import dataclass

import numpy as np

from cpnopt.bench.data import Instance, load_runs
from cpnopt.bench.stats import Interval, holm, probability_of_improvement, stratified_bootstrap, wilcoxon_p
from cpnopt.bench.store import Store
from cpnopt.bench.tables import html_table, latex_ending, latex_text, run_versions, versions_line
from cpnopt.errors import InputError
from cpnopt.metrics import MetricInfo

TIE_TOLERANCE = 1e-6  # gaps closer than this (0.0001 percentage points) tie


@dataclass(frozen=True)
class Paired:
    instances: int  # instances both methods ran on
    wins: int
    ties: int
    losses: int
    p_value: float  # Wilcoxon signed-rank, two-sided
    p_holm: float
    improvement: float  # probability of improvement over the baseline


@dataclass(frozen=True)
class MethodRow:
    method: str
    solved: int
    unsolved: int
    mean: Interval
    iqm: Interval
    paired: Paired | None  # None for the baseline


@dataclass(frozen=True)
class Comparison:
    suite: str
    score: MetricInfo
    baseline: str
    rows: list[MethodRow]
    n_points: int
    n_seeds: int
    versions: dict[str, str]

    def note(self) -> str:
        name = self.score.name[:1].upper() + self.score.name[1:]
        points, seeds = (
            f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((self.n_points, "sweep point"), (self.n_seeds, "seed"))
        )
        return (
            f"{name} per method over {points} × {seeds}; "
            "[low, high]: 95% stratified-bootstrap interval (strata: sweep points); IQM: interquartile mean; "
            f"W/T/L: instances where the method's gap is smaller / equal / larger than {self.baseline}'s; "
            "p: two-sided Wilcoxon signed-rank test of the paired gaps, Holm: adjusted for the methods compared; "
            f"P(impr.): probability that the method's gap is smaller than {self.baseline}'s."
        )


def compare(store: Store, suite: str, baseline: str | None = None) -> Comparison:
    data = load_runs(store, suite)
    if not data.references:
        raise InputError("reference", None, f"suite {suite} names no reference method: there is no gap to compare")
    methods = data.methods()
    if baseline is None:
        baseline = next((m for m in methods if m not in data.references), methods[0] if methods else None)
    if baseline not in methods:
        raise InputError("--baseline", baseline, f"not a method of {suite}; methods: {', '.join(methods)}")
    gaps = data.by_instance("gap")
    points = list(data.points())
    rows, p_values = [], []
    for method in methods:
        mine = gaps[method]
        strata = _strata(points, mine)
        solved = sum(len(s) for s in strata)
        paired = None if method == baseline else _paired(points, mine, gaps[baseline])
        p_values.append(paired.p_value if paired else float("nan"))
        rows.append(
            MethodRow(
                method,
                solved,
                len(mine) - solved,
                stratified_bootstrap(strata, "mean"),
                stratified_bootstrap(strata, "iqm"),
                paired,
            )
        )
    adjusted = holm(p_values)
    rows = [
        row
        if row.paired is None
        else MethodRow(
            row.method, row.solved, row.unsolved, row.mean, row.iqm, Paired(**{**row.paired.__dict__, "p_holm": p})
        )
        for row, p in zip(rows, adjusted)
    ]
    seeds = {run["seed"] for run in data.runs}
    return Comparison(suite, data.info("gap"), baseline, rows, len(points), len(seeds), run_versions(data.runs))


def _strata(points: list[str], values: dict[Instance, float | None]) -> list[list[float]]:
    return [[v for (p, _), v in sorted(values.items()) if p == point and v is not None] for point in points]


def _paired(points: list[str], mine: dict[Instance, float | None], theirs: dict[Instance, float | None]) -> Paired:
    common = sorted(set(mine) & set(theirs))
    worst = math.inf  # no solution: worse than any gap
    a = np.array([worst if mine[i] is None else mine[i] for i in common], dtype=float)
    b = np.array([worst if theirs[i] is None else theirs[i] for i in common], dtype=float)
    with np.errstate(invalid="ignore"):
        tie = (a == b) | (np.abs(a - b) <= TIE_TOLERANCE)
    wins, losses = int(np.sum(~tie & (a < b))), int(np.sum(~tie & (a > b)))
    both = np.isfinite(a) & np.isfinite(b)
    differences = np.where(tie, 0.0, a - b)[both]
    x_strata = [[x for i, x in zip(common, a) if i[0] == p] for p in points]
    y_strata = [[y for i, y in zip(common, b) if i[0] == p] for p in points]
    return Paired(
        len(common),
        wins,
        len(common) - wins - losses,
        losses,
        wilcoxon_p(differences),
        float("nan"),
        probability_of_improvement(x_strata, y_strata, tolerance=TIE_TOLERANCE),
    )


def _interval(info: MetricInfo, interval: Interval) -> str:
    if math.isnan(interval.estimate):
        return "—"
    places = info.decimals_for(info.scaled(interval.estimate))
    low, high = (info.format(v, places).removesuffix("%") for v in (interval.low, interval.high))
    return f"{info.format(interval.estimate, places)} [{low}, {high}]"


def _p(value: float) -> str:
    if math.isnan(value):
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


HEAD = [
    "method",
    "solved",
    "no solution",
    "mean {score} [95% CI]",
    "IQM {score} [95% CI]",
    "W/T/L",
    "p",
    "Holm p",
    "P(impr.)",
]


def _cells(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    label = comparison.score.label
    head = [h.format(score=label) for h in HEAD]
    rows = []
    for row in comparison.rows:
        cells = [
            row.method + (" (baseline)" if row.paired is None else ""),
            str(row.solved),
            str(row.unsolved),
            _interval(comparison.score, row.mean),
            _interval(comparison.score, row.iqm),
        ]
        if row.paired is None:
            cells += ["—"] * 4
        else:
            pair = row.paired
            improvement = "—" if math.isnan(pair.improvement) else f"{pair.improvement:.2f}"
            cells += [f"{pair.wins}/{pair.ties}/{pair.losses}", _p(pair.p_value), _p(pair.p_holm), improvement]
        rows.append(cells)
    return head, rows


def to_markdown(comparison: Comparison) -> str:
    head, rows = _cells(comparison)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    lines += ["", comparison.note(), f"Made with {versions_line(comparison.versions)}."]
    return "\n".join(lines) + "\n"


def to_html(comparison: Comparison) -> str:
    head, rows = _cells(comparison)
    return (
        html_table(head, [[(c, False) for c in cells] for cells in rows], left=1)
        + f'\n<p class="note">{html.escape(comparison.note())}</p>'
    )


def to_latex(comparison: Comparison, standalone: bool = False) -> str:
    head, rows = _cells(comparison)
    lines = [
        r"% needs \usepackage{booktabs}",
        r"\begin{table}[tbp]",
        r"\centering",
        r"\caption{" + latex_text(comparison.note()) + "}",
        r"\label{tab:" + comparison.suite + "-compare}",
        r"\begin{tabular}{l" + "r" * (len(head) - 1) + "}",
        r"\toprule",
        " & ".join(latex_text(h) for h in head) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(latex_text(c) for c in cells) + r" \\" for cells in rows]
    return latex_ending(lines, versions_line(comparison.versions), standalone)


def to_csv(comparison: Comparison) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "method",
            "baseline",
            "solved",
            "unsolved",
            "gap_mean",
            "gap_mean_low",
            "gap_mean_high",
            "gap_iqm",
            "gap_iqm_low",
            "gap_iqm_high",
            "paired",
            "wins",
            "ties",
            "losses",
            "wilcoxon_p",
            "holm_p",
            "prob_improvement",
        ]
    )
    for row in comparison.rows:
        numbers = [row.mean.estimate, row.mean.low, row.mean.high, row.iqm.estimate, row.iqm.low, row.iqm.high]
        pair = row.paired
        paired = (
            ["", "", "", "", "", "", ""]
            if pair is None
            else [
                pair.instances,
                pair.wins,
                pair.ties,
                pair.losses,
                *(format(v, ".10g") for v in (pair.p_value, pair.p_holm, pair.improvement)),
            ]
        )
        writer.writerow(
            [row.method, comparison.baseline, row.solved, row.unsolved, *(format(v, ".10g") for v in numbers), *paired]
        )
    return buffer.getvalue()


FORMATS = {"md": to_markdown, "markdown": to_markdown, "latex": to_latex, "tex": to_latex, "csv": to_csv}
