"""The offloading agents at path counts they were not trained on: gap to the per-task oracle against ``k_paths``.

    python benchmarks/offloading_paths.py [--seeds 20] [--paths 1 2 3 4 5] [--candidates 5] \
        [--topologies sndlib/abilene sndlib/germany50] [--methods rlms ...] > paths.md

Per topology and number of candidate paths k (the generator's ``k_paths``; everything else
its defaults: 20 tasks at 5 /s, 3 access points, top-5 candidates), on held-out seeds: each
learned agent's mean latency and its mean (worst) gap to the exact per-task ``oracle``
(L / L_oracle − 1), with ``base4`` (the best of the paper's baselines on average) for scale.
The bundled checkpoints are trained at k = 3 on abilene only; an agent that refuses an
instance (the networks before they were size-agnostic) reads "refused". Every run is
in-process on one thread.
"""

from __future__ import annotations

import argparse

import numpy as np

import cpnopt
from cpnopt.errors import InputError

AGENTS = ("rlms", "rlms-mlp", "gnn-dqn", "gnn-dqn-latency")
REFERENCE = ("oracle", {"split": "waterfill"})


def row(method: str, latencies: list[float], oracle: list[float]) -> str:
    if not latencies:
        return f"| {method} | refused | — |"
    gaps = np.array(latencies) / np.array(oracle) - 1
    return f"| {method} | {1e3 * np.mean(latencies):,.1f} | {100 * gaps.mean():.1f} % ({100 * gaps.max():.1f} %) |"


def point(topology: str, k_paths: int, n_candidates: int, seeds: int, methods: list[str]) -> list[str]:
    instances = [
        cpnopt.generate("offloading", seed=s, topology=topology, k_paths=k_paths, n_candidates=n_candidates)
        for s in range(seeds)
    ]
    oracle = [cpnopt.solve(inst, REFERENCE[0], **REFERENCE[1]).report.objective for inst in instances]
    lines = [
        f"**{topology}, k_paths = {k_paths}, n_candidates = {n_candidates}** (seeds 0–{seeds - 1}; "
        f"oracle {1e3 * np.mean(oracle):,.1f} ms)",
        "",
        "| method | mean latency (ms) | gap to oracle: mean (worst) |",
        "|---|---:|---:|",
    ]
    for method in methods:
        try:
            latencies = [cpnopt.solve(inst, method).report.objective for inst in instances]
        except InputError:
            latencies = []
        lines.append(row(method, latencies, oracle))
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--paths", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--candidates", type=int, nargs="+", default=[5])
    parser.add_argument("--topologies", nargs="+", default=["sndlib/abilene", "sndlib/germany50"])
    parser.add_argument("--methods", nargs="+", default=[*AGENTS, "base4"])
    args = parser.parse_args()
    for topology in args.topologies:
        for n_candidates in args.candidates:
            for k_paths in args.paths:
                print("\n".join(point(topology, k_paths, n_candidates, args.seeds, args.methods)), flush=True)


if __name__ == "__main__":
    main()
