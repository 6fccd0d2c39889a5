"""Tables from the store: per (sweep point, method) mean ± std (or 95 % CI) over seeds of the
metrics, the gap to the reference method's optimum or bound (see :mod:`cpnopt.bench.data`),
and runtime; Markdown, LaTeX (booktabs) and CSV.

Names, units, sense and number format come from the family's metric metadata
(``Family.metrics``, :mod:`cpnopt.metrics`). A metric written ``name:min`` (or ``name:max``)
in the suite takes that sense; the rest take the family's. Only quality metrics (those with
a sense, and the gap) get the best mean per sweep point in bold; runtime never does.
``report.bound`` and ``report.gap`` name the run's own bound and gap (exact methods). The
CSV keeps identifiers and full precision (``.10g``): it is the machine-readable table.
"""

from __future__ import annotations

import csv
import html
import io
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from cpnopt.bench.data import SuiteRuns, load_runs, point_key
from cpnopt.bench.store import Store
from cpnopt.metrics import MetricInfo


@dataclass(frozen=True)
class Cell:
    mean: float
    spread: float  # std, or the 95 % CI half-width
    n: int


@dataclass(frozen=True)
class Row:
    point: dict[str, Any]
    method: str
    values: dict[str, Cell | None]  # column → cell
    statuses: dict[str, int]


@dataclass(frozen=True)
class Column:
    key: str
    info: MetricInfo
    better: str | None  # "max", "min", or None (not a quality metric: never bold)

    @property
    def title(self) -> str:
        return self.info.label


@dataclass(frozen=True)
class Table:
    suite: str
    axes: list[str]
    axis_info: dict[str, MetricInfo]
    columns: list[Column]
    rows: list[Row]
    spread: str  # "std" or "95% CI"
    versions: dict[str, str]  # package → version(s) the runs were made with ("a / b" when they differ)
    n_points: int
    n_seeds: int
    time_budget_s: float | None = None  # the suite's equal time budget, if it sets one

    def versions_line(self) -> str:
        return versions_line(self.versions)

    def note(self) -> str:
        """What the numbers are: what ± means, over how many instances, what is bold."""
        spread = "standard deviation" if self.spread == "std" else "95% confidence interval (Student t)"
        seeds = f"{self.n_seeds} seed{'s' if self.n_seeds != 1 else ''}"
        points = f"{self.n_points} sweep point{'s' if self.n_points != 1 else ''}"
        bold = any(c.better for c in self.columns)
        return (
            f"Mean ± {spread} over seeds at each sweep point; {points} × {seeds} = "
            f"{self.n_points * self.n_seeds} instances per method; runs: how each method's runs ended."
            + (" Best mean per sweep point in bold (quality metrics only)." if bold else "")
            + (
                f" Equal time budget: {self.time_budget_s:g} s per run for every method (one that cannot stop "
                "early runs to completion)."
                if self.time_budget_s
                else ""
            )
        )


def _student_t_975(dof: int) -> float:
    from scipy import stats  # imported on use: scipy.stats costs seconds at CLI start-up

    return float(stats.t.ppf(0.975, dof))


def summarize(values: list[float], ci: bool) -> Cell | None:
    if not values:
        return None
    arr = np.asarray(values, dtype=float)
    n = len(arr)
    std = float(arr.std(ddof=1)) if n > 1 else 0.0
    spread = float(_student_t_975(n - 1) * std / math.sqrt(n)) if ci and n > 1 else std
    return Cell(float(arr.mean()), spread, n)


def build_table(store: Store, suite: str, ci: bool = False, include_runtime: bool = True) -> Table:
    data = load_runs(store, suite)
    columns = [_metric_column(data, spec) for spec in data.definition["metrics"]]
    if data.references:
        columns.append(Column("gap", data.info("gap"), "min"))
    if include_runtime:
        columns.append(Column("runtime_s", data.info("runtime_s"), None))

    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in data.runs:
        grouped.setdefault((point_key(run["point"]), run["label"]), []).append(run)
    rows = []
    for pkey, point in data.points().items():
        for label in [m for m in data.methods() if (pkey, m) in grouped]:
            group = sorted(grouped[(pkey, label)], key=lambda r: r["seed"])
            values = {c.key: summarize(_values(data, c.key, group), ci) for c in columns}
            rows.append(Row(point, label, values, dict(sorted(Counter(r["status"] for r in group).items()))))
    seeds = {run["seed"] for run in data.runs}
    return Table(
        suite,
        data.axes,
        {a: data.info(a) for a in data.axes},
        columns,
        rows,
        "95% CI" if ci else "std",
        run_versions(data.runs),
        len(data.points()),
        len(seeds),
        data.definition.get("time_budget_s"),
    )


