"""Decision latency of every bundled agent at batch 1: PyTorch's default CPU threads against :func:`one_thread`.

    python benchmarks/decision_latency.py [--seeds 0 1 2 3 4] [--repeats 3] [--families offloading ...] [--one-thread-only] \
        [--clock cpu]

Per learned method, on the family's default instances (held-out seeds): the greedy episode
of each instance alone (batch 1, ``act_greedily`` on the agent's environment, the policy
loaded once), timed ``repeats`` times; ms per decision = the median time per episode /
its decisions (environment steps). Once with PyTorch's default thread count (what serving
did before), once inside ``serving.one_thread()`` (what it does now), and whether the two
give the same decisions on every instance. ``--clock cpu`` times with the process's CPU time
(``time.process_time``) instead of the wall clock: on a machine shared with other jobs it leaves
out the time spent waiting for a core, so old and new code can be compared under load.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch

import cpnopt
from cpnopt.registry import Kind, families, methods
from cpnopt.solvers.rl.serving import act_greedily, cached_policy, get_agent, one_thread


def per_decision_ms(
    env: Any, policy: torch.nn.Module, instances: list[Any], repeats: int, clock: Any = time.perf_counter
) -> tuple[float, list]:
    """Median ms per decision over ``repeats`` passes over ``instances`` (each alone), and the decisions."""
    step, steps = env.step, [0]

    def counted(actions: torch.Tensor) -> Any:
        steps[0] += 1
        return step(actions)

    env.step = counted
    times, decisions = [], []
    for _ in range(repeats):
        steps[0] = 0
        started = clock()
        decisions = [act_greedily(env, policy, [inst])[0] for inst in instances]
        times.append((clock() - started) / steps[0])
    return 1000 * statistics.median(times), decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--families", nargs="+", help="only these families (default: every family)")
    parser.add_argument("--one-thread-only", action="store_true", help="skip the default-threads column")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="wall clock or process CPU time")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"PyTorch {torch.__version__}, default CPU threads: {torch.get_num_threads()}, {args.clock} clock\n")
    print("| family | agent | ms / decision, default threads | ms / decision, one thread | same decisions |")
    print("|---|---|---:|---:|---|")
    for family in sorted(args.families or families()):
        learned = [m.name for m in methods(family).values() if m.kind is Kind.LEARNED]
        for name in learned:
            spec = get_agent(family, name)
            policy = cached_policy(family, name, None, "cpu")
            env = spec.make_env(torch.device("cpu"))
            instances = [cpnopt.generate(family, seed=s) for s in args.seeds]
            act_greedily(env, policy, instances[:1])  # warm-up
            default_ms, before = (
                (float("nan"), None)
                if args.one_thread_only
                else per_decision_ms(env, policy, instances, args.repeats, clock)
            )
            with one_thread():
                one_ms, after = per_decision_ms(env, policy, instances, args.repeats, clock)
            same = "—" if before is None else before == after
            print(f"| {family} | {name} | {default_ms:.2f} | {one_ms:.2f} | {same} |", flush=True)


if __name__ == "__main__":
    main()
