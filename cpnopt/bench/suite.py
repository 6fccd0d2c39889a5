"""Benchmark suites: a TOML file naming a family, generator parameters with sweeps, seeds and methods.

```toml
name = "clustering-servers"
family = "clustering"
description = "DCAT Fig. 3: profit and offloading rate vs |S|"
seeds = [0, 1, 2]
reference = ["milp", "cg"]    # exact methods: every gap is to a proven optimum, or the tightest bound
metrics = ["platform_profit", "offloading_rate"]
job_timeout_s = 300           # wall limit of one run (a hung run is killed, recorded time_limit)
# time_budget_s = 60          # equal time budget: every method's time_limit (none may set its own)

[params]                      # fixed generator parameters
n_slots = 4

[sweep]                       # lists or {start, stop, step} ranges (stop included); product of axes
n_servers = { start = 20, stop = 60, step = 10 }

[[methods]]
name = "milp"
options = { time_limit = 60 }

[[methods]]
name = "km-rea"

[quick]                       # the CI-sized variant: replaces seeds/sweep (and methods, if
seeds = [0]                   # given), merges params, and caps every method's time_limit
                              # (and time_budget_s)
sweep = { n_servers = [6, 8] }
time_limit = 10
```
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cpnopt.errors import InputError
from cpnopt.jsonio import read_text
from cpnopt.registry import get_family, get_method

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, published as tomli (a dependency there)
    import tomli as tomllib  # type: ignore[no-redef]


@dataclass(frozen=True)
class MethodSpec:
    name: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The method's name in tables: its name, plus options that tell variants apart."""
        shown = {k: v for k, v in self.options.items() if k not in ("time_limit", "threads")}
        return self.name + "".join(f" {k}={v}" for k, v in sorted(shown.items()))


@dataclass(frozen=True)
class Job:
    """One run: an instance spec (family, parameters, seed) and a method with options."""

    suite: str
    family: str
    point: dict[str, Any]  # the sweep values of this job
    params: dict[str, Any]  # all generator parameters (fixed ∪ point)
    seed: int
    method: MethodSpec
    timeout_s: float

    @property
    def point_key(self) -> str:
        return canonical(self.point)

    @property
    def params_key(self) -> str:
        return canonical(self.params)

    @property
    def options_key(self) -> str:
        return canonical(self.method.options)


@dataclass(frozen=True)
class Suite:
    name: str
    family: str
    description: str
    seeds: tuple[int, ...]
    params: dict[str, Any]
    sweep: dict[str, list[Any]]
    methods: tuple[MethodSpec, ...]
    reference: str | list[str] | None  # exact method(s) whose optimum or bound every gap is taken to
    metrics: tuple[str, ...]
    job_timeout_s: float = 600.0
    quick: dict[str, Any] = field(default_factory=dict)
    time_budget_s: float | None = None  # equal time budget: every method runs with this time_limit

    def points(self) -> list[dict[str, Any]]:
        axes = list(self.sweep)
        return [dict(zip(axes, values)) for values in itertools.product(*(self.sweep[a] for a in axes))]

    def jobs(self) -> list[Job]:
        return [
            Job(self.name, self.family, point, {**self.params, **point}, seed, method, self.job_timeout_s)
            for point in self.points()
            for seed in self.seeds
            for method in self.methods
        ]

    def quick_variant(self) -> Suite:
        q = self.quick
        if not q:
            raise InputError("quick", None, f"suite {self.name} has no [quick] variant")
        cap = q.get("time_limit")
        budget = _budget(q.get("time_budget_s", self.time_budget_s), "quick.time_budget_s")
        if budget is not None and cap is not None:
            budget = min(budget, cap)
        base_methods = _methods(self.family, q["methods"], "quick.methods", budget) if "methods" in q else self.methods

        def limited(m: MethodSpec) -> MethodSpec:
            if budget is not None:  # an equal budget stays equal: every method gets it
                return replace(m, options={**m.options, "time_limit": budget})
            if cap is not None and "time_limit" in get_method(self.family, m.name).option_names():
                return replace(m, options={**m.options, "time_limit": min(cap, m.options.get("time_limit", cap))})
            return m

        methods = tuple(limited(m) for m in base_methods)
        return replace(
            self,
            name=f"{self.name}-quick",
            seeds=tuple(q.get("seeds", self.seeds)),
            params={**self.params, **q.get("params", {})},
            sweep={k: _axis(f"quick.sweep.{k}", v) for k, v in q.get("sweep", self.sweep).items()},
            methods=methods,
            job_timeout_s=float(q.get("job_timeout_s", self.job_timeout_s)),
            quick={},
            time_budget_s=budget,
        )


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _axis(name: str, value: Any) -> list[Any]:
    if isinstance(value, list):
        if not value:
            raise InputError(name, value, "a sweep axis needs at least one value")
        return value
    if isinstance(value, dict) and {"start", "stop"} <= set(value):
        start, stop, step = value["start"], value["stop"], value.get("step", 1)
        if not step > 0:
            raise InputError(f"{name}.step", step, "must be positive")
        values, x = [], start
        while x <= stop + 1e-9 * abs(step):
            values.append(x)
            x = start + len(values) * step
        return values
    raise InputError(name, value, "expected a list or {start, stop, step}")


