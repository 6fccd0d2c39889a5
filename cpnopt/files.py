"""Instance and solution files: JSON with a ``family`` tag, read back with typed checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cpnopt.errors import InputError
from cpnopt.jsonio import from_dict, read_json, to_dict, write_json
from cpnopt.registry import family_of, get_family
from cpnopt.solution import Evaluation, Report, Solution

FORMAT_VERSION = 1


def instance_to_dict(instance: Any) -> dict[str, Any]:
    return {"family": family_of(instance).name, "format_version": FORMAT_VERSION, **to_dict(instance)}


def instance_from_dict(data: Any) -> Any:
    if not isinstance(data, dict):
        raise InputError("instance", type(data).__name__, "expected a JSON object")
    body = dict(data)
    name = body.pop("family", "<missing>")
    if not isinstance(name, str):
        raise InputError("family", name, "expected a family name (a string)")
    family = get_family(name)
    version = body.pop("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise InputError("format_version", version, f"this cpnopt reads format {FORMAT_VERSION}")
    return from_dict(family.instance_type, body)


def save_instance(instance: Any, path: str | Path) -> None:
    write_json(instance_to_dict(instance), path)


def load_instance(path: str | Path) -> Any:
    return instance_from_dict(read_json(path))


def save_solution(solution: Solution, path: str | Path) -> None:
    write_json(solution, path)


def load_decision(path: str | Path, instance: Any) -> Any:
    """The decision stored in a solution file (the ``decision`` member of what ``solve -o`` writes)."""
    data = read_json(path)
    family = family_of(instance)
    if not isinstance(data, dict) or "decision" not in data:
        raise InputError("decision", None, "a solution file needs a 'decision' member")
    if data.get("family", family.name) != family.name:
        raise InputError("family", data.get("family"), f"the instance is of family {family.name}")
    if data["decision"] is None:
        raise InputError("decision", None, "the solution file holds no decision (the method found none)")
    return from_dict(family.decision_type, data["decision"], "decision")


def load_solution(path: str | Path, instance: Any) -> Solution:
    data = read_json(path)
    family = family_of(instance)
    decision = load_decision(path, instance)
    report = from_dict(Report, data.get("report"), "report", checked=False)
    evaluation = (
        None
        if data.get("evaluation") is None
        else from_dict(Evaluation, data["evaluation"], "evaluation", checked=False)
    )
    return Solution(family=family.name, decision=decision, report=report, evaluation=evaluation)
