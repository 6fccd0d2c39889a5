"""The papers' figure types from the store, ready for a paper: each metric (and the gap) against
the swept parameter, one line per method with error bars (the table's spread), runtime on a
log scale; performance profiles (:mod:`cpnopt.bench.profiles`); per method, its objective
on every instance against the reference's; anytime curves (:mod:`cpnopt.bench.anytime`):
the mean gap over the suite's instances against time, or one instance's incumbents and
bounds against time, on a log time axis. PNG and PDF.

Figures are sized for an IEEE column (3.5 in wide) or page (7.16 in), with axis labels and
units from the family's metric metadata, integer ticks for counts, the Okabe–Ito palette
(distinguishable with colour-vision deficiencies) with a distinct marker and dash per method,
no title (the caption is the paper's), and TrueType (Type 42) fonts in the PDF, as IEEE's
PDF checker requires (never Type 3).

Files are named ``<suite>-<metric>.png|pdf`` inside the chosen folder; any character of the
name outside ``[A-Za-z0-9._-]`` becomes ``_``, so a name never leads out of that folder. A
sweep whose values are not numbers (lists such as ``power_tflops = [[1, 10], [1, 20]]``) is
drawn at evenly spaced positions labelled with the values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from cpnopt.bench.anytime import CHECKPOINTS_S, GapCurves, Row  # noqa: E402
from cpnopt.bench.data import SuiteRuns, point_key  # noqa: E402
from cpnopt.bench.profiles import Profile  # noqa: E402
from cpnopt.bench.stats import Interval  # noqa: E402
from cpnopt.bench.tables import Table  # noqa: E402
from cpnopt.errors import InputError  # noqa: E402

WIDTHS_IN = {"column": 3.5, "page": 7.16}  # IEEE two-column layout
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
DASHES = ["-", "--", "-.", ":"]
STYLE = {
    "pdf.fonttype": 42,  # TrueType, not Type 3
    "ps.fonttype": 42,
    "font.size": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.2,
    "lines.markersize": 4.5,
}


def file_stem(*parts: str) -> str:
    """``parts`` joined by '-', each reduced to a plain file name (no separator, no leading dot)."""
    stem = "-".join(re.sub(r"[^A-Za-z0-9._-]", "_", part) for part in parts)
    return re.sub(r"^\.+", lambda m: "_" * len(m.group()), stem)


def method_style(number: int) -> dict[str, Any]:
    """Colour, marker and dash of the ``number``-th method: all three differ between neighbours."""
    return {
        "color": OKABE_ITO[number % len(OKABE_ITO)],
        "marker": MARKERS[number % len(MARKERS)],
        "linestyle": DASHES[number % len(DASHES)],
    }


def _check_width(width: str) -> float:
    if width not in WIDTHS_IN:
        raise InputError("--width", width, f"expected one of {', '.join(WIDTHS_IN)}")
    return WIDTHS_IN[width]


def _figure(width: str, aspect: float = 0.62) -> tuple[plt.Figure, plt.Axes]:
    inches = _check_width(width)
    # constrained layout keeps the figure exactly this wide, the legend inside it
    return plt.subplots(figsize=(inches, inches * aspect if width == "page" else inches * 0.75), layout="constrained")


def _legend(ax: plt.Axes, n: int, most_per_row: int = 4) -> None:
    ax.figure.legend(
        *ax.get_legend_handles_labels(),
        loc="outside upper center",
        ncol=min(n, most_per_row),
        frameon=False,
        handlelength=2.6,
        columnspacing=1.0,
    )


def _save(fig: plt.Figure, out: Path, stem: str) -> list[Path]:
    written = []
    for suffix in (".png", ".pdf"):
        # no date (same runs, same bytes) and no software URL in the files
        fig.savefig(
            out / (stem + suffix), dpi=200, metadata={"CreationDate": None} if suffix == ".pdf" else {"Software": None}
        )
        written.append(out / (stem + suffix))
    plt.close(fig)
    return written


def _positions(values: list[Any]) -> tuple[dict[str, float], list[str] | None]:
    """x position per sweep value (its repr as key), and tick labels when the values are not numbers."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return {repr(v): float(v) for v in values}, None
    distinct = list(dict.fromkeys(repr(v) for v in values))
    labels = {repr(v): str(v) for v in values}
    return {key: float(i) for i, key in enumerate(distinct)}, [labels[key] for key in distinct]


