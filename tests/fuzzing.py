"""A seeded mutation fuzzer for the command line: mutate one field of an instance or a solution file,
run ``cpnopt solve`` / ``cpnopt evaluate`` in-process and classify what the user gets.

The contract every mutant must meet: exit 2 with exactly one ``error:`` line on stderr, or accepted,
with every reported objective finite and equal to what ``cpnopt evaluate`` says of the written
solution. A traceback (any exception out of ``cpnopt.cli.main``) or a hang fails.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cpnopt
from cpnopt.files import instance_to_dict
from tests.cli_runner import assert_one_line_error, run_cli

FAST = {
    "clustering": "rand-rea",
    "routing": "nearest",
    "placement": "rule",
    "regional": "nearest-region",
    "offloading": "base2",
}
SMALL: dict[str, dict[str, Any]] = {
    "clustering": {"n_servers": 4, "n_slots": 2, "arrivals_per_slot": 3},
    "routing": {},
    "placement": {"n_devices": 4, "n_layers": 3, "n_iterations": 2, "width_multiplier": 0.1},
    "regional": {},
    "offloading": {"n_tasks": 5},
}
DEEP = "__DEEP__"
VALUES: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    -1,
    0,
    0.0,
    1e308,
    -1e308,
    2**63,
    -(2**63) - 1,
    2**62,
    1e30,
    1e12,
    1e-320,
    5e-324,
    0.5,
    "x",
    "",
    [],
    {},
    None,
    True,
    [1, 2],
    {"a": 1},
    DEEP,
]
TIMEOUT_S = 60


@dataclass(frozen=True)
class Outcome:
    kind: str  # "rejected" (one line, exit 2), "accepted" (finite objective), "no decision" (error/infeasible run)
    mutation: str  # "instance …" or "solution …": what was changed


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into the JSON tree (containers and leaves)."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, prefix + (i,))
    return found


def _numeric_paths(node: Any) -> list[tuple]:
    return [
        p for p in _paths(node) if p and isinstance(_get(node, p), (int, float)) and not isinstance(_get(node, p), bool)
    ]


def _get(node: Any, path: tuple) -> Any:
    for key in path:
        node = node[key]
    return node


def mutate(data: Any, rng: random.Random) -> tuple[bytes, str]:
    """One mutant of ``data`` as file bytes, and a description of the mutation."""
    data = json.loads(json.dumps(data))
    how = rng.choice(["value", "value", "value", "number", "number", "delete", "extra", "bytes", "truncate"])
    if how == "bytes":  # bytes that are not UTF-8 somewhere in the file
        text = json.dumps(data).encode()
        at = rng.randrange(len(text))
        return text[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"]) + text[at:], f"non-UTF-8 at byte {at}"
    if how == "truncate":
        text = json.dumps(data).encode()
        at = rng.randrange(len(text))
        return text[:at], f"truncated at byte {at}"
    paths = _numeric_paths(data) if how == "number" else [p for p in _paths(data) if p]
    path = rng.choice(paths)
    parent, key = _get(data, path[:-1]), path[-1]
    if how == "delete":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
        what = "deleted"
    elif how == "extra":
        target = _get(data, path) if isinstance(_get(data, path), dict) else parent
        if isinstance(target, dict):
            target["unexpected_key"] = rng.choice(VALUES[:20])
        else:
            target.append(rng.choice([0, 1.5, "x", None]))
        what = "extra key or item"
    else:
        value = rng.choice(VALUES) if how == "value" else _number_mutant(_get(data, path), rng)
        parent[key] = value
        what = f"= {value!r}"
    text = json.dumps(data, allow_nan=True)
    text = text.replace(f'"{DEEP}"', "[" * 100_000 + "]" * 100_000)
    return text.encode(), f"{'.'.join(map(str, path))} {what}"


def _number_mutant(value: float, rng: random.Random) -> Any:
    """A number near an edge of what the field may hold."""
    return rng.choice(
        [
            -value,
            value * 1e6,
            value * 1e300 if value else 1e300,
            value + 2**63,
            value / 1e300,
            math.nan,
            math.inf,
            0,
            -1,
            int(value) if math.isfinite(value) else 0,
            float(value) + 0.5,
            10**30,
            2**62,
            1e11,
            1e-10,
        ]
    )


class FamilyFuzzer:
    """Files of one small instance of ``family`` and a fast heuristic's solution, mutated one at a time."""

    def __init__(self, family: str, folder: Path) -> None:
        self.family = family
        self.method = FAST[family]
        self.folder = folder
        self.instance = instance_to_dict(cpnopt.generate(family, seed=1, **SMALL[family]))
        self.instance_path = folder / "instance.json"
        self.instance_path.write_text(json.dumps(self.instance))
        solution_path = folder / "solution.json"
        result = run_cli(
            ["solve", str(self.instance_path), "--method", self.method, "-o", str(solution_path), "--json"]
        )
        assert result.code == 0, result
        self.solution = json.loads(solution_path.read_text())

    def run(self, case: int) -> Outcome:
        rng = random.Random(f"{self.family}-{case}")
        if rng.random() < 0.65:
            data, how = mutate(self.instance, rng)
            mutant = self.folder / f"mutant-{case}.json"
            mutant.write_bytes(data)
            return self._solve(mutant, f"instance {how}")
        data, how = mutate(self.solution, rng)
        mutant = self.folder / f"mutant-solution-{case}.json"
        mutant.write_bytes(data)
        verdict = self._evaluate(self.instance_path, mutant, f"solution {how}")
        return Outcome("rejected" if verdict is None else "accepted", f"solution {how}")

    def _solve(self, instance: Path, how: str) -> Outcome:
        written = self.folder / f"{instance.stem}-out.json"
        result = run_cli(["solve", str(instance), "--method", self.method, "--json", "-o", str(written)], TIMEOUT_S)
        if result.code == 2:
            assert_one_line_error(result)
            return Outcome("rejected", how)
        assert result.code == 0 and not result.stderr.strip(), (how, result)
        summary = json.loads(result.stdout)
        if summary["objective"] is None:
            assert summary["status"] in ("error", "infeasible") and not summary["feasible"], (how, summary)
            return Outcome("no decision", how)
        assert math.isfinite(summary["objective"]), (how, summary)
        checked = self._evaluate(instance, written, how)
        assert checked is not None, (how, "the written solution was rejected")
        assert checked["objective"] == summary["objective"] and checked["feasible"] == summary["feasible"], (
            how,
            summary,
            checked,
        )
        return Outcome("accepted", how)

    def _evaluate(self, instance: Path, solution: Path, how: str) -> dict[str, Any] | None:
        """The evaluator's verdict on ``solution`` (finite objective, exit code 0 or 1), None if rejected with one line."""
        result = run_cli(["evaluate", str(instance), str(solution), "--json"], TIMEOUT_S)
        if result.code == 2:
            assert_one_line_error(result)
            return None
        assert result.code in (0, 1) and not result.stderr.strip(), (how, result)
        verdict = json.loads(result.stdout)
        assert math.isfinite(verdict["objective"]), (how, verdict)
        assert verdict["feasible"] == (result.code == 0), (how, verdict)
        return verdict


def fuzz(family: str, folder: Path, cases: range) -> Counter:
    """Run ``cases`` mutants of ``family`` and count outcomes by file and kind ("instance rejected", …);
    a broken contract raises with the case number."""
    fuzzer = FamilyFuzzer(family, folder)
    counts: Counter = Counter()
    for case in cases:
        try:
            outcome = fuzzer.run(case)
            counts[f"{outcome.mutation.split()[0]} {outcome.kind}"] += 1
        except BaseException as exc:
            raise AssertionError(f"{family} mutant {case}: {exc!r}") from exc
    return counts
