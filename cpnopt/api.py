"""The public entry points: generate, solve, evaluate."""

from __future__ import annotations

import math
import time
from typing import Any

from cpnopt.errors import InputError
from cpnopt.jsonio import from_dict
from cpnopt.registry import Kind, family_of, get_family, get_method
from cpnopt.solution import Evaluation, MethodOutput, Report, Solution, Status, closed_trace, relative_gap


def generate(family: str, seed: int = 0, **params: Any) -> Any:
    """Draw an instance of ``family`` from its generator; ``params`` override the defaults."""
    fam = get_family(family)
    known = fam.params_type.__dataclass_fields__
    for key in params:
        if key not in known:
            raise InputError(f"params.{key}", params[key], f"unknown parameter; known: {', '.join(known)}")
    return fam.generate(from_dict(fam.params_type, params, "params"), seed)


def evaluate(instance: Any, decision: Any) -> Evaluation:
    """Score ``decision`` with the family's evaluator, the single source of truth.

    A decision whose objective (or a metric) is not a finite number is infeasible, whatever
    else the evaluator found: no run is ever reported with a NaN or infinite objective."""
    evaluation = family_of(instance).evaluate(instance, decision)
    figures = {"objective": evaluation.objective, **evaluation.metrics}
    bad = [(k, v) for k, v in figures.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        evaluation.feasible = False
        evaluation.violations.append(f"{bad[0][0]} is {bad[0][1]}, not a finite number")
    return evaluation


def solve(instance: Any, method: str, **options: Any) -> Solution:
    """Run ``method`` on ``instance`` and score the result with the family's evaluator."""
    fam = family_of(instance)
    m = get_method(fam.name, method)
    kwargs = m.check_options(options)
    start = time.perf_counter()
    out: MethodOutput = m.run(instance, **kwargs)
    runtime = time.perf_counter() - start
    limit = options.get("time_limit")
    if limit is not None and "time_limit" not in kwargs and runtime > limit:
        note = f"{m.name} takes no time limit and ran to completion: {runtime:.3g} s > time_limit {limit:g} s"
        out.message = f"{out.message}; {note}" if out.message else note
    evaluation = evaluate(instance, out.decision) if out.decision is not None else None
    objective = evaluation.objective if evaluation is not None else None
    if m.kind is Kind.EXACT:  # every exact method's anytime trace ends at what it reports
        incumbent = out.model_objective if out.model_objective is not None else objective
        out.info = {**out.info, "trace": closed_trace(out.info.get("trace", []), runtime, incumbent, out.bound)}
    status = out.status
    if evaluation is not None and not evaluation.feasible and status is not Status.ERROR:
        status = Status.ERROR
        out.message = "the evaluator rejected the method's solution: " + "; ".join(evaluation.violations[:3])
    report = Report(
        method=m.name,
        status=status,
        objective=objective,
        bound=out.bound,
        gap=relative_gap(objective, out.bound, fam.sense),
        runtime_s=runtime,
        options=dict(options),
        model_objective=out.model_objective,
        info=out.info,
        message=out.message,
    )
    return Solution(family=fam.name, decision=out.decision, report=report, evaluation=evaluation)