def plot_table(table: Table, out_dir: str | Path, width: str = "column") -> list[Path]:
    """One figure per column of ``table`` against its (single) sweep axis; returns the files."""
    _check_width(width)
    if len(table.axes) != 1:
        raise InputError("sweep", table.axes, "plots need a suite with exactly one sweep axis")
    axis = table.axes[0]
    axis_info = table.axis_info[axis]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    methods = list(dict.fromkeys(row.method for row in table.rows))
    values = [row.point[axis] for row in table.rows]
    x_of, tick_labels = _positions(values)
    written = []
    with plt.rc_context(STYLE):
        for column in table.columns:
            fig, ax = _figure(width)
            for number, method in enumerate(methods):
                rows = [r for r in table.rows if r.method == method and r.values[column.key] is not None]
                if not rows:
                    continue
                xs = [x_of[repr(r.point[axis])] for r in rows]
                ys = [column.info.scaled(r.values[column.key].mean) for r in rows]
                err = [column.info.scaled(r.values[column.key].spread) for r in rows]
                ax.errorbar(xs, ys, yerr=err, capsize=2, label=method, alpha=0.9, **method_style(number))
            if column.key == "runtime_s":
                ax.set_yscale("log")
            elif column.info.integer:
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            if tick_labels is not None:
                ax.set_xticks(range(len(tick_labels)), tick_labels, rotation=20, ha="right")
            else:
                _numeric_ticks(ax, sorted(set(x_of.values())), axis_info.integer)
            ax.set_xlabel(axis_info.label)
            ax.set_ylabel(column.info.label)
            ax.grid(alpha=0.3)
            _legend(ax, len(methods))
            written += _save(fig, out, file_stem(table.suite, column.key.removeprefix("metric:")))
    return written


def _numeric_ticks(ax: plt.Axes, xs: list[float], integer: bool) -> None:
    """Ticks at the sweep values when there are few; else integer-only ticks for a count."""
    if len(xs) <= 8:
        ax.set_xticks(xs, [f"{x:g}" for x in xs])
    elif integer:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def plot_profiles(profiles: list[Profile], suite: str, out_dir: str | Path, width: str = "column") -> list[Path]:
    """One step plot per profile: ρ(τ) against τ on a log₂ axis."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with plt.rc_context(STYLE):
        for found in profiles:
            fig, ax = _figure(width)
            for number, (method, curve) in enumerate(found.curves.items()):
                style = method_style(number)
                ax.step(
                    found.taus,
                    curve,
                    where="post",
                    label=method,
                    color=style["color"],
                    linestyle=style["linestyle"],
                    marker=style["marker"],
                    markevery=[0],
                    alpha=0.9,
                )
            ax.set_xscale("log", base=2)
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlabel(f"performance ratio τ ({found.quantity.name})")
            ax.set_ylabel(f"share of {found.instances} instances")
            ax.grid(alpha=0.3)
            _legend(ax, len(found.curves))
            key = "gap" if found.quantity.percent else "runtime"
            written += _save(fig, out, file_stem(suite, "profile", key))
    return written


def scatter_points(data: SuiteRuns) -> Iterator[tuple[str, list[float], list[float]]]:
    """Per method (references excluded), its objective and the reference value on each instance."""
    for method in data.methods():
        if method in data.references:
            continue
        xs, ys = [], []
        for run in data.runs:
            reference = data.reference_values.get((point_key(run["point"]), run["seed"]))
            if run["label"] == method and run["objective"] is not None and reference is not None:
                xs.append(reference)
                ys.append(run["objective"])
        yield method, xs, ys


def plot_scatter(data: SuiteRuns, out_dir: str | Path, width: str = "column") -> list[Path]:
    """Each method's objective on every instance against the reference value (optimum or bound),
    with the diagonal y = x: points on it match the reference."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        fig, ax = _figure(width, aspect=0.8)
        every, order = [], data.methods()
        for method, xs, ys in scatter_points(data):
            style = method_style(order.index(method))  # each method's colour and marker as in the other figures
            ax.scatter(xs, ys, label=method, color=style["color"], marker=style["marker"], s=16, alpha=0.8)
            every += xs + ys
        if every:
            low, high = min(every), max(every)
            ax.plot([low, high], [low, high], color="0.5", linewidth=0.8, linestyle="--", zorder=0)
        reference = "optimum" if data.all_optimal else "bound"
        ax.set_xlabel(f"objective: reference {reference}")
        ax.set_ylabel("objective: method")
        ax.grid(alpha=0.3)
        _legend(ax, len(data.methods()) - len(data.references))
        return _save(fig, out, file_stem(data.suite, "scatter"))


