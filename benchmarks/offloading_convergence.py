"""Is an offloading agent undertrained? Held-out gap to the per-task oracle at 1×, 2×, 4× the bundled budget.

    python benchmarks/offloading_convergence.py --method rlms --seeds 0 1 2 --budget 60000 --multiples 1 2 4 \
        --out /tmp/convergence > convergence.md

Per training seed, one run of ``cpnopt train`` (the agent's bundled configuration) to the
largest multiple of ``--budget`` transitions, checkpointed at every multiple (the run is
continued with ``--resume`` from one multiple to the next: the same run, its episodes restarted
at each boundary; A2C has no step-dependent schedule, so the updates are those of one run —
DQN's ε schedule is not, hence the default agent rlms). Each checkpoint, greedy, on held-out
seeds 0–(``--eval-seeds`` − 1) per topology: gap = L / L_oracle − 1 per instance (the exact
per-task ``oracle``, water-filling). Reported per multiple: the mean gap over seeds × instances
with a stratified-bootstrap 95 % interval (:func:`cpnopt.bench.stats.stratified_bootstrap`,
strata = training seeds), each seed's mean, and the change from the previous multiple (its
interval from the same bootstrap of the paired per-instance differences). Checkpoints and their
JSON records are left in ``--out``; a later call with the same ``--out`` and more multiples
continues each seed's run from its largest multiple.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np

import cpnopt
from cpnopt.bench.stats import stratified_bootstrap
from cpnopt.solvers.rl.train import train


def held_out_gaps(method: str, checkpoint: Path, instances: list, oracle: list[float]) -> np.ndarray:
    latencies = [cpnopt.solve(inst, method, checkpoint=str(checkpoint)).report.objective for inst in instances]
    return np.array(latencies) / np.array(oracle) - 1


def interval(strata: list[np.ndarray]) -> str:
    ci = stratified_bootstrap([100 * s for s in strata])
    return f"{ci.estimate:+.2f} % [{ci.low:+.2f}, {ci.high:+.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="rlms")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=int, default=60_000)
    parser.add_argument("--multiples", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--eval-seeds", type=int, default=20)
    parser.add_argument("--topologies", nargs="+", default=["sndlib/abilene", "sndlib/germany50"])
    parser.add_argument("--out", type=Path, default=Path("convergence"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    checkpoints: dict[tuple[int, int], Path] = {}
    for seed in args.seeds:
        run = args.out / f"{args.method}-seed{seed}.pt"
        for multiple in sorted(args.multiples):
            kept = args.out / f"{args.method}-seed{seed}-{multiple}x.pt"
            checkpoints[seed, multiple] = kept
            if kept.is_file():  # kept by an earlier call with the same --out: the run goes on from there
                continue
            started = time.perf_counter()
            steps = multiple * args.budget
            train("offloading", args.method, steps, seed, output=str(run), resume=run.is_file(), progress=False)
            shutil.copy(run, kept)
            shutil.copy(run.with_suffix(".json"), kept.with_suffix(".json"))
            print(f"<!-- seed {seed}, {multiple}x: {time.perf_counter() - started:.0f} s of training -->", flush=True)

    for topology in args.topologies:
        instances = [cpnopt.generate("offloading", seed=s, topology=topology) for s in range(args.eval_seeds)]
        oracle = [cpnopt.solve(inst, "oracle", split="waterfill").report.objective for inst in instances]
        gaps = {key: held_out_gaps(args.method, path, instances, oracle) for key, path in checkpoints.items()}
        print(
            f"\n**`{args.method}` on {topology}**, held-out seeds 0–{args.eval_seeds - 1}, training seeds {args.seeds}\n"
        )
        print(
            "| budget | transitions | gap to oracle, mean [95 % CI] | per training seed | change vs previous [95 % CI] |"
        )
        print("|---|---:|---:|---|---:|")
        previous = None
        for multiple in sorted(args.multiples):
            strata = [gaps[seed, multiple] for seed in args.seeds]
            per_seed = ", ".join(f"{100 * s.mean():.1f} %" for s in strata)
            change = "—"
            if previous is not None:
                change = interval([now - before for now, before in zip(strata, previous)])
            print(f"| {multiple}× | {multiple * args.budget:,} | {interval(strata)} | {per_seed} | {change} |")
            previous = strata


if __name__ == "__main__":
    main()
