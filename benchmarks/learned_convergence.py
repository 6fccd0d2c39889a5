"""Learning curves of ``dcat`` and ``regional-drl``: the held-out gap to the exact optimum against training steps.

One training run per seed at the largest budget keeps snapshots at the smaller ones
(``--save-at``; a snapshot equals the checkpoint of the shorter run), then:

    cpnopt train clustering --method dcat --steps 600000 --seed S --save-at 75000,150000,300000 -o runs/dcat-sS.pt
    cpnopt train regional --method regional-drl --steps 192000 --seed S --save-at 12000,24000,48000,96000 \\
        -o runs/regional-drl-sS.pt
    python benchmarks/learned_convergence.py reference        # exact optima (and dcat's best clustering under REA)
    python benchmarks/learned_convergence.py score runs/*.pt  # each checkpoint's greedy objective on them
    python benchmarks/learned_convergence.py report -o benchmarks/results/learned-convergence.md --figures docs/figures

Instances: the learned suites' held-out seeds 0–19 (``learned-dcat.toml``, ``learned-regional.toml``)
at the training size and the largest size of the suite. ``reference`` solves each once and
keeps the values in the JSON store (``--store``), so scoring never re-solves: the proven
optimum of ``cg`` or ``bp`` (clustering; ``cg`` first, it is the fastest to prove at 8 servers),
of ``bp`` or ``milp`` (regional), else the tightest bound, marked unproven. For ``dcat`` at
8 servers it also finds the *best clustering under REA pricing*: every partition of the
servers that the cluster rules allow (diameter ≤ R_max, size limit), each priced by the
same REA auction as ``dcat`` (γ = 0.8) and scored by the evaluator; the best is the fair
reference for an agent whose pricing is REA by design.

``report``: per agent, size and budget, the mean gap over training seeds × instances with a
95 % stratified bootstrap interval (strata: the training seeds; instances resampled within
each) and the spread of the per-seed means; one figure per agent.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

import cpnopt
from cpnopt.bench.plots import plot_learning_curves
from cpnopt.bench.stats import Interval, stratified_bootstrap
from cpnopt.problems.clustering.auction import auction_tasks
from cpnopt.solution import Sense, Status, gap_to_reference
from cpnopt.solvers.clustering.agents import REA_GAMMA
from cpnopt.solvers.clustering.heuristics import fits
from cpnopt.solvers.rl.serving import act_greedily, get_agent, load_policy

SEEDS = range(20)
AGENTS = {  # method: family, size parameter, its values (training size first), fixed parameters, exact methods
    "dcat": ("clustering", "n_servers", (8, 16), {"n_slots": 2, "arrivals_per_slot": 6}, ("cg", "bp")),
    "regional-drl": ("regional", "n_tasks", (16, 24), {}, ("bp", "milp")),
}
UNITS = {"dcat": "servers", "regional-drl": "tasks"}  # the size parameter's unit, for the figures' legends
EXACT_LIMIT_S = 60
STORE = Path(__file__).parent / "results" / "learned-convergence.json"


def instances(method: str, size: int) -> list:
    family, parameter, _, params, _ = AGENTS[method]
    return [cpnopt.generate(family, seed=s, **params, **{parameter: size}) for s in SEEDS]


def exact_reference(instance, methods: tuple[str, ...]) -> dict:
    """The first proven optimum among ``methods``, else the tightest bound (unproven)."""
    bounds = []
    for method in methods:
        report = cpnopt.solve(instance, method, time_limit=EXACT_LIMIT_S, threads=1).report
        if report.status is Status.OPTIMAL:
            return {"value": report.objective, "by": method, "proven": True}
        if report.bound is not None:
            bounds.append((report.bound, method))
    value, by = min(bounds)
    return {"value": value, "by": by, "proven": False}


def feasible_partitions(instance, servers: list[int]) -> Iterator[list[list[int]]]:
    """Every partition of ``servers`` whose clusters all fit (R_max, size limit); a cluster that
    does not fit is never grown, since both rules only tighten as a cluster grows."""
    if not servers:
        yield []
        return
    first, rest = servers[0], servers[1:]
    for partition in feasible_partitions(instance, rest):
        yield [[first], *partition]
        for j, cluster in enumerate(partition):
            if fits(instance, [first, *cluster]):
                yield [*partition[:j], [first, *cluster], *partition[j + 1 :]]


def best_under_rea(instance) -> dict:
    """The best platform profit of any allowed clustering priced by REA (γ as dcat's), by enumeration."""
    best, count = -np.inf, 0
    for partition in feasible_partitions(instance, list(range(instance.n_servers))):
        clusters = tuple(tuple(sorted(c)) for c in partition)
        decision = auction_tasks(instance, clusters, "rea", REA_GAMMA, np.random.default_rng(0))
        evaluation = cpnopt.evaluate(instance, decision)
        count += 1
        if evaluation.feasible and evaluation.objective > best:
            best = evaluation.objective
    return {"value": best, "partitions": count}


def load_store(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {"references": {}, "scores": []}


def save_store(store: dict, path: Path) -> None:
    path.write_text(json.dumps(store, indent=1) + "\n")


def cmd_reference(args: argparse.Namespace) -> None:
    store = load_store(args.store)
    for method, (_, parameter, sizes, _, exact) in AGENTS.items():
        for size in sizes:
            table = store["references"].setdefault(method, {}).setdefault(str(size), {})
            for seed, instance in zip(SEEDS, instances(method, size)):
                entry = table.setdefault(str(seed), {})
                if "optimum" not in entry:
                    entry["optimum"] = exact_reference(instance, exact)
                if method == "dcat" and size == sizes[0] and "best_under_rea" not in entry:
                    entry["best_under_rea"] = best_under_rea(instance)
                print(method, f"{parameter}={size}", f"seed {seed}", entry, flush=True)
                save_store(store, args.store)


def cmd_score(args: argparse.Namespace) -> None:
    store = load_store(args.store)
    for path in args.checkpoints:
        state = torch.load(path, map_location="cpu", weights_only=False)
        family, method = state["agent"]
        spec = get_agent(family, method)
        policy = load_policy(spec, path)
        label = args.label or f"seed {state['seed']}"
        for size in AGENTS[method][2]:
            batch = instances(method, size)
            decisions = act_greedily(spec.make_env(torch.device("cpu")), policy, batch)
            objectives = [cpnopt.evaluate(i, d).objective for i, d in zip(batch, decisions)]
            store["scores"] = [
                s
                for s in store["scores"]
                if (s["method"], s["run"], s["steps"], s["size"]) != (method, label, state["global_step"], size)
            ]
            store["scores"].append(
                {
                    "method": method,
                    "run": label,
                    "steps": state["global_step"],
                    "size": size,
                    "wall_s": round(state["wall_s"], 1),
                    "objectives": objectives,
                }
            )
            print(path, method, label, state["global_step"], size, f"{np.mean(objectives):.1f}", flush=True)
        save_store(store, args.store)


def gaps(objectives: list[float], references: list[float]) -> list[float]:
    """Share of each reference left behind; 0 where the reference and the objective are both 0 (under
    REA no clustering of that instance earns anything: nothing is left behind)."""
    return [0.0 if r == 0 == o else gap_to_reference(r, o, Sense.MAXIMIZE) for o, r in zip(objectives, references)]


def curve(store: dict, method: str, size: int, reference: str) -> list[tuple[int, Interval, list[float]]]:
    """Per budget: the pooled mean gap with its bootstrap interval, and each training seed's mean gap."""
    table = store["references"][method][str(size)]
    refs = [table[str(s)][reference]["value"] for s in SEEDS]
    by_steps: dict[int, list[list[float]]] = defaultdict(list)
    runs = sorted(store["scores"], key=lambda score: score["run"])  # per-seed figures in seed order
    for score in runs:
        if score["method"] == method and score["size"] == size and score["run"].startswith("seed"):
            by_steps[score["steps"]].append(gaps(score["objectives"], refs))
    return [
        (steps, stratified_bootstrap(strata), [float(np.mean(s)) for s in strata])
        for steps, strata in sorted(by_steps.items())
    ]


def cmd_report(args: argparse.Namespace) -> None:
    store = load_store(args.store)
    lines = [
        "| agent | size | reference | training steps | seeds | mean gap [95 % CI] | per-seed mean gaps |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for method, (_, parameter, sizes, _, _) in AGENTS.items():
        curves = {}
        bundled = next((s["steps"] for s in store["scores"] if s["method"] == method and s["run"] == "bundled"), None)
        for size in sizes:
            for reference in ("optimum", "best_under_rea"):
                if reference not in store["references"][method][str(size)]["0"]:
                    continue
                points = curve(store, method, size, reference)
                name = "optimum" if reference == "optimum" else "best clustering under REA"
                short = "optimum" if reference == "optimum" else "best under REA"
                curves[f"{size} {UNITS[method]} → {short}"] = [(steps, i) for steps, i, _ in points]
                for steps, interval, per_seed in points:
                    lines.append(
                        f"| {method} | {parameter} = {size} | {name} | {steps:,} | {len(per_seed)} | "
                        f"{100 * interval.estimate:.1f} % [{100 * interval.low:.1f}, {100 * interval.high:.1f}] | "
                        + ", ".join(f"{100 * g:.1f}" for g in per_seed)
                        + " |"
                    )
                table = store["references"][method][str(size)]
                refs = [table[str(s)][reference]["value"] for s in SEEDS]
                for score in store["scores"]:
                    if score["method"] == method and score["size"] == size and score["run"] == "bundled":
                        g = gaps(score["objectives"], refs)
                        lines.append(
                            f"| {method} | {parameter} = {size} | {name} | bundled ({score['steps']:,}) | 1 | "
                            f"{100 * np.mean(g):.1f} % | — |"
                        )
        if args.figures:
            markers = {"1× (bundled)": bundled} if bundled else None
            plot_learning_curves(curves, f"learned-convergence-{method}", args.figures, markers=markers)
    table = store["references"]["dcat"][str(AGENTS["dcat"][2][0])]
    cap = gaps(
        [table[str(s)]["best_under_rea"]["value"] for s in SEEDS], [table[str(s)]["optimum"]["value"] for s in SEEDS]
    )
    lines += [
        "",
        f"The best clustering under REA pricing leaves {100 * np.mean(cap):.1f} % of the optimum at "
        f"{AGENTS['dcat'][2][0]} servers (mean over the {len(cap)} seeds; {100 * min(cap):.1f}–{100 * max(cap):.1f} %): "
        "no REA-priced method can do better.",
    ]
    text = "\n".join(lines) + "\n"
    if args.output:
        args.output.write_text(text)
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--store", type=Path, default=STORE, help=f"the JSON of references and scores (default {STORE})"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("reference", help="solve the held-out instances exactly (once; kept in the store)")
    p = sub.add_parser("score", help="each checkpoint's greedy objective on the held-out instances")
    p.add_argument("checkpoints", nargs="+", type=Path)
    p.add_argument("--label", help="the run's name (default 'seed S'; the bundled checkpoint: 'bundled')")
    p = sub.add_parser("report", help="the table of gaps with bootstrap intervals, and the figures")
    p.add_argument("-o", "--output", type=Path)
    p.add_argument("--figures", type=Path, help="folder for learned-convergence-<agent>.png|pdf")
    args = parser.parse_args()
    torch.set_num_threads(1)
    {"reference": cmd_reference, "score": cmd_score, "report": cmd_report}[args.command](args)


if __name__ == "__main__":
    main()
