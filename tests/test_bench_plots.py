"""Figures a venue accepts (Type 42 fonts, IEEE widths, units) and Dolan–Moré performance profiles."""

import re
import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cpnopt.bench.data import load_runs  # noqa: E402
from cpnopt.bench.profiles import GAP_FLOOR, costs, profile  # noqa: E402
from cpnopt.bench.stats import performance_profile, performance_ratios  # noqa: E402
from cpnopt.bench.store import Store  # noqa: E402
from tests.bench_synthetic import PROFITS, synthetic_store  # noqa: E402
from tests.cli_runner import run_cli  # noqa: E402

RUNTIMES = {"milp": 2.0, "km-rea": 0.01, "rand-rea": 0.005}


def type3_fonts(pdf: Path) -> list[str]:
    """Names of the Type 3 fonts in ``pdf``: by ``pdffonts`` when installed, else from the font
    dictionaries (matplotlib writes them uncompressed)."""
    if shutil.which("pdffonts"):
        listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        return [line.split()[0] for line in listing.splitlines()[2:] if " Type 3 " in line]
    return re.findall(r"/Subtype\s*/Type3", pdf.read_bytes().decode("latin-1"))


def test_the_type3_check_finds_a_type3_font(tmp_path):
    with plt.rc_context({"pdf.fonttype": 3}):
        fig, ax = plt.subplots()
        ax.set_xlabel("gap (%)")
        fig.savefig(tmp_path / "type3.pdf")
        plt.close(fig)
    assert type3_fonts(tmp_path / "type3.pdf")


@pytest.mark.parametrize("width, points", [("column", 252), ("page", 515.5)])
def test_figures_have_no_type3_font_and_the_chosen_width(tmp_path, width, points):
    db = synthetic_store(tmp_path / "s.db", PROFITS, RUNTIMES)
    done = run_cli(["bench", "plot", "--db", str(db), "--profiles", "--width", width, "--out-dir", str(tmp_path / "p")])
    assert done.code == 0, done.stderr
    pdfs = sorted(Path(line) for line in done.stdout.split() if line.endswith(".pdf"))
    assert {p.name for p in pdfs} >= {
        "synthetic-platform_profit.pdf",
        "synthetic-gap.pdf",
        "synthetic-runtime_s.pdf",
        "synthetic-profile-gap.pdf",
        "synthetic-profile-runtime.pdf",
    }
    for pdf in pdfs:
        assert type3_fonts(pdf) == [], pdf.name
        box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)", pdf.read_bytes())
        assert float(box.group(1)) == pytest.approx(points, abs=1), pdf.name


def test_plot_refuses_an_unknown_width(tmp_path):
    db = synthetic_store(tmp_path / "s.db", PROFITS)
    done = run_cli(["bench", "plot", "--db", str(db), "--width", "huge", "--out-dir", str(tmp_path / "p")])
    assert done.code == 2 and "--width" in done.stderr and "Traceback" not in done.stderr


def test_performance_profile_is_monotone_starts_at_the_share_of_wins_and_reaches_one(tmp_path):
    with Store(synthetic_store(tmp_path / "s.db", PROFITS, RUNTIMES)) as store:
        data = load_runs(store, "synthetic")
    found = profile(data, "gap")
    gap_costs = costs(data, "gap")
    for method, curve in found.curves.items():
        assert np.all(np.diff(curve) >= 0), method
        cost = np.maximum(np.asarray(gap_costs[method]), GAP_FLOOR)
        best = np.min([np.maximum(np.asarray(c), GAP_FLOOR) for c in gap_costs.values()], axis=0)
        assert curve[0] == pytest.approx(np.mean(cost <= best))  # τ = 1: the share of wins (ties included)
    assert found.taus[0] == 1.0
    assert found.curves["milp"][0] == 1.0  # the reference is at the optimum everywhere
    assert found.curves["km-rea"][0] == pytest.approx(1 / 6)  # it matches the optimum on (4, 1) only
    assert found.curves["km-rea"][-1] == 1.0  # it solved every instance
    assert found.curves["rand-rea"][-1] == pytest.approx(5 / 6)  # it failed on (6, 2): never reaches 1
    runtime = profile(data, "runtime_s")
    assert runtime.curves["rand-rea"][0] == pytest.approx(5 / 6)  # fastest wherever it returned a solution


def test_ratios_by_hand():
    ratios = performance_ratios({"a": [1.0, 4.0, np.inf], "b": [2.0, 2.0, 3.0]}, floor=0.5)
    assert ratios["a"].tolist() == [1.0, 2.0, np.inf] and ratios["b"].tolist() == [2.0, 1.0, 1.0]
    assert performance_profile(ratios["a"], np.array([1.0, 2.0, 100.0])).tolist() == pytest.approx(
        [1 / 3, 2 / 3, 2 / 3]
    )


def test_learning_curves_figure_is_type42_at_column_width(tmp_path):
    """``plot_learning_curves``: one PNG and one PDF, IEEE column wide, no Type 3 font."""
    from cpnopt.bench.plots import plot_learning_curves
    from cpnopt.bench.stats import Interval

    curves = {"seed mean": [(1000, Interval(0.2, 0.15, 0.25)), (2000, Interval(0.1, 0.08, 0.12))]}
    written = plot_learning_curves(curves, "curve", tmp_path, markers={"bundled": 1500})
    assert sorted(p.name for p in written) == ["curve.pdf", "curve.png"]
    pdf = tmp_path / "curve.pdf"
    assert type3_fonts(pdf) == []
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)", pdf.read_bytes())
    assert float(box.group(1)) == pytest.approx(252, abs=1)
