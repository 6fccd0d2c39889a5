"""The ``cpnopt`` command line: generate, solve, evaluate and benchmark scheduling instances.

Every input problem prints one line ``error: <field>: <reason> (got <value>)`` on stderr
and exits with code 2. Every method accepts ``--time-limit`` (exact methods and a few
heuristics use it as a budget, the others run to completion), so one command line works
for every method that ``cpnopt methods`` lists.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from cpnopt import quickstart
from cpnopt.api import evaluate, generate, solve
from cpnopt.bench.cli import add_bench_parser
from cpnopt.errors import InputError
from cpnopt.files import load_decision, load_instance, save_instance, save_solution
from cpnopt.jsonio import to_dict
from cpnopt.registry import Kind, families, get_family, methods


def parse_assignments(pairs: list[str], what: str) -> dict[str, Any]:
    """``key=value`` pairs; a value is read as JSON when it parses (numbers, lists, null)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InputError(what, pair, "expected key=value")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def cmd_generate(args: argparse.Namespace) -> None:
    family = get_family(args.family)
    instance = generate(family.name, args.seed, **parse_assignments(args.set, "--set"))
    save_instance(instance, args.output)
    figures = family.describe(instance)
    print(f"wrote {args.output}: " + ", ".join(f"{k} = {_fmt(v)}" for k, v in figures.items()), file=sys.stderr)


def cmd_solve(args: argparse.Namespace) -> None:
    instance = load_instance(args.instance)
    options = parse_assignments(args.option, "--option")
    if args.time_limit is not None:
        options["time_limit"] = args.time_limit
    if args.threads is not None:
        options["threads"] = args.threads
    if args.write_model is not None:
        options["write_model"] = args.write_model
    solution = solve(instance, args.method, **options)
    if args.output:
        save_solution(solution, args.output)
    if args.json:
        print(json.dumps(to_dict(solution.summary())))
        return
    summary = solution.summary()
    for key in ("method", "status", "objective", "bound", "gap", "runtime_s", "feasible"):
        print(f"{key:>10}: {_fmt(summary[key])}")
    print("   metrics:")
    for key, value in summary["metrics"].items():
        print(f"      {key}: {_fmt(value)}")
    if solution.report.message:
        print(f"   message: {solution.report.message}")
    if solution.evaluation and solution.evaluation.violations:
        print("violations:\n  " + "\n  ".join(solution.evaluation.violations))


def cmd_evaluate(args: argparse.Namespace) -> None:
    instance = load_instance(args.instance)
    decision = load_decision(args.solution, instance)
    result = evaluate(instance, decision)
    if args.json:
        print(
            json.dumps(
                to_dict(
                    {
                        "feasible": result.feasible,
                        "objective": result.objective,
                        "metrics": result.metrics,
                        "violations": result.violations,
                    }
                )
            )
        )
    else:
        print(f"feasible: {result.feasible}\nobjective: {_fmt(result.objective)}")
        for key, value in result.metrics.items():
            print(f"  {key}: {_fmt(value)}")
        for violation in result.violations:
            print(f"  violation: {violation}")
    if not result.feasible:
        sys.exit(1)


def cmd_methods(args: argparse.Namespace) -> None:
    names = [args.family] if args.family else sorted(families())
    for name in names:
        family = get_family(name)
        print(f"{family.name}: {family.description}")
        listed = sorted(methods(name).values(), key=lambda m: (m.kind is not Kind.EXACT, m.name))
        width = max(len(m.name) for m in listed)
        for method in listed:
            alias = f" (alias {', '.join(method.aliases)})" if method.aliases else ""
            print(f"  {method.name:<{width}} {method.kind.value:<9} {method.description}{alias}")
            if method.option_names():
                print(f"  {'':<{width}} {'':<9} options: {', '.join(method.option_names())}")


def cmd_quickstart(args: argparse.Namespace) -> None:
    quickstart.main(seed=args.seed, time_limit=args.time_limit)


