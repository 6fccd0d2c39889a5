"""The layering rules of the source tree, checked by an AST scan of every import (docs/adding-a-family.md).

- problem packages (``cpnopt/problems/``) never import ``cpnopt.formulations`` or ``cpnopt.solvers``;
- families never import each other (``problems/X``, ``formulations/X``, ``solvers/X`` import no
  ``problems/Y``, ``formulations/Y``, ``solvers/Y``), and the core (``cpnopt/*.py``,
  ``cpnopt/bench/``) imports no family;
- formulations import no solver but the HiGHS runner (no heuristics, no agents);
- heuristics and brute force never import a formulation (an exact result they need comes
  through the registry) nor an agent; only a family's ``agents`` module imports its agents;
- only environments (``cpnopt/rl_env.py``, ``problems/<family>/env.py``), ``agents``
  modules and ``solvers/rl/`` import torch;
- ``solvers/rl/`` imports no family;
- only the HiGHS runner (``solvers/highs.py``) imports highspy.

Every import counts, also those inside functions. The last test plants each kind of bad
import in one file (in memory) and checks the scan reports exactly it.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOTS = {"cpnopt": "cpnopt", "formulations": "cpnopt.formulations", "solvers": "cpnopt.solvers"}
LAYERS = ("problems", "formulations", "solvers")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. cpnopt.solvers.routing.heuristics
    target: str  # the imported module, e.g. cpnopt.formulations.routing.milp
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.where}: {self.module} imports {self.target}"


def module_name(rel: Path) -> str:
    parts = [ROOTS[rel.parts[0]], *rel.parts[1:]]
    parts[-1] = parts[-1].removesuffix(".py")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def file_imports(rel: Path, text: str) -> tuple[Import, ...]:
    """Every import in the file ``rel`` (relative to the repository) whose source is ``text``."""
    module = module_name(rel)
    package = module if rel.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(text, str(rel))):
        where = f"{rel}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, where) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [
                Import(module, f"{base}.{alias.name}" if alias.name != "*" else base, where) for alias in node.names
            ]
    return tuple(found)


def imports(root: Path, edited: dict[str, str] | None = None) -> Iterator[Import]:
    """The imports of every module of the tree; ``edited`` replaces some files' text (path -> source)."""
    edited = edited or {}
    for top in ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root)
            yield from file_imports(rel, edited.get(str(rel)) or path.read_text())


def families(root: Path) -> set[str]:
    return {p.name for p in (root / "cpnopt" / "problems").iterdir() if (p / "__init__.py").is_file()}


