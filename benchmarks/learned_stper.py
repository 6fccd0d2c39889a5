"""Score the bundled STPer agents: gap to the optimum, win rates, latency, env steps/s, Fig. 3 curves.

Run the harness first, then this script on its store:

    cpnopt bench run benchmarks/suites/learned-stper.toml --db stper.db --workers 2   # or --quick
    python benchmarks/learned_stper.py --db stper.db -o benchmarks/results/learned-stper.md

Other node counts (suites learned-stper-sizes, learned-stper-topohub): ``--suite NAME
--scores-only`` prints the gap tables and the no-learning rule only.

From the store (held-out seeds): per sweep point, every method's mean profit (Eq. 15), mean
gap to milp's proven optimum and acceptance rate, and each agent's wins / ties / losses
against every other method on the same instances (the paper's claim STPer > STPer-L >
STPer-M > random is read off these). Measured here: ms per decision (all tasks of one
instance: policy steps, fast scheduler, evaluator) at batch 1 and batched, the forward pass,
environment transitions per second (batched and Gymnasium). From the checkpoints' training
records: STPer's Fig. 3 metrics, the mean episode reward and the critic's explained variance
along training (table, and a PNG next to the output).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
from collections import defaultdict
from pathlib import Path

import torch
from learned_common import env_throughput, publish, random_candidate, timed  # noqa: E402  (the script directory is on sys.path)

import cpnopt
from cpnopt.bench.cli import default_store
from cpnopt.bench.store import Store
from cpnopt.problems.routing.env import BatchedRoutingEnv, RoutingEnv
from cpnopt.solution import Sense, Status, gap_to_reference
from cpnopt.solvers.rl.serving import act_greedily, get_agent, load_policy

AGENTS = ("stper", "stper refine=True", "stper-l", "stper-m")


def score(store: Store, suite: str) -> list[str]:
    """Per sweep point: mean profit, gap to the proven optimum, acceptance; the agents' head-to-head records."""
    by_instance: dict[tuple[str, int], dict[str, dict]] = defaultdict(dict)
    for run in store.runs(suite):
        by_instance[(json.dumps(run["point"], sort_keys=True), run["seed"])][run["label"]] = run
    lines = []
    for point in sorted({p for p, _ in by_instance}, key=lambda p: list(json.loads(p).values())):
        where = ", ".join(f"{k} = {v}" for k, v in json.loads(point).items())
        keys = [k for k in by_instance if k[0] == point]
        labels = sorted({label for k in keys for label in by_instance[k]}, key=lambda m: (m not in AGENTS, m))
        lines += [
            f"#### {where}",
            "",
            "| method | instances | mean profit | mean gap to optimum | acceptance |",
            "|---|---:|---:|---:|---:|",
        ]
        for label in labels:
            runs = [by_instance[k].get(label) for k in keys]
            runs = [r for r in runs if r and r["feasible"]]
            gaps = []
            for k in keys:
                mine, exact = by_instance[k].get(label), by_instance[k].get("milp")
                if mine and exact and exact["status"] == Status.OPTIMAL.value:
                    gaps.append(gap_to_reference(exact["objective"], mine["objective"], Sense.MAXIMIZE))
            gap = f"{100 * statistics.mean(gaps):.1f} % ({len(gaps)} proven)" if gaps else "—"
            accept = statistics.mean(r["metrics"].get("acceptance_rate", 0.0) for r in runs) if runs else float("nan")
            lines.append(
                f"| {label} | {len(runs)} | {statistics.mean(r['objective'] for r in runs):.3f} | {gap} | {accept:.2f} |"
            )
        others = [m for m in labels if m != "milp"]
        lines += [
            "",
            "Mean profit over all instances (milp's includes the incumbents of runs stopped by its time limit); "
            "gap only over the instances milp proved optimal.",
            "",
            "Wins / ties / losses of the row against the column (same instance; tie = within 1e-6):",
            "",
            "| agent | " + " | ".join(others) + " |",
            "|---|" + "---:|" * len(others),
        ]
        for agent in (a for a in AGENTS if a in labels):
            cells = []
            for other in others:
                record = [0, 0, 0]
                for k in keys:
                    a, b = by_instance[k].get(agent), by_instance[k].get(other)
                    if a and b and a["feasible"] and b["feasible"] and other != agent:
                        diff = a["objective"] - b["objective"]
                        record[0 if diff > 1e-6 else 1 if diff >= -1e-6 else 2] += 1
                cells.append("—" if other == agent else " / ".join(map(str, record)))
            lines.append(f"| {agent} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def profit_now_rule(store: Store, suite: str) -> list[str]:
    """No learning: each task to the allowed node of highest profit-if-served-now (feature 4), same scheduler.

    Tells how much of the agents' result the node features give away by themselves.
    """
    runs = [r for r in store.runs(suite) if r["label"] == "milp"]
    by_point: dict[str, list[tuple[float, float | None]]] = defaultdict(list)
    for run in runs:
        inst = cpnopt.generate("routing", seed=run["seed"], **run["params"])
        env = BatchedRoutingEnv()
        obs = env.reset([inst])
        while not bool(env.done.all()):
            scores = torch.where(obs.mask, obs.features[..., 4], torch.tensor(-torch.inf))
            obs = env.step(scores.argmax(-1)).observation
        mine = cpnopt.evaluate(inst, env.decision(0)).objective
        proven = run["objective"] if run["status"] == Status.OPTIMAL.value else None
        by_point[", ".join(f"{k} = {v}" for k, v in run["point"].items())].append((mine, proven))
    lines = ["| point | instances | mean profit | mean gap to optimum |", "|---|---:|---:|---:|"]
    for where, rows in sorted(by_point.items()):
        gaps = [gap_to_reference(best, mine, Sense.MAXIMIZE) for mine, best in rows if best is not None]
        lines.append(
            f"| {where} | {len(rows)} | {statistics.mean(m for m, _ in rows):.3f} | "
            f"{100 * statistics.mean(gaps):.1f} % ({len(gaps)} proven) |"
        )
    return lines


def latency(method: str, batch: int) -> str:
    policy = load_policy(get_agent("routing", method))
    instances = [cpnopt.generate("routing", seed=s) for s in range(batch)]
    steps = instances[0].n_tasks
    one = timed(lambda: act_greedily(BatchedRoutingEnv(), policy, instances[:1]), 10)
    many = timed(lambda: act_greedily(BatchedRoutingEnv(), policy, instances), 2)
    obs1, obs_b = BatchedRoutingEnv().reset(instances[:1]), BatchedRoutingEnv().reset(instances)
    with torch.no_grad():
        fwd1 = timed(lambda: policy(obs1), 100)
        fwd_b = timed(lambda: policy(obs_b), 20)
    return (
        f"| {method} | {1e3 * one:.1f} | {1e3 * one / steps:.2f} | {1e3 * many / batch:.2f} | "
        f"{1e3 * many / batch / steps:.3f} | {1e3 * fwd1:.3f} | {1e3 * fwd_b / batch:.4f} |"
    )


def training_curves(output: Path | None) -> list[str]:
    """STPer's Fig. 3: mean episode reward and explained variance per update, from the checkpoints' logs."""
    lines = [
        "| agent | transitions | wall (s) | first reward | final reward (last 10 updates) | final explained variance | command |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    logs = {}
    for method in ("stper", "stper-l", "stper-m"):
        path = get_agent("routing", method).bundled_checkpoint()
        record = json.loads(path.with_suffix(".json").read_text())
        log = torch.load(path, weights_only=True)["log"]
        logs[method] = log
        first = next(e["episode_reward"] for e in log if e["episode_reward"] == e["episode_reward"])
        lines.append(
            f"| {method} | {record['steps']:,} | {record['wall_time_s']:.0f} | {first:.3f} | "
            f"{record['final']['episode_reward']:.3f} | {record['final']['explained_variance']:.2f} | `{record['commands'][0]}` |"
        )
    stper = logs["stper"]
    lines += [
        "",
        "STPer (Fig. 3): per update, the mean return of the episodes that ended (profit / (p Σ m)) and "
        "the critic's explained variance on the rollout:",
        "",
        "| transitions | episode reward | explained variance |",
        "|---:|---:|---:|",
    ]
    for entry in stper[:: max(1, len(stper) // 12)] + [stper[-1]]:
        lines.append(f"| {entry['step']:,} | {entry['episode_reward']:.3f} | {entry['explained_variance']:.2f} |")
    if output is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
        for method, log in logs.items():
            steps = [e["step"] for e in log]
            axes[0].plot(steps, [e["episode_reward"] for e in log], label=method)
            axes[1].plot(steps, [e["explained_variance"] for e in log], label=method)
        axes[0].set_ylabel("episode reward (profit / p Σm)")
        axes[1].set_ylabel("explained variance")
        for ax in axes:
            ax.set_xlabel("transitions")
            ax.legend()
        fig.tight_layout()
        picture = output.with_name(output.stem + "-fig3.png")
        fig.savefig(picture, dpi=110)
        lines += ["", f"![Fig. 3 metrics]({picture.name})"]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=default_store(), help="the store of `cpnopt bench run` (default: its default)")
    parser.add_argument("--suite", default="learned-stper")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--scores-only", action="store_true", help="the gap tables and the no-learning rule only")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with Store(args.db) as store:
        scores = score(store, args.suite)
        rule = profit_now_rule(store, args.suite)
    if args.scores_only:
        publish(
            "\n".join([*scores, "No learning (profit-if-served-now rule, same scheduler):", "", *rule]) + "\n",
            args.output,
        )
        return
    sample = [cpnopt.generate("routing", seed=s) for s in range(args.batch)]
    batched, gym_rate = env_throughput(lambda: BatchedRoutingEnv(), RoutingEnv(), sample, random_candidate, 3)
    lines = [
        f"### `{args.suite}`: STPer agents vs the exact optimum and the baselines (held-out seeds)",
        "",
        *scores,
        "Without learning: every task to the allowed node of highest profit-if-served-now (the environment's "
        "feature 4), same fast scheduler, same instances:",
        "",
        *rule,
        "",
        "Decision latency (greedy policy + fast scheduler + evaluator; one decision = all tasks of one instance, "
        f"10 tasks; batched = {args.batch} instances):",
        "",
        "| agent | ms per instance, batch 1 | ms per task, batch 1 | ms per instance, batched | ms per task, batched "
        "| forward pass, batch 1 (ms) | forward pass per instance, batched (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(latency(m, args.batch) for m in ("stper", "stper-l", "stper-m")),
        "",
        f"Environment: {batched:,.0f} transitions/s batched ({args.batch} instances, random allowed actions, "
        f"first fit + evaluator at each episode end), {gym_rate:,.0f} transitions/s through Gymnasium (one instance).",
        "",
        "Training (bundled checkpoints, PPO):",
        "",
        *training_curves(args.output),
        "",
        f"Machine: {platform.machine()}, PyTorch {torch.__version__}, 1 thread; "
        "2-core Xeon shared with other engineers' jobs during this session (timings are indicative). Date 2026-11-22.",
    ]
    publish("\n".join(lines) + "\n", args.output)


if __name__ == "__main__":
    main()
