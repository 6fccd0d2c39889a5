"""Anytime traces of the exact methods (HiGHS's MIP callbacks) and the anytime figures built on them."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import cpnopt
from cpnopt.bench import anytime
from cpnopt.bench.data import load_runs
from cpnopt.bench.runner import run_suite
from cpnopt.bench.store import Store
from cpnopt.bench.suite import suite_from_dict
from cpnopt.bench.tables import build_table, to_csv
from cpnopt.registry import Kind, get_method
from tests.bench_synthetic import PROFITS, synthetic_store
from tests.cli_runner import run_cli
from tests.test_bench_plots import RUNTIMES, type3_fonts

CLUSTERING = dict(n_servers=8, n_slots=3, arrivals_per_slot=5, n_metro_areas=3)  # several incumbents, about 2 s

CASES = [  # (family, method, generator parameters, options): both senses, scaled and time-limited models
    ("clustering", "milp", CLUSTERING, {"threads": 1}),
    ("clustering", "cg", CLUSTERING, {"threads": 1}),
    ("clustering", "enumerate", dict(n_servers=4, n_slots=1, arrivals_per_slot=4, n_metro_areas=2), {}),
    ("regional", "milp", {}, {"threads": 1}),
    ("placement", "offline", {}, {"threads": 1, "time_limit": 2.0}),
    ("offloading", "milp", {}, {"threads": 1}),
]


def assert_monotone(trace, sense):
    """Times increase, the incumbent only improves, the bound only tightens and stays on its side."""
    sign = 1.0 if sense == "max" else -1.0
    times = [t for t, _, _ in trace]
    assert times == sorted(times)
    incumbents = [sign * v for _, v, _ in trace if v is not None]
    bounds = [sign * b for _, _, b in trace if b is not None]
    tol = 1e-7 * max([1.0] + [abs(x) for x in incumbents + bounds])
    assert all(b >= a - tol for a, b in zip(incumbents, incumbents[1:])), incumbents
    assert all(b <= a + tol for a, b in zip(bounds, bounds[1:])), bounds
    for _, v, b in trace:
        if v is not None and b is not None:
            assert sign * b >= sign * v - tol


@pytest.mark.parametrize(("family", "method", "params", "options"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_exact_trace_is_monotone_and_ends_at_the_report(family, method, params, options):
    sol = cpnopt.solve(cpnopt.generate(family, seed=0, **params), method, **options)
    report = sol.report
    trace = report.info["trace"]
    assert trace and all(len(row) == 3 for row in trace)
    assert_monotone(trace, cpnopt.get_family(family).sense.value)
    assert trace[-1][1:] == [report.model_objective, report.bound]
    assert trace[-1][0] <= report.runtime_s
    if family != "offloading":  # offloading's MILP is a relaxation: its incumbent is not the decision's latency
        assert report.model_objective == pytest.approx(report.objective, rel=1e-6)
    json.dumps(trace, allow_nan=False)  # stored as plain JSON: no inf, no NaN


def test_a_milp_trace_follows_the_search_not_only_its_end():
    """HiGHS's callbacks add rows while it searches: incumbents before the last one, and bounds."""
    trace = cpnopt.solve(cpnopt.generate("clustering", seed=0, **CLUSTERING), "milp", threads=1).report.info["trace"]
    incumbents = {v for _, v, _ in trace if v is not None}
    bounds = {b for _, _, b in trace if b is not None}
    assert len(incumbents) >= 2 and len(bounds) >= 2


def test_every_exact_method_of_the_harness_reports_a_trace(tmp_path):
    """The store keeps the trace in the run's report; the table (and its --no-runtime CSV) never shows it."""
    suite = suite_from_dict(
        {
            "name": "anytime",
            "family": "clustering",
            "seeds": [0],
            "reference": "milp",
            "metrics": ["platform_profit"],
            "params": {"n_slots": 2, "arrivals_per_slot": 3, "n_metro_areas": 2},
            "sweep": {"n_servers": [4]},
            "methods": [{"name": "milp", "options": {"threads": 1}}, {"name": "km-rea"}],
        }
    )
    with Store(tmp_path / "s.db") as store:
        run_suite(suite, store, workers=1, progress=False)
        runs = {run["label"]: run for run in store.runs("anytime")}
        csv = to_csv(build_table(store, "anytime", include_runtime=False))
    assert get_method("clustering", "milp").kind is Kind.EXACT
    trace = runs["milp"]["report"]["info"]["trace"]
    assert trace[-1][1:] == [runs["milp"]["report"]["model_objective"], runs["milp"]["bound"]]
    assert "trace" not in runs["km-rea"]["report"]["info"]
    assert "trace" not in csv and str(trace[0][0]) not in csv