def cmd_train(args: argparse.Namespace) -> None:
    from cpnopt.solvers.rl.train import train  # PyTorch loads only for this command

    path = train(
        args.family,
        args.method,
        steps=args.steps,
        seed=args.seed,
        device=args.device,
        output=args.output,
        resume=args.resume,
        progress=not args.quiet,
        threads=args.threads,
        save_at=args.save_at,
    )
    print(f"wrote {path} and {path.with_suffix('.json')}", file=sys.stderr)


def _step_list(text: str) -> tuple[int, ...]:
    """``--save-at 75000,150000`` → (75000, 150000)."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of step counts") from None


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def package_version() -> str:
    """The installed distribution's version (its metadata, as pip installed it)."""
    try:
        return version("cpnopt")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cpnopt", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"cpnopt {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="draw an instance from a family's generator")
    p.add_argument("family", help="a registered family (cpnopt methods lists them)")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same instance (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="generator parameter (JSON value)")
    p.add_argument("-o", "--output", required=True, help="instance JSON file to write")
    p.set_defaults(run=cmd_generate)

    p = sub.add_parser("solve", help="solve an instance file with a method")
    p.add_argument("instance", help="instance JSON file (cpnopt generate)")
    p.add_argument("--method", "-m", required=True, help="method name or alias (cpnopt methods FAMILY)")
    p.add_argument(
        "--time-limit",
        type=float,
        metavar="S",
        help="wall-clock seconds, > 0; every method accepts it: exact methods (and opt-rea, static, fp-qt) "
        "stop at it and keep the incumbent, the other heuristics and learned methods run to completion",
    )
    p.add_argument("--threads", type=int, help="solver threads (methods with a threads option)")
    p.add_argument(
        "--write-model",
        metavar="FILE",
        help="save the exact model as .lp or .mps before solving (exact methods with a model; "
        "per-frame/per-iteration models get a suffix; the placement models' objective is Eq. (10) × 1000)",
    )
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="method option (JSON value)")
    p.add_argument("-o", "--output", help="write the solution (decision, report, evaluation) as JSON")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_solve)

    p = sub.add_parser("evaluate", help="check a solution file with the family's evaluator")
    p.add_argument("instance", help="instance JSON file")
    p.add_argument("solution", help="solution JSON file (cpnopt solve -o); only its decision is read")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("methods", help="list the registered methods")
    p.add_argument("family", nargs="?", help="list one family only")
    p.set_defaults(run=cmd_methods)

    p = sub.add_parser("quickstart", help="solve the default P1 instance exactly and compare the heuristics")
    p.add_argument("--seed", type=int, default=0, help="seed of the default instance (default 0)")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds for each exact method (default 60)")
    p.set_defaults(run=cmd_quickstart)

    p = sub.add_parser("train", help="train a learned method's agent and write its checkpoint")
    p.add_argument("family", help="the family of the learned method (cpnopt methods)")
    p.add_argument(
        "--method", "-m", required=True, help="a learned method of the family (kind 'learned' in cpnopt methods)"
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--steps", type=int, required=True, help="environment transitions in all (over every resume)")
    p.add_argument("--seed", type=int, default=0, help="seeds PyTorch and the training-instance stream (default 0)")
    p.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads")
    p.add_argument("-o", "--output", help="checkpoint path (default METHOD.pt); a .json record goes next to it")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --output")
    p.add_argument(
        "--save-at",
        type=_step_list,
        default=(),
        metavar="STEPS",
        help="comma-separated step counts at which to also save the run (OUTPUT-stepN.pt), e.g. for a learning curve",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_train)

    add_bench_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except sqlite3.Error as exc:  # the results store failed mid-run (a full disk): each run is its own transaction
        print(f"error: --db: the results store failed: {exc} (runs stored so far are kept)", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:  # the reader went away (`cpnopt methods | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":
    main()
