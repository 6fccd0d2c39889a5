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

import dataclasses
import enum
import functools
import importlib
import importlib.util
import inspect
import math
import pkgutil
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from cpnopt.errors import InputError
from cpnopt.metrics import MetricInfo
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
    # display name, unit, sense and format of each metric and of the parameters suites sweep
    metrics: Mapping[str, MetricInfo] = field(default_factory=dict)
    env: str | None = None  # "module:Class" of its Gymnasium environment (None: no learned methods)


@dataclass(frozen=True)
class Method:
    family: str
    name: str
    kind: Kind
    run: Callable[..., MethodOutput]
    description: str
    aliases: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # modules of an optional extra the method imports when it runs

    def available(self) -> bool:
        """Whether the modules in ``requires`` are installed (without them, running the method is an InputError)."""
        return all(importlib.util.find_spec(name) is not None for name in self.requires)

    def option_names(self) -> list[str]:
        """The options of ``run`` (its keyword parameters after the instance)."""
        params = list(inspect.signature(self.run).parameters.values())[1:]
        return [p.name for p in params]

    def check_options(self, options: dict[str, Any], where: str = "options") -> dict[str, Any]:
        """Validate ``options`` and return the keyword arguments for ``run``.

        Every value must match the type hint of its parameter in ``run``'s signature
        (``--option gamma=abc`` is an :class:`InputError`, not a ``TypeError`` inside the
        method). ``time_limit`` is accepted by every method (see :data:`UNIVERSAL_OPTIONS`)
        and must be a positive, finite number of seconds; a method without the parameter runs
        to completion and is not given it. ``write_model`` on a method that builds no model,
        ``threads`` or ``samples`` below 1 and a ``device`` this machine does not have are refused too.
        """
        hints = typing.get_type_hints(self.run)
        allowed = self.option_names()
        kwargs: dict[str, Any] = {}
        for key, value in options.items():
            field = f"{where}.{key}"
            if key == "write_model" and key not in allowed:
                raise InputError(field, value, f"{self.name} builds no model to write; {_model_writers(self.family)}")
            if key not in allowed and key not in UNIVERSAL_OPTIONS:
                known = sorted(set(allowed) | set(UNIVERSAL_OPTIONS))
                raise InputError(field, value, f"not an option of {self.name}; options: {', '.join(known)}")
            _check_type(field, value, hints.get(key, UNIVERSAL_OPTIONS.get(key)))
            _check_range(field, key, value)
            if key in allowed:
                kwargs[key] = value
        return kwargs


UNIVERSAL_OPTIONS: dict[str, Any] = {"time_limit": float | None}
"""Options every method accepts, with their type. A method whose ``run`` has no such parameter
is not given the value: heuristics and learned methods without a ``time_limit`` run to
completion (they take no budget), and :func:`cpnopt.api.solve` notes in the report's message
when such a run took longer than the limit."""


def _type_name(hint: Any) -> str:
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    return " or ".join(names.get(a, getattr(a, "__name__", str(a))) for a in args)


def _matches(value: Any, hint: Any) -> bool:
    if hint is Any or hint is None:
        return True
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # a hint this check does not know: the method validates the value itself


def _check_type(field: str, value: Any, hint: Any) -> None:
    if not _matches(value, hint):
        nullable = " (or null)" if type(None) in typing.get_args(hint) else ""
        raise InputError(field, value, f"expected {_type_name(hint)}{nullable}")


def _check_range(field: str, key: str, value: Any) -> None:
    if value is None:
        return
    if key == "time_limit" and not (math.isfinite(value) and value > 0):
        raise InputError(field, value, "a time limit is a positive, finite number of seconds")
    if key in ("threads", "samples") and value < 1:
        raise InputError(field, value, "must be ≥ 1")
    if key == "write_model" and not value.lower().endswith((".lp", ".mps")):
        raise InputError(field, value, "file name must end in .lp or .mps")
    if key == "write_model" and not Path(value).resolve().parent.is_dir():
        raise InputError(field, value, "its folder does not exist")
    if key == "device":
        from cpnopt.solvers.rl.session import resolve_device  # only learned methods have a device

        try:
            resolve_device(value)
        except InputError as exc:
            raise InputError(field, value, exc.reason) from None


def _model_writers(family: str) -> str:
    writers = sorted(m.name for m in methods(family).values() if "write_model" in m.option_names())
    return (
        f"methods of {family} with a model: {', '.join(writers)}"
        if writers
        else f"no method of {family} writes a model"
    )


_families: dict[str, Family] = {}
_methods: dict[str, dict[str, Method]] = {}


def register_family(family: Family) -> Family:
    _families[family.name] = family
    return family


def flatten_options(run: Callable[..., MethodOutput], options_type: type) -> Callable[..., MethodOutput]:
    """``run(instance, options: options_type, **own)`` as a method of flat keyword options: the fields
    of the dataclass ``options_type`` (options shared by a kind of method, declared once), then
    ``run``'s own. The signature and type hints are what the registry lists and checks."""
    params = list(inspect.signature(run).parameters.values())
    fields = dataclasses.fields(options_type)
    names = [f.name for f in fields]
    shared = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type) for f in fields
    ]
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params[2:]]

    @functools.wraps(run)
    def method(instance: Any, **options: Any) -> MethodOutput:
        grouped = options_type(**{key: options.pop(key) for key in names if key in options})
        return run(instance, grouped, **options)

    signature = [params[0], *shared, *own]
    method.__signature__ = inspect.Signature(signature, return_annotation=MethodOutput)  # type: ignore[attr-defined]
    # the type hints the registry checks option values against (evaluated in run's module)
    method.__annotations__ = {p.name: p.annotation for p in signature if p.annotation is not p.empty}
    return method


def register_method(
    family: str,
    name: str,
    kind: Kind,
    description: str,
    aliases: tuple[str, ...] = (),
    requires: tuple[str, ...] = (),
) -> Callable[[Callable[..., MethodOutput]], Callable[..., MethodOutput]]:
    """Decorator: register ``run(instance, **options) -> MethodOutput`` under ``name``.

    The one way to register a method, variants included (one decorated function each).
    ``requires``: modules of an optional extra the method needs (:meth:`Method.available`)."""

    def decorate(run: Callable[..., MethodOutput]) -> Callable[..., MethodOutput]:
        _methods.setdefault(family, {})[name] = Method(family, name, Kind(kind), run, description, aliases, requires)
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
