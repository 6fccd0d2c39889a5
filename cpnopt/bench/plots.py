"""The papers' figure types from the store: each metric (and the gap) vs the swept parameter, one
line per method with error bars, and runtime vs size on a log scale. PNG and PDF."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cpnopt.bench.tables import Table  # noqa: E402
from cpnopt.errors import InputError  # noqa: E402


def plot_table(table: Table, out_dir: str | Path) -> list[Path]:
    """One figure per column of ``table`` against its (single) sweep axis; returns the files."""
    if len(table.axes) != 1:
        raise InputError("sweep", table.axes, "plots need a suite with exactly one sweep axis")
    axis = table.axes[0]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    methods = list(dict.fromkeys(row.method for row in table.rows))
    written = []
    styles = ["o-", "s--", "^-.", "D:", "v-", "P--", "X-.", "*:"]  # overlapping lines stay visible
    for column in table.columns:
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        for number, method in enumerate(methods):
            rows = [r for r in table.rows if r.method == method and r.values[column.key] is not None]
            if not rows:
                continue
            xs = [r.point[axis] for r in rows]
            scale = 100.0 if column.key == "gap" or column.key.endswith("rate") else 1.0
            ys = [scale * r.values[column.key].mean for r in rows]
            err = [scale * r.values[column.key].spread for r in rows]
            ax.errorbar(xs, ys, yerr=err, fmt=styles[number % len(styles)], capsize=3, label=method,
                        markersize=7 - 0.5 * (number % 4), alpha=0.85)
        if column.key == "runtime_s":
            ax.set_yscale("log")
        unit = " (%)" if column.key == "gap" or column.key.endswith("rate") else ""
        ax.set_xlabel(axis)
        ax.set_ylabel(column.title + unit)
        ax.set_title(f"{table.suite}: {column.title} (mean ± {table.spread})", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
        stem = out / f"{table.suite}-{column.key.removeprefix('metric:')}"
        for suffix in (".png", ".pdf"):
            fig.savefig(stem.with_suffix(suffix), dpi=150, metadata={"CreationDate": None} if suffix == ".pdf" else {})
            written.append(stem.with_suffix(suffix))
        plt.close(fig)
    return written
