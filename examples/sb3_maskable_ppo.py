"""Train sb3-contrib's MaskablePPO on a cpnopt environment and score it on the held-out seeds.

An off-the-shelf learner on the environments exactly as Gymnasium hands them out (no wrapper):
``gymnasium.make("cpnopt/<Family>-v0")`` after ``import cpnopt``, the mask from the
environment's ``action_masks()``. Training instances are the generator's seeds ≥ 10⁶ (the
environment's own ``reset``); the policy is then scored, greedily, on the benchmark
instances ``cpnopt.generate(family, seed=s)`` for the held-out seeds s (``reset(options={"seed": s})``),
every decision through the family's evaluator, and compared with the family's reference
(by default ``milp``, the learned suites' reference: the proven optimum, or for offloading
the clairvoyant bound) and with any other methods named by ``--compare``.

``--max-candidates N`` trains on :class:`~cpnopt.gym_padding.PaddedCandidates` (the candidate axis
padded to N with masked dummies), so the model plays any instance with up to N candidates;
``--save PATH`` writes the SB3 zip and, next to it, a JSON record (the command, steps, wall time,
device, versions, the generator params and N) — the bundled ``sb3-ppo`` checkpoints are written so
(their commands: benchmarks/RESULTS.md), and ``cpnopt solve … -m sb3-ppo --option checkpoint=PATH``
serves such a zip. ``--seeds 0`` trains and saves without scoring.

Needs the ``rl`` extra: ``pip install -e ".[rl]"``. For example::

    python examples/sb3_maskable_ppo.py --family regional --steps 200000 --seed 0
    python examples/sb3_maskable_ppo.py --family clustering --steps 4096 --reference km-rea --seeds 5
    python examples/sb3_maskable_ppo.py --family clustering --steps 30000 --max-candidates 16 --seeds 0 \
        --save solvers/rl/checkpoints/sb3-ppo-clustering.zip

stdout: one line per held-out seed and a summary line (mean gap to the reference).
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import gymnasium
import torch

import cpnopt
from cpnopt.gym_padding import PaddedCandidates
from cpnopt.gym_registration import env_id
from cpnopt.solution import gap_to_reference
from cpnopt.solvers.rl.sb3_ppo import rollout
from cpnopt.solvers.rl.train import device_name

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


def make_env(args: argparse.Namespace, params: dict[str, Any]) -> gymnasium.Env:
    """``cpnopt/<Family>-v0`` with ``params``, padded to ``--max-candidates`` if given."""
    env = gymnasium.make(env_id(args.family), **params)
    return PaddedCandidates(env, args.max_candidates) if args.max_candidates else env


def train(args: argparse.Namespace, params: dict[str, Any]):
    """MaskablePPO with sb3-contrib's defaults on ``cpnopt/<Family>-v0``; the model and the wall time (s)."""
    try:
        from sb3_contrib import MaskablePPO
    except ImportError:
        raise SystemExit('error: this example needs the rl extra: pip install -e ".[rl]"') from None
    model = MaskablePPO("MultiInputPolicy", make_env(args, params), seed=args.seed, device=args.device, verbose=0)
    start = time.perf_counter()
    model.learn(args.steps)
    return model, time.perf_counter() - start


def save(model: Any, args: argparse.Namespace, params: dict[str, Any], wall_s: float) -> None:
    """The SB3 zip at ``--save`` and its JSON record next to it (what the ``sb3-ppo`` method reads: ``params``)."""
    path = Path(args.save)
    model.save(path)
    record = {
        "family": args.family,
        "method": "sb3-ppo",
        "algorithm": "sb3-contrib MaskablePPO, MultiInputPolicy, default hyperparameters",
        "commands": [shlex.join(["python", *sys.argv])],
        "seed": args.seed,
        "steps": int(model.num_timesteps),
        "wall_time_s": round(wall_s, 1),
        "transitions_per_s": round(model.num_timesteps / wall_s, 1),
        "device": args.device,
        "device_name": device_name(torch.device(args.device)),
        "versions": {
            name: metadata.version(name) for name in ("stable-baselines3", "sb3-contrib", "gymnasium", "torch")
        },
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "params": params,
        "max_candidates": args.max_candidates,
        "hyperparameters": {k: getattr(model, k) for k in ("n_steps", "batch_size", "n_epochs", "gamma", "gae_lambda")},
    }
    path.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")


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
    parser.add_argument("--save", help="write the trained model (an SB3 .zip) and its JSON record (.json) here")
    parser.add_argument(
        "--max-candidates", type=int, help="pad the candidate axis to this many (cpnopt.gym_padding.PaddedCandidates)"
    )
    args = parser.parse_args(argv)
    if args.steps <= 0 or args.seeds < 0:
        raise SystemExit("error: --steps must be positive and --seeds ≥ 0")
    torch.set_num_threads(args.threads)
    params = parse_params(args.param)
    model, wall_s = train(args, params)
    if args.save:
        save(model, args, params, wall_s)
    if args.seeds == 0:
        print(f"{args.family}: MaskablePPO {model.num_timesteps} steps in {wall_s:.0f} s")
        return
    sense = cpnopt.get_family(args.family).sense
    env = make_env(args, params)
    ppo, reference = [], []
    others: dict[str, list[float]] = {m: [] for m in args.compare}
    for seed in range(args.seeds):
        instance = cpnopt.generate(args.family, seed=seed, **params)
        value = rollout(model, env, instance, deterministic=True)[1].objective  # the evaluator's
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
