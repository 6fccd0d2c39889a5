"""The README's benchmark lines run as written, in order, at quick size, and leave nothing in
the working directory (the store and plots go to the results folder)."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[1]


def readme_bench_lines() -> list[str]:
    """The commands of the README's 'Benchmark suites' bash block, comments stripped."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Benchmark suites", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def at_quick_size(line: str) -> list[str]:
    words = shlex.split(line)
    if words[:2] == ["cpnopt", "bench"] and "--quick" not in words:
        words.append("--quick")
    if words[:2] == ["bash", "benchmarks/run_paper_suites.sh"]:
        assert "--quick" in words
        words.append("clustering-servers")  # PATTERN: one suite is enough here
    return words


def test_readme_bench_lines_run_as_written(tmp_path):
    lines = readme_bench_lines()
    assert [w for line in lines for w in shlex.split(line)[:3] if w in ("run", "table", "plot")] == [
        "run",
        "table",
        "plot",
        "run",
        "table",
    ]
    work = tmp_path / "work"
    (work / "benchmarks").mkdir(parents=True)
    shutil.copytree(REPO / "benchmarks" / "suites", work / "benchmarks" / "suites")
    shutil.copy(REPO / "benchmarks" / "run_paper_suites.sh", work / "benchmarks")
    results = tmp_path / "results"
    env = {
        **os.environ,
        "CPNOPT_RESULTS_DIR": str(results),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    outputs = []
    for line in lines:
        run = subprocess.run(at_quick_size(line), cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"{line}\n{run.stderr[-2000:]}"
        outputs.append(run.stdout)
    assert r"\begin{tabular}" in outputs[1] and "km-rea" in outputs[1]
    assert all(Path(p).is_file() and Path(p).parent == results / "plots" for p in outputs[2].split())
    assert "| servers | method |" in outputs[4]  # display names, not identifiers
    assert (results / "paper-suites" / "clustering-servers-quick.csv").is_file()
    assert sorted(p.name for p in work.iterdir()) == ["benchmarks"]
    assert sorted(p.name for p in (work / "benchmarks").iterdir()) == ["run_paper_suites.sh", "suites"]