def test_gap_curves_by_hand(tmp_path):
    """milp (synthetic): no incumbent until 10 % of its runtime, half the optimum until 50 %, then
    the optimum; the heuristics at their runtime (under 0.03 s)."""
    data = load_runs(Store(synthetic_store(tmp_path / "s.db", PROFITS, RUNTIMES)), "synthetic")
    curves = anytime.gap_curves(data, np.array([0.1, 0.9, 10.0]))
    assert curves.mean_gap["milp"].tolist() == [1.0, 0.5, 0.0]  # runtimes 2, 4, 6 s
    gaps = [
        1.0 if value is None else (PROFITS["milp"][key] - value) / PROFITS["milp"][key]
        for key, value in PROFITS["km-rea"].items()
    ]
    assert curves.mean_gap["km-rea"] == pytest.approx([np.mean(gaps)] * 3)
    assert curves.mean_gap["rand-rea"][0] == pytest.approx(
        np.mean([1.0 if v is None else 1 - v / PROFITS["milp"][k] for k, v in PROFITS["rand-rea"].items()])
    )
    assert curves.instances == {"milp": 6, "km-rea": 6, "rand-rea": 6}


def test_plot_anytime_writes_the_gap_and_instance_figures_without_type3_fonts(tmp_path):
    db = str(synthetic_store(tmp_path / "s.db", PROFITS, RUNTIMES))
    out = str(tmp_path / "p")
    done = run_cli(["bench", "plot", "--db", db, "--anytime", "--out-dir", out])
    assert done.code == 0, done.stderr
    one = run_cli(["bench", "plot", "--db", db, "--anytime", "--instance", "seed=2, n_servers=6", "--out-dir", out])
    assert one.code == 0, one.stderr
    pdfs = [Path(line) for line in (done.stdout + one.stdout).split() if line.endswith(".pdf")]
    pdfs = [pdf for pdf in pdfs if "anytime" in pdf.name]
    assert [pdf.name for pdf in pdfs] == [
        "synthetic-anytime-gap.pdf",
        "synthetic-anytime-n_servers_6_seed_2.pdf",
    ]
    for pdf in pdfs:
        assert type3_fonts(pdf) == [], pdf


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--anytime", "--instance", "n_servers=9,seed=0"], "--instance"),
        (["--instance", "n_servers=4,seed=0"], "--instance"),
    ],
)
def test_plot_anytime_bad_instance_is_one_line(tmp_path, argv, field):
    db = str(synthetic_store(tmp_path / "s.db", PROFITS, RUNTIMES))
    done = run_cli(["bench", "plot", "--db", db, *argv, "--out-dir", str(tmp_path / "p")])
    assert done.code == 2 and field in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_trace_option_writes_the_trace_as_csv(tmp_path):
    """Every exact method with a solver takes ``trace=FILE``, as bp does; a file it cannot write is one InputError."""
    path = tmp_path / "trace.csv"
    sol = cpnopt.solve(cpnopt.generate("regional", seed=0), "milp", threads=1, trace=str(path))
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["time_s", "incumbent", "bound"]
    written = [[float(x) if x else None for x in row] for row in rows[1:]]
    assert written == sol.report.info["trace"][: len(written)] and len(written) >= 2
    instance = tmp_path / "regional.json"
    assert run_cli(["generate", "regional", "--seed", "0", "-o", str(instance)]).code == 0
    bad = f'trace="{tmp_path}/no/such/folder/trace.csv"'
    done = run_cli(["solve", str(instance), "--method", "milp", "--option", bad], timeout_s=120)
    assert done.code == 2 and "trace" in done.stderr and len(done.stderr.strip().splitlines()) == 1
