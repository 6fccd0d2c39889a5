"""Tables from the store: per (sweep point, method) mean ± std (or 95 % CI) of the metrics, the
gap to the reference method's optimum or bound, and runtime; Markdown, LaTeX (booktabs), CSV.

Gap of a run = (reference − objective) / |reference| (for a minimisation, objective −
reference), where reference is the reference method's objective on the same instance when
it is proven optimal, else its best bound — the column then says "gap to bound". A suite
may name several reference methods (``reference = ["milp", "cg"]``): any proven optimum
wins, else the tightest of their bounds.
A metric written ``name:min`` in the suite is better when smaller; the rest when larger.
``report.bound`` and ``report.gap`` name the run's own bound and gap (exact methods).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from cpnopt.bench.store import Store
from cpnopt.solution import Sense, gap_to_reference


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
    title: str
    better: str  # "max" or "min"


@dataclass(frozen=True)
class Table:
    suite: str
    axes: list[str]
    columns: list[Column]
    rows: list[Row]
    spread: str  # "std" or "95% CI"
    versions: dict[str, str]  # package → version(s) the runs were made with ("a / b" when they differ)

    def versions_line(self) -> str:
        return ", ".join(f"{package} {version}" for package, version in self.versions.items())


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


def _reference_values(runs: list[dict[str, Any]], references: list[str]) -> tuple[dict[tuple[str, int], float], bool]:
    """Reference value per (point, seed), and whether every one of them is a proven optimum.

    With several reference methods, a proven optimum from any of them wins; otherwise the
    tightest bound among them (the least for a maximisation).
    """
    optimum: dict[tuple[str, int], float] = {}
    bounds: dict[tuple[str, int], list[float]] = {}
    senses: dict[tuple[str, int], str] = {}
    for run in runs:
        if run["method"] not in references:
            continue
        key = (_point_key(run["point"]), run["seed"])
        senses[key] = run["report"].get("sense", "max")
        if run["status"] == "optimal" and run["objective"] is not None:
            optimum[key] = run["objective"]
        elif run["bound"] is not None:
            bounds.setdefault(key, []).append(run["bound"])
    found = dict(optimum)
    for key, values in bounds.items():
        if key not in found:
            found[key] = min(values) if senses[key] == "max" else max(values)
    all_optimal = set(optimum) == set(senses)
    return found, all_optimal


def _point_key(point: dict[str, Any]) -> str:
    return repr(sorted(point.items()))


def build_table(store: Store, suite: str, ci: bool = False, include_runtime: bool = True) -> Table:
    definition = store.suite_definition(suite)
    axes = list(definition.get("axes", []))
    fixed = definition.get("params", {})
    # runs made before the suite's fixed parameters were last edited stay in the store, unused
    runs = [r for r in store.runs(suite) if {k: v for k, v in r["params"].items() if k not in axes} == fixed]
    reference = definition.get("reference")
    references = [] if reference is None else [reference] if isinstance(reference, str) else list(reference)
    ref_values, all_optimal = _reference_values(runs, references)
    metric_specs = [m.split(":") + ["max"] if ":" not in m else m.split(":") for m in definition["metrics"]]
    columns = [Column(f"metric:{name}", name, better) for name, better, *_ in metric_specs]
    if references:
        columns.append(Column("gap", "gap to optimum" if all_optimal else "gap to bound", "min"))
    if include_runtime:
        columns.append(Column("runtime_s", "runtime (s)", "min"))

    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    points: dict[str, dict[str, Any]] = {}
    for run in runs:
        key = _point_key(run["point"])
        points[key] = run["point"]
        grouped.setdefault((key, run["label"]), []).append(run)

    method_order = {label: i for i, label in enumerate(definition.get("methods", []))}
    ordered_points = sorted(points, key=lambda k: [(_sortable(v)) for _, v in sorted(points[k].items())])
    rows = []
    for pkey in ordered_points:
        labels = sorted({label for (p, label) in grouped if p == pkey}, key=lambda l: (method_order.get(l, 1e9), l))
        for label in labels:
            group = sorted(grouped[(pkey, label)], key=lambda r: r["seed"])
            values: dict[str, Cell | None] = {}
            for column in columns:
                values[column.key] = summarize(_column_values(column.key, group, ref_values, pkey), ci)
            rows.append(Row(points[pkey], label, values, dict(sorted(Counter(r["status"] for r in group).items()))))
    return Table(suite, axes, columns, rows, "95% CI" if ci else "std", _versions(runs))


def _versions(runs: list[dict[str, Any]]) -> dict[str, str]:
    """Every package version recorded by the runs, per package (several joined by " / ")."""
    seen: dict[str, list[str]] = {}
    for run in runs:
        for package, version in run["versions"].items():
            if version not in seen.setdefault(package, []):
                seen[package].append(version)
    return {package: " / ".join(sorted(found)) for package, found in sorted(seen.items())}


def _sortable(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def _column_values(key: str, runs: Iterable[dict[str, Any]], ref: dict[tuple[str, int], float], pkey: str) -> list[float]:
    out = []
    for run in runs:
        if key == "runtime_s":
            value = run["runtime_s"]
        elif key == "gap":
            sense = Sense(run["report"].get("sense", "max"))
            value = gap_to_reference(ref.get((pkey, run["seed"])), run["objective"], sense)
        elif key.startswith("metric:report."):  # a field of the run's own report: bound, gap
            value = run[key.removeprefix("metric:report.")]
        else:
            value = run["metrics"].get(key.removeprefix("metric:")) if run["feasible"] else None
        if value is not None:
            out.append(float(value))
    return out


def _best(table: Table) -> dict[tuple[str, str], set[int]]:
    """Row indices holding the best mean of each column, per sweep point."""
    best: dict[tuple[str, str], set[int]] = {}
    by_point: dict[str, list[int]] = {}
    for i, row in enumerate(table.rows):
        by_point.setdefault(_point_key(row.point), []).append(i)
    for pkey, indices in by_point.items():
        for column in table.columns:
            means = {i: table.rows[i].values[column.key].mean for i in indices if table.rows[i].values[column.key]}
            if not means:
                continue
            target = max(means.values()) if column.better == "max" else min(means.values())
            best[(pkey, column.key)] = {i for i, v in means.items() if math.isclose(v, target, rel_tol=1e-9, abs_tol=1e-12)}
    return best


def _fmt(cell: Cell | None, key: str) -> tuple[str, str]:
    if cell is None:
        return "—", ""
    if key in ("gap", "metric:report.gap") or key.endswith("rate"):
        return f"{100 * cell.mean:.1f}%", f"{100 * cell.spread:.1f}"
    if key == "runtime_s":
        return f"{cell.mean:.3g}", f"{cell.spread:.2g}"
    return f"{cell.mean:,.1f}", f"{cell.spread:,.1f}"


def to_markdown(table: Table) -> str:
    best = _best(table)
    head = table.axes + ["method"] + [c.title for c in table.columns] + ["runs"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, row in enumerate(table.rows):
        cells = [str(row.point.get(a, "")) for a in table.axes] + [row.method]
        for column in table.columns:
            mean, spread = _fmt(row.values[column.key], column.key)
            text = f"{mean} ± {spread}" if spread else mean
            if i in best.get((_point_key(row.point), column.key), set()):
                text = f"**{text}**"
            cells.append(text)
        cells.append(", ".join(f"{n} {s}" for s, n in row.statuses.items()))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(f"\nmean ± {table.spread} over seeds; best per sweep point in bold.")
    lines.append(f"Made with {table.versions_line()}.")
    return "\n".join(lines) + "\n"


def _latex_escape(text: str) -> str:
    return text.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("%", r"\%").replace("&", r"\&").replace("#", r"\#")


def to_latex(table: Table) -> str:
    best = _best(table)
    head = table.axes + ["method"] + [c.title for c in table.columns]
    lines = [
        r"\begin{tabular}{" + "l" * (len(table.axes) + 1) + "r" * len(table.columns) + "}",
        r"\toprule",
        " & ".join(_latex_escape(h) for h in head) + r" \\",
        r"\midrule",
    ]
    for i, row in enumerate(table.rows):
        cells = [_latex_escape(str(row.point.get(a, ""))) for a in table.axes] + [_latex_escape(row.method)]
        for column in table.columns:
            mean, spread = _fmt(row.values[column.key], column.key)
            text = _latex_escape(f"{mean} ± {spread}" if spread else mean).replace("±", r"$\pm$").replace("—", "--")
            if i in best.get((_point_key(row.point), column.key), set()):
                text = r"\textbf{" + text + "}"
            cells.append(text)
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", f"% made with {table.versions_line()}"]
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
