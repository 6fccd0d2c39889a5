"""``cpnopt train FAMILY --method M``: train a learned agent, write its checkpoint and a JSON record.

The checkpoint (``-o``, default ``<method>.pt``) holds everything to resume
(``--resume`` continues the run in that file up to ``--steps`` transitions in all);
``--save-at`` keeps snapshots of the run at given step counts beside it; the
JSON next to it (same name, ``.json``) records the command(s) that wrote it (every option
spelled out, progress-bar flags left out), seed, steps, wall time, device, PyTorch
version, the algorithm's configuration and the learning curve.
"""

from __future__ import annotations

import json
import math
import platform
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from cpnopt.errors import InputError
from cpnopt.solvers.rl import a2c, dqn, ppo
from cpnopt.solvers.rl.serving import AgentSpec, get_agent
from cpnopt.solvers.rl.session import Session

ALGORITHMS = {"a2c": (a2c.A2CConfig, a2c.train), "ppo": (ppo.PPOConfig, ppo.train), "dqn": (dqn.DQNConfig, dqn.train)}
CURVE_POINTS = 50  # learning-curve entries kept in the JSON record (the checkpoint keeps them all)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), platform.processor()
    )
    return f"{cpu} ({torch.get_num_threads()} threads)"


def _cpuinfo() -> list[str]:
    path = Path("/proc/cpuinfo")
    return path.read_text().splitlines() if path.exists() else []


def train(
    family: str,
    method: str,
    steps: int,
    seed: int = 0,
    device: str = "cpu",
    output: str | None = None,
    resume: bool = False,
    progress: bool = True,
    threads: int = 1,
    save_at: tuple[int, ...] = (),
) -> Path:
    """Train ``method`` of ``family`` to ``steps`` environment transitions; return the checkpoint path."""
    spec = get_agent(family, method)
    return train_agent(spec, steps, seed, device, output, resume, progress, threads, save_at)


def train_agent(
    spec: AgentSpec,
    steps: int,
    seed: int = 0,
    device: str = "cpu",
    output: str | None = None,
    resume: bool = False,
    progress: bool = True,
    threads: int = 1,
    save_at: tuple[int, ...] = (),
) -> Path:
    """:func:`train` for any agent specification (e.g. one with its own instance stream).

    ``save_at``: also keep the run as it is at these step counts (``dcat-step75000.pt`` beside
    ``dcat.pt``, see :func:`~.session.snapshot_path`): one long run gives the checkpoints of
    the shorter budgets, e.g. for a learning curve."""
    family, method = spec.family, spec.method
    if steps < 1:
        raise InputError("--steps", steps, "must be ≥ 1")
    path = Path(output or spec.checkpoint_name)
    if any(s < 1 or s > steps for s in save_at):
        raise InputError("--save-at", ",".join(map(str, save_at)), f"every step must be in 1..--steps ({steps})")
    if resume and not path.is_file():
        raise InputError("--resume", str(path), "no checkpoint there to resume")
    config_type, run = ALGORITHMS[spec.algorithm]
    config = config_type(**spec.config)
    session = Session.start(spec, config, seed, device, path if resume else None, threads)
    session.keep_snapshots(save_at)
    run(session, steps, path, progress)

    record_path = path.with_suffix(".json")
    earlier = json.loads(record_path.read_text()).get("commands", []) if resume and record_path.is_file() else []
    this = (
        f"cpnopt train {family} --method {method} --device {device} --steps {steps} --seed {seed} -o {path}"
        + (f" --threads {threads}" if threads != 1 else "")
        + (f" --save-at {','.join(map(str, sorted(save_at)))}" if save_at else "")
        + (" --resume" if resume else "")
    )
    tail = session.log[-10:]
    record = {
        "family": family,
        "method": spec.method,
        "algorithm": spec.algorithm,
        "commands": earlier + [this],
        "seed": seed,
        "steps": session.global_step,
        "wall_time_s": round(session.wall_s, 1),
        "device": session.device.type,
        "device_name": device_name(session.device),
        "torch": torch.__version__,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": asdict(config),
        "policy_kwargs": spec.policy_kwargs,
        "final": {
            key: _mean_of_finite([e[key] for e in tail])
            for key in ("episode_reward", "objective", "explained_variance")
        },
        "curve": session.log[:: max(1, len(session.log) // CURVE_POINTS)],
    }
    record_path.write_text(json.dumps(_nan_to_null(record), indent=1, allow_nan=False) + "\n")
    return path


def _mean_of_finite(values: list[float]) -> float | None:
    """Mean over the log entries that saw an episode end (the others are NaN); None if none did."""
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else None


def _nan_to_null(value: Any) -> Any:
    """JSON has no NaN: a log entry without a finished episode is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_null(v) for v in value]
    return value
