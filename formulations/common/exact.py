"""What every exact method shares: its registration with the options of :class:`~cpnopt.solvers.highs.ExactOptions`
and the one ending (time budget → :func:`~cpnopt.solvers.highs.solve_pyomo` → read back → ``MethodOutput``).

An exact method is written as ``run(instance, options: ExactOptions, **own_options)`` and
registered with :func:`register_exact`; callers (``cpnopt.solve``, the CLI, the bench
harness, other code) pass the flat options (``time_limit=…``, ``fifo=…``), and the method's
signature lists the six exact options first, then its own. A method that solves one model
ends with :func:`solve_built`; one that solves a sequence of models (per frame, per
iteration) gives each solve its share with :meth:`ExactOptions.time_left` and its file name
with :func:`cpnopt.formulations.common.model_files.part_path`.

Every exact method's ``info["trace"]`` is its anytime trace: rows [seconds since the method
began, incumbent, bound] in the family's units and the objective's sense (None: none yet).
:func:`solve_built` makes it from HiGHS's trace (:class:`~cpnopt.solvers.highs.MipTrace`);
a method that sums the objectives of models solved in turn makes it with :func:`method_trace`
from its last solve's trace (before that solve, the later models' share is unknown);
:func:`cpnopt.solve` ends it with the reported objective and bound. The ``trace`` option
writes it as CSV (:func:`write_trace`), as the method recorded it.

Warm starts (option ``warm_start=METHOD`` of the exact methods of clustering and regional):
:func:`warm_start` runs the named heuristic or learned method, checks its decision with the
family's evaluator and hands it to the exact method, which loads it as a MIP start (``milp``)
or as initial columns (``cg``, ``bp``). Its run counts against the exact method's time limit.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyomo.environ as pyo

from cpnopt.errors import InputError
from cpnopt.registry import Kind, family_of, flatten_options, get_method, methods, register_method
from cpnopt.solution import MethodOutput
from cpnopt.solvers.highs import ExactOptions, HighsResult, solve_pyomo


def register_exact(
    family: str, name: str, description: str, aliases: tuple[str, ...] = ()
) -> Callable[[Callable[..., MethodOutput]], Callable[..., MethodOutput]]:
    """Decorator: register ``run(instance, options: ExactOptions, **own)`` as the exact method ``name``.

    The registered (and returned) function takes the flat options: the six of
    :class:`ExactOptions` and the method's own."""

    def decorate(run: Callable[..., MethodOutput]) -> Callable[..., MethodOutput]:
        @functools.wraps(run)
        def traced(instance: Any, options: ExactOptions, **own: Any) -> MethodOutput:
            output = run(instance, options, **own)
            if options.trace is not None:
                write_trace(options.trace, output.info.get("trace", []))
            return output

        return register_method(family, name, Kind.EXACT, description, aliases)(flatten_options(traced, ExactOptions))

    return decorate


def solve_built(
    model: pyo.ConcreteModel,
    options: ExactOptions,
    started: float,
    read: Callable[[], Any],
    info: dict[str, Any],
    *,
    warm_start: bool = False,
    scale: float = 1.0,
) -> MethodOutput:
    """The ending of an exact method that built ``model`` since ``started`` (``time.perf_counter()``).

    HiGHS gets what the build left of ``time_limit`` (at least 1 s: the build itself cannot be
    stopped, so a call on a large instance can overrun the limit by the build time); the
    decision is ``read()`` when HiGHS has an incumbent; ``scale`` divides the model's
    objective and bound back into the family's units; ``info`` gains ``build_s`` and ``solve_s``."""
    build_s = time.perf_counter() - started
    limited = dataclasses.replace(options, time_limit=options.time_left(build_s))
    result = unscaled(solve_pyomo(model, limited, warm_start=warm_start), scale)
    decision = read() if result.has_solution else None
    info = {
        "build_s": build_s,
        "solve_s": time.perf_counter() - started - build_s,
        **info,
        "trace": method_trace(result, build_s),
    }
    return MethodOutput(
        decision=decision,
        status=result.status,
        bound=result.bound,
        model_objective=result.objective,
        info=info,
        message=result.message,
    )


