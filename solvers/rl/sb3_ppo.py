"""``sb3-ppo``: an off-the-shelf learner beside the papers' agents — sb3-contrib's MaskablePPO, bundled per family.

The bundled checkpoint of a family is ``checkpoints/sb3-ppo-<family>.zip`` (an SB3 zip) with its
record ``sb3-ppo-<family>.json`` (the command, steps, wall time, device, versions, the
environment's generator ``params`` and ``max_candidates``), both written by
``examples/sb3_maskable_ppo.py --save`` with sb3-contrib's default hyperparameters and
``MultiInputPolicy``. At solve time the model plays the instance greedily (``deterministic=True``
with ``action_masks()``) on the Gymnasium environment ``cpnopt/<Family>-v0`` made with the record's
``params``, through :class:`~cpnopt.gym_padding.PaddedCandidates` (the candidate axis padded to the
model's ``max_candidates``, read from its observation space): any instance with at most that many
candidates plays (routing: at most the training node count, which its features depend on); the decision
is the one the environment built, scored by the family's evaluator like every method.

The options are :class:`~cpnopt.solvers.rl.serving.ServingOptions`: ``checkpoint`` (another zip,
its ``.json`` record next to it if any), ``device``, and test-time search: ``samples`` = N plays
the greedy rollout, then N − 1 rollouts sampled from the policy (``deterministic=False``, PyTorch's
generator seeded with ``seed`` inside :func:`torch.random.fork_rng`), one after the other within
the ``time_limit`` budget, and keeps the best under the evaluator (the greedy one on ties).

Needs the ``rl`` extra (``pip install -e ".[rl]"``): without Stable-Baselines3 / sb3-contrib the
method is still listed, and solving with it is an :class:`~cpnopt.errors.InputError` that says so
(one line, exit 2 on the command line). Stable-Baselines3 is imported when the method runs, never
by ``import cpnopt``.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import gymnasium

from cpnopt.errors import InputError
from cpnopt.gym_padding import PaddedCandidates
from cpnopt.gym_registration import env_id
from cpnopt.registry import Kind, family_of, flatten_options, register_method
from cpnopt.solution import Evaluation, MethodOutput, Status
from cpnopt.solvers.rl.serving import ServingOptions, best_of, one_thread

METHOD = "sb3-ppo"
REQUIRES = ("stable_baselines3", "sb3_contrib")  # the rl extra
INSTALL = 'needs Stable-Baselines3 and sb3-contrib: pip install -e ".[rl]"'


def bundled_checkpoint(family: str) -> Path:
    return Path(str(resources.files("cpnopt.solvers.rl") / "checkpoints" / f"{METHOD}-{family}.zip"))


def maskable_ppo() -> type:
    """sb3-contrib's MaskablePPO class, or an InputError telling how to install it."""
    try:
        from sb3_contrib import MaskablePPO
    except ImportError:
        raise InputError("method", METHOD, INSTALL) from None
    return MaskablePPO


@lru_cache(maxsize=16)
def load_model(family: str, checkpoint: str | None, device: str) -> tuple[Any, dict[str, Any]]:
    """The MaskablePPO model of a zip (default: the family's bundled one) and its environment's
    generator ``params`` (its JSON record's; none: the generator's defaults); loaded once per process."""
    model_class = maskable_ppo()
    path = Path(checkpoint) if checkpoint is not None else bundled_checkpoint(family)
    if not path.is_file():
        raise InputError("checkpoint", str(path), "no such file; train one with examples/sb3_maskable_ppo.py --save")
    try:
        model = model_class.load(path, device=device)
    except Exception as exc:  # SB3 raises zip, pickle, key and value errors for a file that is not its zip
        raise InputError("checkpoint", str(path), f"not a MaskablePPO zip ({type(exc).__name__})") from None
    record = path.with_suffix(".json")
    params = json.loads(record.read_text()).get("params", {}) if record.is_file() else {}
    return model, params


def padded_env(family: str, model: Any, params: dict[str, Any], checkpoint: str) -> PaddedCandidates:
    """``cpnopt/<Family>-v0`` with ``params``, padded to the model's candidates; a model of other spaces is refused."""
    env = gymnasium.make(env_id(family), disable_env_checker=True, **params)
    features = model.observation_space["features"].shape[0]
    per_candidate = env.unwrapped.batched.n_features
    if features % per_candidate:
        raise InputError(
            "checkpoint",
            checkpoint,
            f"{features} features per observation: not {family}'s {per_candidate} per candidate",
        )
    padded = PaddedCandidates(env, features // per_candidate)
    if padded.action_space != model.action_space:
        raise InputError("checkpoint", checkpoint, f"its action space {model.action_space} is not {family}'s")
    return padded


def rollout(model: Any, env: gymnasium.Env, instance: Any, deterministic: bool) -> tuple[Any, Evaluation]:
    """Play ``instance`` to its end on a ``cpnopt/<Family>-v0`` (padded or not); the decision the environment
    built and the family evaluator's verdict on it (feasible: the environment builds feasible decisions)."""
    obs, _ = env.reset(options={"instance": instance})
    action_masks = env.get_wrapper_attr("action_masks")
    done = False
    while not done:
        action, _ = model.predict(obs, action_masks=action_masks(), deterministic=deterministic)
        obs, _, done, _, _ = env.step(action)
    batched = env.unwrapped.batched
    return batched.decision(0), batched.evaluations[0]


def solve(family: str, instance: Any, serving: ServingOptions) -> MethodOutput:
    """The greedy rollout, improved by up to ``samples − 1`` sampled ones within the budget (module docstring)."""
    start = time.perf_counter()
    model, params = load_model(family, serving.checkpoint, serving.device)
    checkpoint = serving.checkpoint or bundled_checkpoint(family).name
    env = padded_env(family, model, params, checkpoint)
    info: dict[str, Any] = {"checkpoint": checkpoint, "max_candidates": env.max_candidates}
    with one_thread():
        if serving.samples == 1:
            decision, _ = rollout(model, env, instance, deterministic=True)
        else:
            deadline = None if serving.time_limit is None else start + serving.time_limit
            # one sampled rollout per batch: SB3 plays one environment, and the budget is checked per rollout
            decision, done = best_of(
                lambda: rollout(model, env, instance, deterministic=True),
                lambda _: [rollout(model, env, instance, deterministic=False)],
                family_of(instance).sense,
                serving.samples,
                serving.seed,
                deadline,
            )
            info.update(done, seed=serving.seed)
    return MethodOutput(decision=decision, status=Status.FEASIBLE, info=info)


def register_sb3_ppo(family: str) -> None:
    """Register ``sb3-ppo`` for ``family`` (called by the family's ``agents`` module)."""

    def run(instance: Any, serving: ServingOptions) -> MethodOutput:
        return solve(family, instance, serving)

    run.__doc__ = f"MaskablePPO on cpnopt/{family.capitalize()}-v0; the options: ServingOptions."
    description = (
        "sb3-contrib MaskablePPO (defaults, MultiInputPolicy) on the Gymnasium environment, candidates padded; "
        'bundled checkpoint; needs pip install -e ".[rl]"'
    )
    register_method(family, METHOD, Kind.LEARNED, description, requires=REQUIRES)(flatten_options(run, ServingOptions))