def family_of(module: str, names: set[str]) -> str | None:
    """The family a module belongs to (``cpnopt.<layer>.<family>...``), None for the rest."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[0] == "cpnopt" and parts[1] in LAYERS and parts[2] in names:
        return parts[2]
    return None


def under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def last(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def is_env(module: str) -> bool:
    return module == "cpnopt.rl_env" or (under(module, "cpnopt.problems") and last(module) == "env")


def is_agents(module: str) -> bool:
    return under(module, "cpnopt.solvers") and last(module) == "agents"


def in_agents_module(target: str) -> bool:
    """``target`` is an agents module or a name imported from one."""
    parts = target.split(".")
    return under(target, "cpnopt.solvers") and "agents" in parts[3:]


Rule = Callable[[Import, set[str]], bool]  # True: the import breaks the rule


def problems_import_no_solver(imp: Import, names: set[str]) -> bool:
    return under(imp.module, "cpnopt.problems") and (
        under(imp.target, "cpnopt.formulations") or under(imp.target, "cpnopt.solvers")
    )


def families_import_no_other_family(imp: Import, names: set[str]) -> bool:
    target = family_of(imp.target, names)
    if target is None:
        return False
    own = family_of(imp.module, names)
    core = not any(under(imp.module, f"cpnopt.{layer}") for layer in LAYERS)
    return (own is not None and own != target) or core


def formulations_import_only_the_highs_runner(imp: Import, names: set[str]) -> bool:
    return (
        under(imp.module, "cpnopt.formulations")
        and under(imp.target, "cpnopt.solvers")
        and not under(imp.target, "cpnopt.solvers.highs")
    )


def heuristics_import_no_exact_model(imp: Import, names: set[str]) -> bool:
    return last(imp.module) in ("heuristics", "enumerate") and under(imp.target, "cpnopt.formulations")


def only_agents_import_agents(imp: Import, names: set[str]) -> bool:
    return in_agents_module(imp.target) and not is_agents(imp.module)


def only_envs_agents_and_rl_import_torch(imp: Import, names: set[str]) -> bool:
    allowed = is_env(imp.module) or is_agents(imp.module) or under(imp.module, "cpnopt.solvers.rl")
    return under(imp.target, "torch") and not allowed


def only_the_highs_runner_imports_highspy(imp: Import, names: set[str]) -> bool:
    return under(imp.target, "highspy") and imp.module != "cpnopt.solvers.highs"


def rl_imports_no_family(imp: Import, names: set[str]) -> bool:
    return under(imp.module, "cpnopt.solvers.rl") and (
        family_of(imp.target, names) is not None or under(imp.target, "cpnopt.formulations")
    )


RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        problems_import_no_solver,
        families_import_no_other_family,
        formulations_import_only_the_highs_runner,
        heuristics_import_no_exact_model,
        only_agents_import_agents,
        only_envs_agents_and_rl_import_torch,
        only_the_highs_runner_imports_highspy,
        rl_imports_no_family,
    )
}


def violations(root: Path, rule: Rule, edited: dict[str, str] | None = None) -> list[str]:
    names = families(root)
    return [str(imp) for imp in imports(root, edited) if rule(imp, names)]


def test_the_scan_sees_the_tree():
    found = list(imports(REPO))
    modules = {imp.module for imp in found}
    assert {"cpnopt.solvers.routing.heuristics", "cpnopt.formulations.clustering.milp", "cpnopt.rl_env"} <= modules
    assert any(imp.target == "torch" for imp in found)
    assert families(REPO) >= {"clustering", "routing", "placement", "regional", "offloading"}


@pytest.mark.parametrize("name", RULES)
def test_layering_rule_holds(name):
    assert violations(REPO, RULES[name]) == []


PLANTED = {  # rule -> (file of the copy, bad import planted at its end)
    "problems_import_no_solver": (
        "cpnopt/problems/clustering/auction.py",
        "from cpnopt.solvers.highs import solve_pyomo",
    ),
    "families_import_no_other_family": (
        "solvers/routing/heuristics.py",
        "from cpnopt.problems.regional import balancing",
    ),
    "formulations_import_only_the_highs_runner": (
        "formulations/regional/milp.py",
        "from cpnopt.solvers.regional.heuristics import two_stage",
    ),
    "heuristics_import_no_exact_model": (
        "solvers/clustering/heuristics.py",
        "from ...formulations.clustering import milp",
    ),
    "only_agents_import_agents": ("solvers/routing/heuristics.py", "import cpnopt.solvers.routing.agents"),
    "only_envs_agents_and_rl_import_torch": ("cpnopt/problems/placement/split.py", "def f():\n    import torch"),
    "only_the_highs_runner_imports_highspy": ("formulations/clustering/cg.py", "import highspy"),
    "rl_imports_no_family": ("solvers/rl/ppo.py", "from cpnopt.problems.offloading.env import BatchedOffloadingEnv"),
}


@pytest.mark.parametrize("name", RULES)
def test_a_planted_bad_import_is_reported(name):
    file, bad = PLANTED[name]
    planted = (REPO / file).read_text() + "\n" + bad + "\n"
    found = violations(REPO, RULES[name], {file: planted})
    assert len(found) == 1 and found[0].startswith(file + ":"), found
