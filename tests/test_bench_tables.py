"""Tables a venue accepts: metric metadata from the family, booktabs LaTeX that compiles, units,
a caption that says what ± means, bold only for quality metrics; the CSV stays as it was."""

import shutil
import subprocess
from pathlib import Path

import pytest

from cpnopt.bench.store import Store
from cpnopt.bench.suite import load_suite
from cpnopt.bench.tables import build_table, to_csv, to_latex, to_markdown
from cpnopt.metrics import MetricInfo
from cpnopt.registry import get_family
from tests.bench_synthetic import PROFITS, synthetic_store
from tests.cli_runner import assert_one_line_error, run_cli

REPO = Path(__file__).resolve().parents[1]

RUNTIMES = {"milp": 2.0, "km-rea": 0.01, "rand-rea": 7.4e-05}


def table(tmp_path, **options):
    with Store(synthetic_store(tmp_path / "s.db", PROFITS, RUNTIMES)) as store:
        return build_table(store, "synthetic", **options)


@pytest.mark.parametrize("suite_file", sorted((REPO / "benchmarks" / "suites").glob("*.toml")), ids=lambda p: p.stem)
def test_every_quantity_a_shipped_suite_names_has_display_metadata(suite_file):
    suite = load_suite(suite_file)
    declared = get_family(suite.family).metrics
    named = [m.partition(":")[0] for m in suite.metrics] + list(suite.sweep) + list(suite.quick.get("sweep", {}))
    missing = [name for name in named if name not in declared and name != "report.gap"]
    assert not missing, f"{suite.family} declares no MetricInfo for {missing}"


def test_numbers_have_separators_and_no_exponent():
    runtime = MetricInfo("runtime", "s")
    assert runtime.format(7.4e-05) == "0.0001"
    assert runtime.format(12345.678) == "12,346"
    assert runtime.format(0.01234) == "0.0123"
    assert MetricInfo("rate", percent=True).format(0.3125) == "31.2%"
    assert MetricInfo("profit", "price units", decimals=1).format_pair(2488.224, 120.21) == ("2,488.2", "120.2")
    assert MetricInfo("servers", integer=True).format(7.0) == "7"
    assert MetricInfo("rate", percent=True).label == "rate (%)"


def test_markdown_and_latex_name_units_say_what_plus_minus_means_and_bold_only_quality(tmp_path):
    found = table(tmp_path)
    latex = to_latex(found)
    markdown = to_markdown(found)
    for text in (latex, markdown):
        assert "e-0" not in text and "platform_profit" not in text and "n_servers" not in text
        assert "2 sweep points × 3 seeds = 6 instances" in text.replace(r"$\times$", "×")
    assert r"\toprule" in latex and r"\midrule" in latex and r"\bottomrule" in latex
    assert r"\caption{Mean $\pm$ standard deviation over seeds" in latex
    assert (
        r"platform profit (price units) & offloading rate (\%) & gap to optimum (\%) & runtime (s) & runs \\" in latex
    )
    assert "1 error, 2 feasible" in latex  # the runs column
    # the fastest method (rand-rea) is not bold; the best profit (milp) is
    rand_rows = [line for line in latex.splitlines() if " & rand-rea & " in line]
    assert rand_rows and all(r"\textbf" not in line.split(" & ")[-2] for line in rand_rows)
    assert r"\textbf{110.0 $\pm$ 10.0}" in latex
    assert "| 4 | milp | **110.0 ± 10.0** |" in markdown
    assert latex.rstrip().endswith("% made with highspy 1.16.0")
    assert "Made with highspy 1.16.0." in markdown


def test_csv_keeps_identifiers_and_full_precision(tmp_path):
    lines = to_csv(table(tmp_path, include_runtime=False)).splitlines()
    assert lines[0] == (
        "n_servers,method,platform_profit_mean,platform_profit_std,platform_profit_n,offloading_rate_mean,"
        "offloading_rate_std,offloading_rate_n,gap_mean,gap_std,gap_n,statuses"
    )
    assert lines[2].startswith("4,km-rea,103,15.39480432,3,")


def test_standalone_is_only_for_latex(tmp_path):
    done = run_cli(["bench", "table", "--db", str(synthetic_store(tmp_path / "s.db", PROFITS)), "--standalone"])
    assert_one_line_error(done, "--standalone", "md")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex (apt-get install texlive-latex-recommended)")
def test_latex_tables_compile_with_pdflatex(tmp_path):
    found = table(tmp_path)
    (tmp_path / "standalone.tex").write_text(to_latex(found, standalone=True))
    (tmp_path / "included.tex").write_text(
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n" + to_latex(found) + "\\end{document}\n"
    )
    for name in ("standalone", "included"):
        done = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout[-2000:]
        assert (tmp_path / f"{name}.pdf").stat().st_size > 1000


def test_an_equal_time_budget_reaches_every_method_and_the_caption(tmp_path):
    from cpnopt.bench.runner import run_suite
    from cpnopt.bench.suite import suite_from_dict
    from cpnopt.errors import InputError

    data = {
        "name": "budget",
        "family": "clustering",
        "seeds": [0],
        "reference": "milp",
        "metrics": ["platform_profit"],
        "time_budget_s": 20,
        "params": {"n_slots": 2, "arrivals_per_slot": 2, "n_metro_areas": 2},
        "sweep": {"n_servers": [4]},
        "methods": [{"name": "milp", "options": {"threads": 1}}, {"name": "km-rea"}],
        "quick": {"time_budget_s": 30, "time_limit": 5},
    }
    suite = suite_from_dict(data)
    assert [m.options["time_limit"] for m in suite.methods] == [20.0, 20.0]
    assert [m.options["time_limit"] for m in suite.quick_variant().methods] == [5.0, 5.0]  # the quick cap wins
    assert [m.label for m in suite.methods] == ["milp", "km-rea"]  # the budget does not rename methods
    with pytest.raises(InputError, match=r"methods\[1\].options.time_limit"):
        suite_from_dict({**data, "methods": [{"name": "milp"}, {"name": "km-rea", "options": {"time_limit": 5}}]})
    with pytest.raises(InputError, match="time_budget_s"):
        suite_from_dict({**data, "time_budget_s": 0})
    with Store(tmp_path / "b.db") as store:
        summary = run_suite(suite, store, progress=False)
        assert summary.failed == 0
        note = build_table(store, "budget").note()
    assert "Equal time budget: 20 s per run for every method" in note
