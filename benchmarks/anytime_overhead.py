"""What the anytime trace costs: HiGHS on the same MILPs with and without the trace's callbacks.

Each clustering MILP (written once as MPS by `cpnopt solve ... --write-model`) is read into a
fresh highspy object and solved with one thread, alternately plain and with
:class:`cpnopt.solvers.highs.MipTrace` subscribed (``cbMipImprovingSolution`` and
``cbMipInterrupt``); the script prints each solve's time, node count and trace rows, and the
median time per variant.

    python benchmarks/anytime_overhead.py [--seeds 0 1 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from importlib import metadata
from pathlib import Path

import highspy

import cpnopt
from cpnopt.solvers.highs import MipTrace, highs_session

PARAMS = dict(n_servers=8, n_slots=3, arrivals_per_slot=5, n_metro_areas=3)


def solve(path: Path, traced: bool) -> tuple[float, int, int, float]:
    """Seconds, nodes, trace rows and objective of one solve of the model in ``path``."""
    with highs_session(1):
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("threads", 1)
        highs.readModel(str(path))
        start = time.perf_counter()
        trace = MipTrace(highs, start) if traced else None
        highs.run()
        seconds = time.perf_counter() - start
    info = highs.getInfo()
    return seconds, info.mip_node_count, len(trace.rows) if trace else 0, info.objective_function_value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"highspy {metadata.version('highspy')}; clustering milp, {PARAMS}")
    print("| seed | variant | median s | runs (s) | nodes | trace rows |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for seed in args.seeds:
            path = Path(folder) / f"clustering-{seed}.mps"
            cpnopt.solve(cpnopt.generate("clustering", seed=seed, **PARAMS), "milp", threads=1, write_model=str(path))
            runs: dict[bool, list[tuple[float, int, int, float]]] = {False: [], True: []}
            for _ in range(args.repeats):
                for traced in (False, True):
                    runs[traced].append(solve(path, traced))
            for traced, found in runs.items():
                times = [r[0] for r in found]
                print(
                    f"| {seed} | {'trace' if traced else 'plain'} | {statistics.median(times):.2f} | "
                    f"{', '.join(f'{t:.2f}' for t in times)} | {', '.join(str(r[1]) for r in found)} | "
                    f"{', '.join(str(r[2]) for r in found)} |"
                )


if __name__ == "__main__":
    main()