SUITE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # names files (plots, tables): no separators
KNOWN_KEYS = {
    "name",
    "family",
    "description",
    "seeds",
    "params",
    "sweep",
    "methods",
    "reference",
    "metrics",
    "job_timeout_s",
    "quick",
    "time_budget_s",
}


def _budget(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError(where, value, "a time budget is a positive, finite number of seconds")
    return float(value)


def _methods(
    family: str, entries: list[dict[str, Any]], where: str, budget: float | None = None
) -> tuple[MethodSpec, ...]:
    """The methods of ``entries``, checked; with an equal time ``budget``, each gets it as its
    time_limit (a method without one runs to completion) and none may set its own."""
    methods = []
    for i, entry in enumerate(entries):
        if "name" not in entry:
            raise InputError(f"{where}[{i}].name", None, "missing")
        method = get_method(family, entry["name"])
        options = dict(entry.get("options", {}))
        if budget is not None:
            if "time_limit" in options:
                raise InputError(
                    f"{where}[{i}].options.time_limit",
                    options["time_limit"],
                    f"the suite gives every method time_budget_s = {budget:g}; remove the method's own",
                )
            options["time_limit"] = budget
        method.check_options(options, f"{where}[{i}].options")
        methods.append(MethodSpec(method.name, options))
    if not methods:
        raise InputError(where, [], "a suite needs at least one method")
    return tuple(methods)


def load_suite(path: str | Path) -> Suite:
    path = Path(path)
    text = read_text(path, "suite")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), str(path), f"invalid TOML: {exc}") from None
    return suite_from_dict(data, default_name=path.stem)


def suite_from_dict(data: dict[str, Any], default_name: str = "suite") -> Suite:
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise InputError(unknown[0], data[unknown[0]], f"unknown suite key; known: {', '.join(sorted(KNOWN_KEYS))}")
    family = get_family(data.get("family", "<missing>"))
    known_params = family.params_type.__dataclass_fields__
    params = dict(data.get("params", {}))
    sweep = {k: _axis(f"sweep.{k}", v) for k, v in data.get("sweep", {}).items()}
    for where, keys in (("params", params), ("sweep", sweep)):
        for key in keys:
            if key not in known_params:
                raise InputError(f"{where}.{key}", keys[key], f"not a parameter of {family.name}")
    budget = _budget(data.get("time_budget_s"), "time_budget_s")
    methods = _methods(family.name, data.get("methods", []), "methods", budget)
    reference = data.get("reference")
    references = [] if reference is None else [reference] if isinstance(reference, str) else reference
    for name in references:  # a reference may run in the [quick] variant only, so any method of the family
        get_method(family.name, name)
    if "methods" in data.get("quick", {}):
        _methods(family.name, data["quick"]["methods"], "quick.methods", budget)  # fail at load time, not later
    name = data.get("name", default_name)
    if not isinstance(name, str) or not SUITE_NAME.fullmatch(name):
        raise InputError(
            "name", name, "a suite name is letters, digits, '.', '_' and '-', starting with a letter or digit"
        )
    seeds = data.get("seeds", [0])
    if not seeds or not all(isinstance(s, int) for s in seeds):
        raise InputError("seeds", seeds, "expected a non-empty list of integers")
    return Suite(
        name=name,
        family=family.name,
        description=data.get("description", ""),
        seeds=tuple(seeds),
        params=params,
        sweep=sweep,
        methods=tuple(methods),
        reference=reference,
        metrics=tuple(data.get("metrics", [])),
        job_timeout_s=float(data.get("job_timeout_s", 600.0)),
        quick=dict(data.get("quick", {})),
        time_budget_s=budget,
    )
