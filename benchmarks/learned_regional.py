"""Score the bundled ``regional-drl`` agent: gap to the optimum, win rates, decision latency, env steps/s.

    cpnopt bench run benchmarks/suites/learned-regional.toml --db learned-regional.db      # or --quick
    python benchmarks/learned_regional.py --db learned-regional.db -o benchmarks/results/learned-regional.md

The same report as ``learned_gwp.py`` (whose helpers it uses): per sweep point every method's
mean profit, gap to milp's proven optimum and the agent's wins / ties / losses; ms per
decision (one task allocated: stage-1 policy step + stage-2 balancing) at batch 1 and batched;
environment transitions per second; the training record.
"""

from __future__ import annotations

from learned_common import random_candidate  # the script directory is on sys.path
from learned_gwp import arguments, report

import cpnopt
from cpnopt.problems.regional.env import BatchedRegionalEnv, RegionalEnv
from cpnopt.solution import Sense


def main() -> None:
    args = arguments("learned-regional")
    sizes = [
        (
            f"4 regions × 2 servers, {n} tasks",
            [cpnopt.generate("regional", seed=s, n_tasks=n) for s in range(args.batch)],
            n,
        )
        for n in (16, 24)
    ]
    print(
        report(
            args,
            "regional",
            "regional-drl",
            "regional-drl vs the exact optimum and the region baselines",
            Sense.MAXIMIZE,
            BatchedRegionalEnv,
            RegionalEnv(),
            sizes,
            random_candidate,
            "one decision = one task's region: policy step, stage-2 balancing with the FIFO check, features of the next task; "
            "the evaluator at each episode end",
        )
    )


if __name__ == "__main__":
    main()
