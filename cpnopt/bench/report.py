"""``cpnopt bench report``: one self-contained HTML page per suite, the page to open instead of CSV.

It holds the suite's table, the comparison against a baseline (:mod:`cpnopt.bench.compare`),
the performance profiles, the anytime curves (:mod:`cpnopt.bench.anytime`: mean gap after
1 s, 10 s, 60 s and over time), the figures against the swept parameter, the per-instance scatter
of each method against the reference, the machine, the package versions and the commands.
Figures are embedded as base64 PNG and styles are inline: the page references no file and no
URL, so it can be mailed or archived as it is.
"""

from __future__ import annotations

import base64
import html
import os
import platform
import shlex
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from cpnopt.bench import anytime
from cpnopt.bench import compare as comparing
from cpnopt.bench.data import SuiteRuns, load_runs
from cpnopt.bench.plots import plot_anytime_gap, plot_profiles, plot_scatter, plot_table
from cpnopt.bench.profiles import suite_profiles
from cpnopt.bench.store import Store
from cpnopt.bench.tables import build_table, html_table, to_html, versions_line

WIDTH = "column"  # figures as a paper would print them, shown at about that size
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { padding: 0.25em 0.6em; text-align: right; border-bottom: 1px solid #e4e4e4; }
th { border-bottom: 2px solid #444; } .l { text-align: left; }
p.note { font-size: 0.85em; color: #555; max-width: 60em; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; } figure img { width: 520px; }
figcaption { font-size: 0.8em; color: #555; max-width: 520px; }
pre { background: #f5f5f5; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
"""


def _figure(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _figures(paths: list[Path], captions: list[str]) -> list[str]:
    """The PNG of each figure (``paths`` holds a PNG and a PDF per figure, in order) with its caption."""
    pngs = [p for p in paths if p.suffix == ".png"]
    return [_figure(p, caption) for p, caption in zip(pngs, captions, strict=True)]


def build_report(store: Store, suite: str, baseline: str | None = None, command: list[str] | None = None) -> str:
    """The HTML page of ``suite`` in ``store``."""
    data = load_runs(store, suite)
    table = build_table(store, suite)
    sections = [f"<h1>Benchmark report: {html.escape(suite)}</h1>"]
    description = data.definition.get("description")
    family = data.definition.get("family", "")
    lead = f"{description.rstrip('.')}. " if description else ""
    sections.append(
        f"<p>{html.escape(lead)}Family: <b>{html.escape(family)}</b>; "
        f"{len(data.runs)} runs of {len(data.methods())} methods on {len(data.instances())} instances "
        f"({table.n_points} sweep points × {table.n_seeds} seeds).</p>"
    )
    sections += ["<h2>Results per sweep point</h2>", to_html(table)]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        if data.references:
            found = comparing.compare(store, suite, baseline)
            sections += [
                f"<h2>Comparison with {html.escape(found.baseline)} over all instances</h2>",
                comparing.to_html(found),
            ]
        sections += [
            "<h2>Performance profiles (Dolan–Moré)</h2>",
            '<p class="note">ρ(τ): share of instances on which a method\'s cost is within a factor τ of the '
            "best method's on that instance; at τ = 1 the share it is best on, at the right end the share it "
            "solved. Gaps below 0.01% and runtimes below 1 ms count as those values.</p>",
        ]
        profiles = suite_profiles(data)
        sections += _figures(
            plot_profiles(profiles, suite, out, WIDTH), [f"Performance profile: {p.quantity.name}" for p in profiles]
        )
        if data.references and anytime.has_traces(data):
            sections += _anytime(data, out)
        if data.references:
            sections.append("<h2>Each instance against the reference</h2>")
            sections += _figures(
                plot_scatter(data, out, WIDTH),
                [
                    "Objective of each method against the reference "
                    "value of the same instance; on the dashed line a method matches it"
                ],
            )
        if len(table.axes) == 1:
            sections += [
                "<h2>Against the swept parameter</h2>",
                f'<p class="note">Mean ± {html.escape(table.spread)} over seeds.</p>',
            ]
            sections += _figures(
                plot_table(table, out, WIDTH),
                [f"{c.title} against {table.axis_info[table.axes[0]].name}" for c in table.columns],
            )
        sections += _provenance(data.runs, table.versions, suite, command)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(suite)}: cpnopt benchmark report</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def _anytime(data: SuiteRuns, out: Path) -> list[str]:
    """The mean primal gap of each method after 1 s, 10 s, 60 s (best in bold) and over time."""
    at = anytime.gap_curves(data, np.array(anytime.CHECKPOINTS_S))
    best = [min(gaps[i] for gaps in at.mean_gap.values()) for i in range(len(at.times))]
    head = ["method", *(f"after {t:g} s" for t in at.times), "instances"]
    rows = [
        [
            (method, False),
            *((f"{100 * g:.2f}%", g <= b + 1e-12) for g, b in zip(gaps, best)),
            (str(at.instances[method]), False),
        ]
        for method, gaps in at.mean_gap.items()
    ]
    return [
        "<h2>Anytime: how good after 1 s, 10 s, 60 s</h2>",
        '<p class="note">Mean primal gap over the instances: the gap of the best solution a method had at that '
        "time to the instance's reference value, 100% while it had none. Exact methods from their solver's trace "
        "(incumbents as found); every other method at its runtime. Runs stopped by their time limit keep the gap "
        "they ended with.</p>",
        html_table(head, rows),
        *_figures(
            plot_anytime_gap(anytime.gap_curves(data), data.suite, out, WIDTH),
            ["Mean primal gap over the instances against time (dotted: 1 s, 10 s, 60 s)"],
        ),
    ]


def _provenance(runs: list[dict], versions: dict[str, str], suite: str, command: list[str] | None) -> list[str]:
    hosts = sorted({run["host"] for run in runs})
    started = min((run["started_at"] for run in runs), default="")
    finished = max((run["finished_at"] for run in runs), default="")
    machine = (
        f"{platform.system()} {platform.release()}, {platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}"
    )
    quick = " --quick" if suite.endswith("-quick") else ""
    name = suite.removesuffix("-quick")
    commands = [
        f"cpnopt bench run benchmarks/suites/{name}.toml{quick} --db DB",
        f"cpnopt bench table --db DB --suite {suite} --format latex",
        f"cpnopt bench compare --db DB --suite {suite}",
        f"cpnopt bench plot --db DB --suite {suite} --profiles --anytime",
    ]
    if command:
        commands.append(shlex.join(["cpnopt", *command]) + "   # this page")
    return [
        "<h2>Machine, versions, commands</h2>",
        f"<p>Runs made on {html.escape(', '.join(hosts))} between {html.escape(started)} and {html.escape(finished)} "
        f"with {html.escape(versions_line(versions))}.</p>",
        f"<p>This page made on {html.escape(datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'))}: "
        f"{html.escape(machine)}.</p>",
        "<pre>" + html.escape("\n".join(commands)) + "</pre>",
    ]
