"""The package stands on its own: its version, Python 3.10 support, no citations of files outside it."""

import importlib
import importlib.metadata
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from cpnopt.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_the_installed_distributions(capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"cpnopt {importlib.metadata.version('cpnopt')}"


def test_the_cli_import_path_works_without_tomllib(monkeypatch, tmp_path):
    """Python 3.10 has no tomllib: suites are then read with tomli (a dependency there, same API)."""
    monkeypatch.setitem(sys.modules, "tomllib", None)  # `import tomllib` now fails as on 3.10
    monkeypatch.setitem(sys.modules, "tomli", tomllib)  # the stand-in for the tomli package
    for name in ("cpnopt.bench.suite", "cpnopt.bench.cli", "cpnopt.cli"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    suite_module = importlib.import_module("cpnopt.bench.suite")
    importlib.import_module("cpnopt.cli")
    assert suite_module.tomllib is tomllib
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "s"\nfamily = "clustering"\nseeds = [0]\nmetrics = ["platform_profit"]\n'
        '[sweep]\nn_servers = [4]\n[[methods]]\nname = "km-rea"\n'
    )
    assert suite_module.load_suite(path).name == "s"


def test_tomli_is_a_dependency_below_python_3_11():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(
        d.replace(" ", "").startswith("tomli>=") and "python_version<'3.11'" in d.replace(" ", "").replace('"', "'")
        for d in dependencies
    )


def test_no_file_outside_the_repository_is_cited():
    needles = ("DESIGN" + ".md", "shared" + "/")  # spelled apart so that this file does not match
    sources = [
        p
        for folder in ("cpnopt", "formulations", "solvers", "benchmarks", "docs", "tests", "notebooks")
        for p in (ROOT / folder).rglob("*")
        if p.suffix in (".py", ".md", ".toml", ".sh", ".ipynb")
    ]
    sources += [ROOT / "README.md", ROOT / "pyproject.toml"]
    cited = [f"{p.relative_to(ROOT)}: {needle}" for p in sources for needle in needles if needle in p.read_text()]
    assert cited == []
    parser = build_parser()
    helps = [parser.format_help()] + [
        sub.format_help() for action in parser._subparsers._group_actions for sub in action.choices.values()
    ]
    assert not [h for h in helps for needle in needles if needle in h]
