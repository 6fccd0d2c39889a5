"""Family and method registries.

Families register themselves in their package ``cpnopt.problems.<family>`` (every
subpackage of ``cpnopt.problems`` is imported once, when the families are first listed);
methods register with :func:`register_method` in the modules a family lists in
``Family.method_modules`` (formulations and solvers), which are imported on first use so
that the problem packages never import a solver. ``Family.env`` names the family's
Gymnasium environment class (``module:Class``), which :mod:`cpnopt.envs` registers.

A family outside cpnopt is a package that calls :func:`register_family` on import and
names itself in its distribution's ``cpnopt.families`` entry points (docs/adding-a-family.md).
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Callable

from cpnopt.errors import InputError
from cpnopt.solution import Evaluation, MethodOutput, Sense


class Kind(str, enum.Enum):
    """What a method's result promises: a proof (exact), nothing (heuristic), a trained policy (learned)."""

    EXACT = "exact"
    HEURISTIC = "heuristic"
    LEARNED = "learned"


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    sense: Sense
    instance_type: type
    decision_type: type
    params_type: type
    generate: Callable[..., Any]  # (params, seed) -> instance
    evaluate: Callable[[Any, Any], Evaluation]  # (instance, decision) -> Evaluation
    describe: Callable[[Any], dict[str, Any]]  # instance -> summary figures for people
    method_modules: tuple[str, ...]
    env: str | None = None  # "module:Class" of its Gymnasium environment (None: no learned methods)


@dataclass(frozen=True)
class Method:
    family: str
    name: str
    kind: Kind
    run: Callable[..., MethodOutput]
    description: str
    aliases: tuple[str, ...] = ()

    def option_names(self) -> list[str]:
        params = list(inspect.signature(self.run).parameters.values())[1:]
        return [p.name for p in params]


_families: dict[str, Family] = {}
_methods: dict[str, dict[str, Method]] = {}


def register_family(family: Family) -> Family:
    _families[family.name] = family
    return family


def register_method(
    family: str, name: str, kind: Kind, description: str, aliases: tuple[str, ...] = ()
) -> Callable[[Callable[..., MethodOutput]], Callable[..., MethodOutput]]:
    """Decorator: register ``run(instance, **options) -> MethodOutput`` under ``name``.

    The one way to register a method, variants included (one decorated function each)."""

    def decorate(run: Callable[..., MethodOutput]) -> Callable[..., MethodOutput]:
        _methods.setdefault(family, {})[name] = Method(family, name, Kind(kind), run, description, aliases)
        return run

    return decorate


FAMILY_ENTRY_POINTS = "cpnopt.families"  # entry-point group: module of a family package
_loaded = False


def _load_families() -> None:
    """Import every family package once per process (later calls cost nothing)."""
    global _loaded
    if _loaded:
        return
    import cpnopt.problems

    for module in pkgutil.iter_modules(cpnopt.problems.__path__, prefix="cpnopt.problems."):
        if module.ispkg:
            importlib.import_module(module.name)
    for entry in metadata.entry_points(group=FAMILY_ENTRY_POINTS):  # families of other packages
        importlib.import_module(entry.value)
    _loaded = True


def families() -> dict[str, Family]:
    _load_families()
    return dict(_families)


def get_family(name: str) -> Family:
    found = families().get(name)
    if found is None:
        raise InputError("family", name, f"unknown family; known: {', '.join(sorted(_families))}")
    return found


def family_of(instance: Any) -> Family:
    for family in families().values():
        if isinstance(instance, family.instance_type):
            return family
    raise InputError("instance", type(instance).__name__, "not an instance of any registered family")


def methods(family: str) -> dict[str, Method]:
    """Every method of ``family`` (all its method modules are imported)."""
    fam = get_family(family)
    for module in fam.method_modules:
        importlib.import_module(module)
    return dict(_methods.get(fam.name, {}))


def _find(family: str, name: str) -> Method | None:
    for method in _methods.get(family, {}).values():
        if name == method.name or name in method.aliases:
            return method
    return None


def get_method(family: str, name: str) -> Method:
    """The method ``name`` (or alias) of ``family``.

    Method modules are imported in the family's order until the name is found, so that
    solving with an exact method or a heuristic does not pay for importing what comes later
    in the list (the learned agents, listed last, import PyTorch)."""
    fam = get_family(family)
    for module in fam.method_modules:
        found = _find(fam.name, name)
        if found is not None:
            return found
        importlib.import_module(module)
    found = _find(fam.name, name)
    if found is None:
        registered = methods(family)
        raise InputError("method", name, f"unknown method for {family}; known: {', '.join(sorted(registered))}")
    return found
