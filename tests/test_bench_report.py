"""`bench report`: one self-contained HTML page that embeds every figure and references no URL."""

import re

from tests.bench_synthetic import PROFITS, synthetic_store
from tests.cli_runner import run_cli

RUNTIMES = {"milp": 2.0, "km-rea": 0.01, "rand-rea": 0.005}


def test_report_embeds_every_figure_and_references_no_url(tmp_path):
    db = synthetic_store(tmp_path / "s.db", PROFITS, RUNTIMES)
    page_path = tmp_path / "report.html"
    done = run_cli(["bench", "report", "--db", str(db), "-o", str(page_path)])
    assert done.code == 0, done.stderr
    page = page_path.read_text()
    # the figures `bench plot --profiles --anytime` draws, plus the scatter against the reference
    plotted = run_cli(["bench", "plot", "--db", str(db), "--profiles", "--anytime", "--out-dir", str(tmp_path / "p")])
    pngs = [line for line in plotted.stdout.split() if line.endswith(".png")]
    assert any(png.endswith("synthetic-anytime-gap.png") for png in pngs)
    images = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert len(images) == len(pngs) + 1
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r"https?://", page)
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)  # no file or link outside the page
    for text in (
        "Results per sweep point",
        "Comparison with km-rea",
        "Performance profiles",
        "Anytime: how good after 1 s, 10 s, 60 s",
        "Mean primal gap over the instances against time",
        # after 1 s milp (runtimes 2, 4, 6 s) has its optimum on the seed-0 instances, half of it on the others
        '<td class="l">milp</td><td>33.33%</td><td><b>0.00%</b></td>',
        "highspy 1.16.0",
        "cpnopt bench report",
        "5/1/0",
        "platform profit (price units)",
    ):
        assert text in page, text
