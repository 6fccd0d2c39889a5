"""Train sb3-contrib's MaskablePPO on a cpnopt environment and score it on the held-out seeds.

An off-the-shelf learner on the environments exactly as Gymnasium hands them out (no wrapper):
``gymnasium.make("cpnopt/<Family>-v0")`` after ``import cpnopt``, the mask from the
environment's ``action_masks()``. Training instances are the generator's seeds ≥ 10⁶ (the
environment's own ``reset``); the policy is then scored, greedily, on the benchmark
instances ``cpnopt.generate(family, seed=s)`` for the held-out seeds s (``reset(options={"seed": s})``),
every decision through the family's evaluator, and compared with the family's reference
(by default ``milp``, the learned suites' reference: the proven optimum, or for offloading
the clairvoyant bound) and with any other methods named by ``--compare``.

Needs the ``rl`` extra: ``pip install -e ".[rl]"``. For example::

    python examples/sb3_maskable_ppo.py --family regional --steps 200000 --seed 0
    python examples/sb3_maskable_ppo.py --family clustering --steps 4096 --reference km-rea --seeds 5

stdout: one line per held-out seed and a summary line (mean gap to the reference).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import gymnasium
import torch

import cpnopt
from cpnopt.gym_registration import env_id
from cpnopt.solution import gap_to_reference

FAMILIES = ("clustering", "routing", "placement", "regional", "offloading")


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` generator parameters; values read as JSON when they parse (numbers, lists), else strings."""
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"error: --param: expected key=value (got {pair!r})")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def train(args: argparse.Namespace, params: dict[str, Any]):
    """MaskablePPO with sb3-contrib's defaults on ``cpnopt/<Family>-v0``; the model and the wall time (s)."""
    try:
        from sb3_contrib import MaskablePPO
    except ImportError:
        raise SystemExit('error: this example needs the rl extra: pip install -e ".[rl]"') from None
    env = gymnasium.make(env_id(args.family), **params)
    model = MaskablePPO("MultiInputPolicy", env, seed=args.seed, device=args.device, verbose=0)
    start = time.perf_counter()
    model.learn(args.steps)
    return model, time.perf_counter() - start


def play(model: Any, env: gymnasium.Env, seed: int) -> float:
    """The greedy policy's objective on ``cpnopt.generate(family, seed=seed)``, by the family's evaluator."""
    obs, _ = env.reset(options={"seed": seed})
    done = False
    while not done:
        action, _ = model.predict(obs, action_masks=env.unwrapped.action_masks(), deterministic=True)
        obs, _, done, _, _ = env.step(action)
    batched = env.unwrapped.batched
    evaluation = cpnopt.evaluate(batched.instances[0], batched.decision(0))
    if not evaluation.feasible:
        raise RuntimeError(f"seed {seed}: the evaluator rejected the policy's decision: {evaluation.violations}")
    return evaluation.objective


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=FAMILIES, required=True)
    parser.add_argument("--steps", type=int, default=100_000, help="environment steps (transitions) to train")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the policy trains")
    parser.add_argument("--seed", type=int, default=0, help="seeds SB3 (policy, sampling) and the training instances")
    parser.add_argument("--seeds", type=int, default=20, help="score on held-out seeds 0 … seeds−1 (default 20)")
    parser.add_argument("--reference", default="milp", help="the method the gap is taken to (default milp)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="the reference's time limit per instance (s)")
    parser.add_argument("--compare", nargs="*", default=[], help="other methods scored on the same seeds")
    parser.add_argument("--param", action="append", default=[], help="a generator parameter key=value (repeatable)")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads (1: fastest on a small machine)")
    parser.add_argument("--save", help="write the trained model (an SB3 .zip) here")
    args = parser.parse_args(argv)
    if args.steps <= 0 or args.seeds <= 0:
        raise SystemExit("error: --steps and --seeds must be positive")
    torch.set_num_threads(args.threads)
    params = parse_params(args.param)
    model, wall_s = train(args, params)
    if args.save:
        model.save(args.save)
    sense = cpnopt.get_family(args.family).sense
    env = gymnasium.make(env_id(args.family), **params)
    ppo, reference = [], []
    others: dict[str, list[float]] = {m: [] for m in args.compare}
    for seed in range(args.seeds):
        instance = cpnopt.generate(args.family, seed=seed, **params)
        value = play(model, env, seed)
        ref = cpnopt.solve(instance, args.reference, time_limit=args.time_limit).report
        gap = gap_to_reference(ref.objective, value, sense)
        ppo.append(value)
        reference.append(ref.objective)
        line = f"seed {seed}: sb3-maskable-ppo {value:.6g}, {args.reference} {ref.objective:.6g} ({ref.status.value})"
        for method in args.compare:
            others[method].append(cpnopt.solve(instance, method, time_limit=args.time_limit).report.objective)
            line += f", {method} {others[method][-1]:.6g}"
        print(line + (f", gap {100 * gap:.1f} %" if gap is not None else ""))
    summary = (
        f"{args.family}: MaskablePPO {args.steps} steps (seed {args.seed}, {args.device}, {wall_s:.0f} s, "
        f"{args.steps / wall_s:.0f} transitions/s): mean objective {statistics.mean(ppo):.6g} vs "
        f"{args.reference} {statistics.mean(reference):.6g} on seeds 0–{args.seeds - 1}"
    )
    for method, values in {"sb3-maskable-ppo": ppo, **others}.items():
        method_gaps = [g for g in map(lambda r, v: gap_to_reference(r, v, sense), reference, values) if g is not None]
        summary += f"; {method} mean gap {100 * statistics.mean(method_gaps):.1f} %" if method_gaps else ""
    print(summary)


if __name__ == "__main__":
    main()