def _checkpoint_lines(ax: plt.Axes, last_s: float) -> None:
    """Faint vertical lines at the tabulated times (1 s, 10 s, 60 s) that fall inside the axis."""
    for t in CHECKPOINTS_S:
        if t <= last_s:
            ax.axvline(t, color="0.75", linewidth=0.6, linestyle=":", zorder=0)


def plot_anytime_gap(curves: GapCurves, suite: str, out_dir: str | Path, width: str = "column") -> list[Path]:
    """Per method, the mean primal gap over the suite's instances against time (log axis): a
    step down at each time an incumbent improves on some instance."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        fig, ax = _figure(width)
        start = curves.times[0] / 2 if len(curves.times) else 1e-3
        for number, (method, gaps) in enumerate(curves.mean_gap.items()):
            style = method_style(number)
            ax.step(
                np.concatenate([[start], curves.times]),
                100.0 * np.concatenate([[1.0], gaps]),
                where="post",
                label=method,
                color=style["color"],
                linestyle=style["linestyle"],
                marker=style["marker"],
                markevery=[len(gaps)],
                alpha=0.9,
            )
        ax.set_xscale("log")
        ax.set_ylim(-2, 102)
        _checkpoint_lines(ax, float(curves.times[-1]) if len(curves.times) else 0.0)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("mean primal gap (%)")
        ax.grid(alpha=0.3)
        _legend(ax, len(curves.mean_gap))
        return _save(fig, out, file_stem(suite, "anytime", "gap"))


def plot_anytime_instance(
    traces: dict[str, list[Row]], order: list[str], objective_label: str, stem: str, out_dir: str | Path, width: str
) -> list[Path]:
    """One instance: per method, its incumbent (solid steps) and bound (thin dashed steps, same
    colour) against time on a log axis; a method without a trace is one marker at its runtime.
    ``order`` gives each method its colour and marker, as in the suite's other figures."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        fig, ax = _figure(width)
        last = max(row[0] for trace in traces.values() for row in trace)
        for method, trace in traces.items():
            style = method_style(order.index(method))
            incumbent = [(t, v) for t, v, _ in trace if v is not None]
            bound = [(t, b) for t, _, b in trace if b is not None]
            if len(trace) == 1 and not bound:  # a single result: a point, not a curve
                ax.plot(*zip(*incumbent), linestyle="none", label=method, color=style["color"], marker=style["marker"])
                continue
            if incumbent:
                xs, ys = zip(*(incumbent + [(last, incumbent[-1][1])]))
                ax.step(xs, ys, where="post", label=method, color=style["color"], marker=style["marker"], markevery=[0])
            if bound:
                xs, ys = zip(*(bound + [(last, bound[-1][1])]))
                ax.step(xs, ys, where="post", color=style["color"], linestyle="--", linewidth=0.8, alpha=0.8)
        ax.set_xscale("log")
        _checkpoint_lines(ax, last)
        ax.set_xlabel("time (s)")
        ax.set_ylabel(objective_label)
        ax.grid(alpha=0.3)
        ax.plot([], [], color="0.3", linestyle="--", linewidth=0.8, label="bound")
        _legend(ax, len(traces) + 1)
        return _save(fig, out, stem)


def plot_learning_curves(
    curves: dict[str, list[tuple[float, Interval]]],
    stem: str,
    out_dir: str | Path,
    ylabel: str = "held-out gap (%)",
    markers: dict[str, float] | None = None,
    width: str = "column",
) -> list[Path]:
    """Per curve, its estimate against training steps (log₂ axis) with the interval shaded;
    ``markers``: labelled faint vertical lines (e.g. the bundled checkpoint's budget)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        fig, ax = _figure(width)
        for number, (label, points) in enumerate(curves.items()):
            style = method_style(number)
            xs = [x for x, _ in points]
            ax.plot(xs, [100 * i.estimate for _, i in points], label=label, alpha=0.9, **style)
            low, high = [100 * i.low for _, i in points], [100 * i.high for _, i in points]
            ax.fill_between(xs, low, high, color=style["color"], alpha=0.15, linewidth=0)
        for text, x in (markers or {}).items():
            ax.axvline(x, color="0.6", linewidth=0.7, linestyle=":", zorder=0)
            ax.annotate(text, (x, 1), xycoords=("data", "axes fraction"), fontsize=6, ha="center", va="bottom")
        ax.set_xscale("log", base=2)
        steps = sorted({x for points in curves.values() for x, _ in points})
        ax.set_xticks(steps, [f"{x / 1000:.0f}k" for x in steps])
        ax.minorticks_off()
        ax.set_xlabel("training steps (environment transitions)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        _legend(ax, len(curves), most_per_row=2)  # long labels: two per row fit a column
        return _save(fig, out, file_stem(stem))