def _metric_column(data: SuiteRuns, spec: str) -> Column:
    name, _, sense = spec.partition(":")
    info = data.info(f"metric:{name}")
    return Column(f"metric:{name}", info, sense or info.sense)


def _values(data: SuiteRuns, key: str, runs: list[dict[str, Any]]) -> list[float]:
    return [v for v in (data.value(key, run) for run in runs) if v is not None]


def versions_line(versions: dict[str, str]) -> str:
    return ", ".join(f"{package} {version}" for package, version in versions.items())


def run_versions(runs: list[dict[str, Any]]) -> dict[str, str]:
    """Every package version recorded by the runs, per package (several joined by " / ")."""
    seen: dict[str, list[str]] = {}
    for run in runs:
        for package, version in run["versions"].items():
            if version not in seen.setdefault(package, []):
                seen[package].append(version)
    return {package: " / ".join(sorted(found)) for package, found in sorted(seen.items())}


def _best(table: Table) -> dict[tuple[str, str], set[int]]:
    """Row indices holding the best mean of each quality column, per sweep point."""
    best: dict[tuple[str, str], set[int]] = {}
    by_point: dict[str, list[int]] = {}
    for i, row in enumerate(table.rows):
        by_point.setdefault(point_key(row.point), []).append(i)
    for pkey, indices in by_point.items():
        for column in (c for c in table.columns if c.better):
            means = {i: table.rows[i].values[column.key].mean for i in indices if table.rows[i].values[column.key]}
            if not means:
                continue
            target = max(means.values()) if column.better == "max" else min(means.values())
            best[(pkey, column.key)] = {
                i for i, v in means.items() if math.isclose(v, target, rel_tol=1e-9, abs_tol=1e-12)
            }
    return best


def _cell_text(cell: Cell | None, info: MetricInfo) -> str:
    if cell is None:
        return "—"
    mean, spread = info.format_pair(cell.mean, cell.spread)
    return f"{mean} ± {spread}" if cell.n > 1 else mean