def unscaled(result: HighsResult, scale: float) -> HighsResult:
    """``result`` with its objective, bound and trace divided by ``scale`` (a model solved with a scaled objective)."""
    if scale == 1.0:
        return result
    back = lambda x: None if x is None else x / scale  # noqa: E731
    return dataclasses.replace(
        result,
        objective=back(result.objective),
        bound=back(result.bound),
        trace=tuple((t, back(incumbent), back(bound)) for t, incumbent, bound in result.trace),
    )


def method_trace(
    result: HighsResult, offset_s: float, before: tuple[float | None, float | None] = (0.0, 0.0)
) -> list[list[float | None]]:
    """``result``'s trace as the method's: times + ``offset_s`` (what the method spent before
    this solve), incumbent and bound + ``before`` (the earlier solves' summed objective and
    bound; None where unknown makes the row's value None)."""
    add = lambda x, y: None if x is None or y is None else x + y  # noqa: E731
    return [[t + offset_s, add(incumbent, before[0]), add(bound, before[1])] for t, incumbent, bound in result.trace]


def write_trace(path: str | Path, trace: list[list[float | None]]) -> None:
    """The (time, incumbent, bound) trace as CSV with a header; an empty cell where there is none yet."""
    try:
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["time_s", "incumbent", "bound"])
            writer.writerows(trace)
    except OSError as exc:
        raise InputError("trace", str(path), f"cannot write the trace: {exc.strerror}") from None


def solve_built_from(
    instance: Any,
    method: str | None,
    load_start: Callable[[Any], None],
    model: pyo.ConcreteModel,
    options: ExactOptions,
    started: float,
    read: Callable[[], Any],
    info: dict[str, Any],
) -> MethodOutput:
    """:func:`solve_built` from the decision of ``method`` (option ``warm_start=METHOD``, checked by
    :func:`warm_start`; None: no start) as MIP start, loaded into ``model`` by ``load_start(decision)``."""
    begin = warm_start(instance, method)
    if begin.decision is not None:
        load_start(begin.decision)
    return solve_built(model, options, started, read, {**info, **begin.info}, warm_start=begin.decision is not None)


@dataclasses.dataclass(frozen=True)
class WarmStart:
    """The decision an exact method starts from (None: none, or the evaluator rejected it) and what to report."""

    decision: Any | None
    info: dict[str, Any]


def warm_start(instance: Any, method: str | None) -> WarmStart:
    """The decision of ``method`` (a heuristic or learned method of the instance's family, default options) on
    ``instance``, checked by the family's evaluator; an infeasible one is not used (``info`` says why).

    An unknown name, or an exact method, is an :class:`InputError` on ``warm_start``."""
    if method is None:
        return WarmStart(None, {})
    family = family_of(instance)
    try:
        starter = get_method(family.name, method)  # imports the method modules only up to the one found
    except InputError:
        starter = None
    if starter is None or starter.kind is Kind.EXACT:
        starters = sorted(m.name for m in methods(family.name).values() if m.kind is not Kind.EXACT)
        raise InputError(
            "warm_start", method, f"not a heuristic or learned method of {family.name}: {', '.join(starters)}"
        )
    started = time.perf_counter()
    decision = starter.run(instance).decision
    info: dict[str, Any] = {"warm_start": starter.name, "warm_start_s": time.perf_counter() - started}
    evaluation = family.evaluate(instance, decision) if decision is not None else None
    if evaluation is None or not evaluation.feasible:
        why = "no decision" if evaluation is None else "; ".join(evaluation.violations[:2])
        return WarmStart(None, {**info, "warm_start_rejected": why})
    return WarmStart(decision, {**info, "warm_start_objective": evaluation.objective})
