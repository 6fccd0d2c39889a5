"""The papers' figure types from the store: each metric (and the gap) vs the swept parameter, one
line per method with error bars, and runtime vs size on a log scale. PNG and PDF.

Files are named ``<suite>-<metric>.png|pdf`` inside the chosen folder; any character of the
name outside ``[A-Za-z0-9._-]`` becomes ``_``, so a name never leads out of that folder. A
sweep whose values are not numbers (lists such as ``power_tflops = [[1, 10], [1, 20]]``) is
drawn at evenly spaced positions labelled with the values.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cpnopt.bench.tables import Table  # noqa: E402
from cpnopt.errors import InputError  # noqa: E402


def file_stem(*parts: str) -> str:
    """``parts`` joined by '-', each reduced to a plain file name (no separator, no leading dot)."""
    stem = "-".join(re.sub(r"[^A-Za-z0-9._-]", "_", part) for part in parts)
    return re.sub(r"^\.+", lambda m: "_" * len(m.group()), stem)


def _positions(values: list[Any]) -> tuple[dict[str, float], list[str] | None]:
    """x position per sweep value (its repr as key), and tick labels when the values are not numbers."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return {repr(v): float(v) for v in values}, None
    distinct = list(dict.fromkeys(repr(v) for v in values))
    labels = {repr(v): str(v) for v in values}
    return {key: float(i) for i, key in enumerate(distinct)}, [labels[key] for key in distinct]


def plot_table(table: Table, out_dir: str | Path) -> list[Path]:
    """One figure per column of ``table`` against its (single) sweep axis; returns the files."""
    if len(table.axes) != 1:
        raise InputError("sweep", table.axes, "plots need a suite with exactly one sweep axis")
    axis = table.axes[0]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    methods = list(dict.fromkeys(row.method for row in table.rows))
    x_of, tick_labels = _positions([row.point[axis] for row in table.rows])
    written = []
    styles = ["o-", "s--", "^-.", "D:", "v-", "P--", "X-.", "*:"]  # overlapping lines stay visible
    for column in table.columns:
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        for number, method in enumerate(methods):
            rows = [r for r in table.rows if r.method == method and r.values[column.key] is not None]
            if not rows:
                continue
            xs = [x_of[repr(r.point[axis])] for r in rows]
            scale = 100.0 if column.key == "gap" or column.key.endswith("rate") else 1.0
            ys = [scale * r.values[column.key].mean for r in rows]
            err = [scale * r.values[column.key].spread for r in rows]
            ax.errorbar(xs, ys, yerr=err, fmt=styles[number % len(styles)], capsize=3, label=method,
                        markersize=7 - 0.5 * (number % 4), alpha=0.85)
        if column.key == "runtime_s":
            ax.set_yscale("log")
        unit = " (%)" if column.key == "gap" or column.key.endswith("rate") else ""
        if tick_labels is not None:
            ax.set_xticks(range(len(tick_labels)), tick_labels, fontsize=7)
        ax.set_xlabel(axis)
        ax.set_ylabel(column.title + unit)
        ax.set_title(f"{table.suite}: {column.title} (mean ± {table.spread})", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
        stem = file_stem(table.suite, column.key.removeprefix("metric:"))
        for suffix in (".png", ".pdf"):
            fig.savefig(out / (stem + suffix), dpi=150, metadata={"CreationDate": None} if suffix == ".pdf" else {})
            written.append(out / (stem + suffix))
        plt.close(fig)
    return written
