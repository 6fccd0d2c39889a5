"""``cpnopt bench run|table|compare|plot|report``: the harness on the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from cpnopt.bench.data import SuiteRuns, load_runs
from cpnopt.bench.profiles import suite_profiles
from cpnopt.bench.runner import run_suite
from cpnopt.bench.store import Store
from cpnopt.bench.suite import load_suite
from cpnopt.bench.tables import FORMATS, build_table, to_latex
from cpnopt.errors import InputError


def results_dir() -> Path:
    """Where the store and plots go unless told: $CPNOPT_RESULTS_DIR, else the user's cache
    ($XDG_CACHE_HOME or ~/.cache, then cpnopt/), never the working directory."""
    if os.environ.get("CPNOPT_RESULTS_DIR"):
        return Path(os.environ["CPNOPT_RESULTS_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "cpnopt"


def _default(name: str) -> str:
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)


def default_store() -> str:
    """The store `bench run|table|plot` use without --db: results.db in :func:`results_dir`."""
    return _default("results.db")


def _db(args: argparse.Namespace) -> str:
    return args.db or default_store()


def cmd_run(args: argparse.Namespace) -> None:
    suite = load_suite(args.suite)
    if args.quick:
        suite = suite.quick_variant()
    if args.workers < 1:
        raise InputError("--workers", args.workers, "must be ≥ 1")
    args.db = _db(args)
    with Store(args.db) as store:
        summary = run_suite(
            suite, store, executor=args.executor, workers=args.workers, scheduler=args.scheduler, progress=not args.json
        )
    result = {"suite": suite.name, "db": args.db, **summary.__dict__}
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{suite.name}: {summary.ran} runs done, {summary.skipped} already in {args.db} or held by another runner, "
            f"{summary.failed} failed, {summary.wall_s:.1f} s"
        )


def _suite_name(store: Store, name: str | None, quick: bool = False) -> str:
    if name:
        return f"{name}-quick" if quick and not name.endswith("-quick") else name
    names = store.suites()
    if len(names) != 1:
        raise InputError("--suite", None, f"name one of the suites in {store.path}: {', '.join(names) or 'none'}")
    return names[0]


def cmd_table(args: argparse.Namespace) -> None:
    with Store(_db(args)) as store:
        table = build_table(
            store, _suite_name(store, args.suite, args.quick), ci=args.ci, include_runtime=not args.no_runtime
        )
    if args.standalone and FORMATS[args.format] is not to_latex:
        raise InputError("--standalone", args.format, "only a LaTeX table (--format latex) is a document")
    _write(to_latex(table, standalone=True) if args.standalone else FORMATS[args.format](table), args.output)


def _write(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", newline="") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


def cmd_compare(args: argparse.Namespace) -> None:
    from cpnopt.bench import compare  # scipy.stats: only when comparing

    with Store(_db(args)) as store:
        comparison = compare.compare(store, _suite_name(store, args.suite, args.quick), args.baseline)
    if args.standalone and compare.FORMATS[args.format] is not compare.to_latex:
        raise InputError("--standalone", args.format, "only a LaTeX table (--format latex) is a document")
    _write(
        compare.to_latex(comparison, standalone=True) if args.standalone else compare.FORMATS[args.format](comparison),
        args.output,
    )


def cmd_plot(args: argparse.Namespace) -> None:
    from cpnopt.bench.plots import plot_profiles, plot_table  # matplotlib is slow to import: only when plotting

    if args.instance and not args.anytime:
        raise InputError("--instance", args.instance, "names the instance of an anytime figure: add --anytime")
    out_dir = args.out_dir or _default("plots")
    with Store(_db(args)) as store:
        name = _suite_name(store, args.suite, args.quick)
        table = build_table(store, name, ci=args.ci)
        data = load_runs(store, name) if args.profiles or args.anytime else None
    written = plot_table(table, out_dir, args.width)
    if args.profiles:
        written += plot_profiles(suite_profiles(data), name, out_dir, args.width)
    if args.anytime:
        written += plot_anytime(data, args.instance, out_dir, args.width)
    for path in written:
        print(path)


def plot_anytime(data: SuiteRuns, instance: str | None, out_dir: str, width: str) -> list[Path]:
    """The anytime figure: one instance's incumbents and bounds, else the mean gap over the suite's instances."""
    from cpnopt.bench import anytime
    from cpnopt.bench.plots import file_stem, plot_anytime_gap, plot_anytime_instance

    if instance is not None:
        found = anytime.parse_instance(data, instance)
        unit = data.declared["report.bound"].unit if "report.bound" in data.declared else ""
        stem = file_stem(data.suite, "anytime", anytime.instance_name(data, found))
        traces = anytime.instance_traces(data, found)
        label = f"objective ({unit})" if unit else "objective"
        return plot_anytime_instance(traces, data.methods(), label, stem, out_dir, width)
    if not data.references:
        raise InputError("--anytime", data.suite, "the gap over time needs a reference; name an --instance instead")
    return plot_anytime_gap(anytime.gap_curves(data), data.suite, out_dir, width)


def cmd_report(args: argparse.Namespace) -> None:
    from cpnopt.bench.report import build_report  # matplotlib and scipy: only when reporting

    with Store(_db(args)) as store:
        suite = _suite_name(store, args.suite, args.quick)
        command = ["bench", "report", "--db", store.path.name, "--suite", suite, "-o", Path(args.output).name]
        page = build_report(
            store, suite, args.baseline, command + (["--baseline", args.baseline] if args.baseline else [])
        )
    _write(page, args.output)
    print(args.output)


DB_HELP = (
    "SQLite result store (default: results.db in $CPNOPT_RESULTS_DIR, else in $XDG_CACHE_HOME/cpnopt "
    "or ~/.cache/cpnopt)"
)


def add_bench_parser(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmark suites: run, table, compare, plot, report")
    verbs = bench.add_subparsers(dest="bench_command", required=True)

    p = verbs.add_parser("run", help="run a suite (resumes: finished runs are skipped)")
    p.add_argument("suite", help="suite TOML file")
    p.add_argument("--quick", action="store_true", help="run the suite's [quick] variant")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--workers", type=int, default=1, help="runs at once (default 1)")
    p.add_argument(
        "--executor", choices=["local", "dask"], default="local", help="local processes (default) or a Dask cluster"
    )
    p.add_argument("--scheduler", help="Dask scheduler address (default: a LocalCluster)")
    p.add_argument("--json", action="store_true", help="no progress bar; print one JSON summary")
    p.set_defaults(run=cmd_run)

    p = verbs.add_parser("table", help="print a suite's table")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--suite", help="suite name (needed when the store holds several)")
    p.add_argument(
        "--quick", action="store_true", help="the suite's [quick] variant, as `bench run --quick` names it (NAME-quick)"
    )
    p.add_argument("--format", choices=sorted(FORMATS), default="md")
    p.add_argument("--ci", action="store_true", help="95%% confidence intervals instead of std")
    p.add_argument("--no-runtime", action="store_true", help="leave out runtime (for byte-identical tables)")
    p.add_argument(
        "--standalone",
        action="store_true",
        help="with --format latex: a whole document (article, booktabs) that pdflatex compiles as it is",
    )
    p.add_argument("-o", "--output", help="write the table to this file instead of stdout")
    p.set_defaults(run=cmd_table)

    p = verbs.add_parser(
        "compare",
        help="every method against a baseline over the suite's instances: gap with "
        "bootstrap CIs, IQM, wins/ties/losses, Wilcoxon + Holm, probability of improvement",
    )
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--suite", help="suite name (needed when the store holds several)")
    p.add_argument(
        "--quick", action="store_true", help="the suite's [quick] variant, as `bench run --quick` names it (NAME-quick)"
    )
    p.add_argument(
        "--baseline", help="method label to compare against (default: the suite's first method that is not a reference)"
    )
    p.add_argument("--format", choices=sorted(FORMATS), default="md")
    p.add_argument(
        "--standalone",
        action="store_true",
        help="with --format latex: a whole document (article, booktabs) that pdflatex compiles as it is",
    )
    p.add_argument("-o", "--output", help="write the table to this file instead of stdout")
    p.set_defaults(run=cmd_compare)

    p = verbs.add_parser(
        "report",
        help="one self-contained HTML page: tables, comparison, profiles, figures, machine, versions, commands",
    )
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--suite", help="suite name (needed when the store holds several)")
    p.add_argument(
        "--quick", action="store_true", help="the suite's [quick] variant, as `bench run --quick` names it (NAME-quick)"
    )
    p.add_argument("--baseline", help="method label the comparison is against (default: as in `bench compare`)")
    p.add_argument("-o", "--output", required=True, help="the HTML file to write")
    p.set_defaults(run=cmd_report)

    p = verbs.add_parser("plot", help="draw a suite's figures (PNG and PDF)")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--suite", help="suite name (needed when the store holds several)")
    p.add_argument(
        "--quick", action="store_true", help="the suite's [quick] variant, as `bench run --quick` names it (NAME-quick)"
    )
    p.add_argument("--ci", action="store_true", help="95%% confidence intervals instead of std")
    p.add_argument(
        "--out-dir", help="folder for the PNG and PDF files (default: plots/ in the results folder, see --db)"
    )
    p.add_argument(
        "--width",
        choices=["column", "page"],
        default="column",
        help="figure width: one IEEE column (3.5 in, default) or the page (7.16 in)",
    )
    p.add_argument(
        "--profiles",
        action="store_true",
        help="also draw Dolan-Moré performance profiles over the instances (gap and runtime)",
    )
    p.add_argument(
        "--anytime",
        action="store_true",
        help="also draw the anytime figure: mean gap to the reference against time over the suite's "
        "instances (exact methods from their solver traces, others at their runtime)",
    )
    p.add_argument(
        "--instance",
        metavar="AXIS=VALUE,...,seed=S",
        help="with --anytime: one instance's incumbent and bound of each method against time instead",
    )
    p.set_defaults(run=cmd_plot)