def _axis_text(table: Table, axis: str, value: Any) -> str:
    """A sweep value as the suite gives it (a share as a percentage), with thousands separators."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        info = table.axis_info[axis]
        return info.format(value) if info.percent else format(value, ",g")
    return str(value)


def _statuses(row: Row) -> str:
    return ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in row.statuses.items())


def _body(table: Table) -> tuple[list[str], list[list[tuple[str, bool]]]]:
    """Header and cells (text, bold) shared by Markdown and LaTeX."""
    best = _best(table)
    head = [table.axis_info[a].label for a in table.axes] + ["method"] + [c.title for c in table.columns] + ["runs"]
    rows = []
    for i, row in enumerate(table.rows):
        cells = [(_axis_text(table, a, row.point.get(a, "")), False) for a in table.axes] + [(row.method, False)]
        cells += [
            (_cell_text(row.values[c.key], c.info), i in best.get((point_key(row.point), c.key), set()))
            for c in table.columns
        ]
        rows.append(cells + [(_statuses(row), False)])
    return head, rows


def to_markdown(table: Table) -> str:
    head, rows = _body(table)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cells in rows:
        lines.append("| " + " | ".join(f"**{text}**" if bold else text for text, bold in cells) + " |")
    lines.append(f"\n{table.note()}")
    lines.append(f"Made with {table.versions_line()}.")
    return "\n".join(lines) + "\n"


def html_table(head: list[str], rows: list[list[tuple[str, bool]]], left: int = 1) -> str:
    """An HTML ``<table>`` of ``head`` and cells (text, bold), escaped; the first ``left``
    columns (names) align left, the others (numbers) right."""

    def cell(tag: str, i: int, text: str) -> str:
        return f'<{tag} class="l">{text}</{tag}>' if i < left else f"<{tag}>{text}</{tag}>"

    lines = [
        "<table>",
        "<thead><tr>" + "".join(cell("th", i, html.escape(h)) for i, h in enumerate(head)) + "</tr></thead>",
        "<tbody>",
    ]
    for cells in rows:
        lines.append(
            "<tr>"
            + "".join(
                cell("td", i, f"<b>{html.escape(t)}</b>" if bold else html.escape(t))
                for i, (t, bold) in enumerate(cells)
            )
            + "</tr>"
        )
    return "\n".join(lines + ["</tbody>", "</table>"])


def to_html(table: Table) -> str:
    """The Markdown table as an HTML ``<table>`` and its note (for the report)."""
    head, rows = _body(table)
    return html_table(head, rows, left=len(table.axes) + 1) + f'\n<p class="note">{html.escape(table.note())}</p>'


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "_": r"\_",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_LATEX_UNICODE = {
    "±": r"$\pm$",
    "×": r"$\times$",
    "—": "--",
    "–": "--",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "α": r"$\alpha$",
    "τ": r"$\tau$",
    "λ": r"$\lambda$",
    "μ": r"$\mu$",
}


def latex_text(text: str) -> str:
    """``text`` as LaTeX source that pdflatex compiles: specials escaped, symbols as math."""
    out = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    return "".join(_LATEX_UNICODE.get(ch, ch) for ch in out)


LATEX_PREAMBLE = [
    r"\documentclass{article}",
    r"\usepackage[T1]{fontenc}",
    r"\usepackage{booktabs}",
    r"\usepackage[margin=1.5cm,landscape]{geometry}",
    r"\begin{document}",
]


def to_latex(table: Table, standalone: bool = False) -> str:
    """A ``table`` float with booktabs rules (``\\usepackage{booktabs}``) and a caption saying what
    the numbers are; ``standalone``: a whole document that pdflatex compiles as it is."""
    head, rows = _body(table)
    align = "l" * (len(table.axes) + 1) + "r" * len(table.columns) + "l"
    lines = [
        r"% needs \usepackage{booktabs}",
        r"\begin{table}[tbp]",
        r"\centering",
        r"\caption{" + latex_text(table.note()) + "}",
        r"\label{tab:" + table.suite + "}",
        r"\begin{tabular}{" + align + "}",
        r"\toprule",
        " & ".join(latex_text(h) for h in head) + r" \\",
        r"\midrule",
    ]
    for cells in rows:
        lines.append(
            " & ".join(r"\textbf{" + latex_text(t) + "}" if bold else latex_text(t) for t, bold in cells) + r" \\"
        )
    return latex_ending(lines, table.versions_line(), standalone)


def latex_ending(lines: list[str], versions: str, standalone: bool) -> str:
    """Close a booktabs table float begun in ``lines``, name the versions, and wrap it in a
    document when ``standalone``."""
    lines = lines + [r"\bottomrule", r"\end{tabular}", r"\end{table}", f"% made with {versions}"]
    if standalone:
        lines = LATEX_PREAMBLE + lines + [r"\end{document}"]
    return "\n".join(lines) + "\n"


def to_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = list(table.axes) + ["method"]
    for column in table.columns:
        name = column.key.removeprefix("metric:")
        header += [f"{name}_mean", f"{name}_{'ci95' if table.spread != 'std' else 'std'}", f"{name}_n"]
    writer.writerow(header + ["statuses"])
    for row in table.rows:
        cells = [row.point.get(a, "") for a in table.axes] + [row.method]
        for column in table.columns:
            cell = row.values[column.key]
            cells += ["", "", 0] if cell is None else [format(cell.mean, ".10g"), format(cell.spread, ".10g"), cell.n]
        writer.writerow(cells + [";".join(f"{s}={n}" for s, n in row.statuses.items())])
    return buffer.getvalue()


FORMATS = {"md": to_markdown, "markdown": to_markdown, "latex": to_latex, "tex": to_latex, "csv": to_csv}
