"""Serving learned policies: which environment, policy, algorithm and bundled checkpoint each learned method uses.

A family's ``agents`` module (e.g. :mod:`cpnopt.solvers.clustering.agents`) registers each
learned method once, with :func:`register_agent`: its :class:`AgentSpec` (for ``cpnopt
train FAMILY --method M``) and the method (for ``cpnopt.solve(instance, M)``) in one call.
Every learned method serves its policy through :func:`solve_greedily` (the policy loaded once
per checkpoint and device, then acting greedily on the spec's environment). Adding an agent
for a new family: an environment in ``cpnopt/problems/<family>/env.py``, an ``AgentSpec``
and a method registered with :func:`register_agent` that calls :func:`solve_greedily`.

**Test-time search** (option ``samples=N`` of every learned method, with ``seed`` and
``time_limit``): the greedy rollout first (exactly the ``samples=1`` result), then N − 1
stochastic rollouts of the same policy (its own sampling distribution; a Q-network samples
ε-greedily with ε = :data:`SAMPLE_EPSILON`), stepped :data:`SAMPLE_BATCH` at a time as copies of
the instance in one :class:`~cpnopt.rl_env.BatchedEnv`; the decision kept is the best by the
family's evaluator (the greedy one on ties), so ``samples=N`` never scores worse than
``samples=1``. ``time_limit`` is a budget: no new batch starts once the time spent so far
plus the last batch's time would pass it (the greedy rollout always runs). The samples draw
from PyTorch's generator seeded with ``seed`` inside :func:`torch.random.fork_rng`, so a run
is repeatable and leaves the caller's random state alone. No POMO-style multi-start: in
every bundled environment the first decision is either a label (clustering: the first
server opens "a cluster" — every start is the same partition) or fixed by the problem's
order (the next arriving task, iteration or request), so there are no distinct symmetric
starts to enumerate.

A policy serves on **one PyTorch CPU thread** (:func:`one_thread`): its tensors are small (a
few candidates × a few features), so intra-op threads only add hand-over; on the shared
2-core machine the waiting for them multiplied the decision latency by 3–17 (benchmarks/RESULTS.md,
"Learned II"). The decisions are the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cpnopt.errors import InputError
from cpnopt.registry import Kind, family_of, flatten_options, methods, register_method
from cpnopt.rl_env import BatchedEnv
from cpnopt.solution import Evaluation, MethodOutput, Sense, Status

SAMPLE_BATCH = 16  # stochastic rollouts stepped together in one batched environment
SAMPLE_EPSILON = 0.05  # a Q-network's sampling: ε-greedy with DQN's final training ε (DQNConfig.eps_end)


@dataclass(frozen=True)
class AgentSpec:
    family: str
    method: str
    algorithm: str  # "a2c", "ppo" or "dqn"
    make_env: Callable[[torch.device], BatchedEnv]
    sample: Callable[[np.random.Generator], Any]  # a training instance (seeds disjoint from benchmark seeds)
    make_policy: Callable[..., nn.Module]  # (**policy_kwargs) -> actor-critic
    policy_kwargs: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)  # overrides of the algorithm's defaults

    @property
    def checkpoint_name(self) -> str:
        return f"{self.method}.pt"

    def bundled_checkpoint(self) -> Path:
        return Path(str(resources.files("cpnopt.solvers.rl") / "checkpoints" / self.checkpoint_name))


_agents: dict[tuple[str, str], AgentSpec] = {}


@dataclass(frozen=True)
class ServingOptions:
    """The options every learned method takes, declared once (:func:`register_agent` lists them)."""

    checkpoint: str | None = None  # a `cpnopt train` output (default: the bundled checkpoint)
    device: str = "cpu"
    samples: int = 1  # test-time search: the best of this many rollouts under the evaluator (1: greedy)
    seed: int = 0  # of the sampled rollouts
    time_limit: float | None = None  # the search's budget in seconds (the greedy rollout always runs)


def register_agent(
    spec: AgentSpec, description: str, aliases: tuple[str, ...] = ()
) -> Callable[[Callable[..., MethodOutput]], Callable[..., MethodOutput]]:
    """Decorator: register ``run(instance, serving: ServingOptions, **own)`` as the learned method
    ``spec.method`` and ``spec`` as its agent, in one call; the method takes the flat options, those
    of :class:`ServingOptions` and ``run``'s own."""

    def decorate(run: Callable[..., MethodOutput]) -> Callable[..., MethodOutput]:
        _agents[(spec.family, spec.method)] = spec
        method = flatten_options(run, ServingOptions)
        return register_method(spec.family, spec.method, Kind.LEARNED, description, aliases)(method)

    return decorate


def get_agent(family: str, method: str) -> AgentSpec:
    """The agent behind learned method ``method`` of ``family`` (its method modules are imported)."""
    registered = methods(family)
    learned = sorted(name for (fam, name) in _agents if fam == family)
    spec = _agents.get((family, method))
    if spec is None:
        alias = next((m.name for m in registered.values() if method in m.aliases), None)
        spec = _agents.get((family, alias)) if alias else None
    if spec is None:
        raise InputError("--method", method, f"no learned agent for {family}; agents: {', '.join(learned) or 'none'}")
    return spec


def load_policy(spec: AgentSpec, path: str | Path | None = None, device: str = "cpu") -> nn.Module:
    """The policy of a checkpoint (default: the bundled one), in eval mode on ``device``."""
    path = Path(path) if path is not None else spec.bundled_checkpoint()
    if not path.is_file():
        raise InputError("checkpoint", str(path), "no such file; train one with `cpnopt train`")
    state = read_checkpoint(path, device, "checkpoint", ("policy_kwargs", "policy"))
    try:
        policy = spec.make_policy(**state["policy_kwargs"]).to(device)
        policy.load_state_dict(state["policy"])
    except (TypeError, RuntimeError) as exc:  # another agent's checkpoint: other kwargs or tensor shapes
        raise InputError(
            "checkpoint", str(path), f"not a checkpoint of {spec.family}/{spec.method}: {str(exc).splitlines()[0]}"
        ) from None
    return policy.eval()


def read_checkpoint(path: str | Path, device: str | torch.device, what: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """The state saved by ``cpnopt train``; a file that is not one (or lacks ``keys``) is an InputError naming ``what``."""
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises pickle, zip, EOF and runtime errors for a file that is not a checkpoint
        raise InputError(
            what, str(path), f"not a PyTorch checkpoint written by `cpnopt train` ({type(exc).__name__})"
        ) from None
    missing = [key for key in keys if not isinstance(state, dict) or key not in state]
    if missing:
        raise InputError(what, str(path), f"not a cpnopt checkpoint: no {missing[0]!r}")
    return state


@torch.no_grad()
def act_greedily(env: BatchedEnv, policy: nn.Module, instances: list[Any]) -> list[Any]:
    """Run every instance to the end of its episode with the most probable allowed action."""
    return run_episodes(env, policy, instances, greedy=True)


@torch.no_grad()
def run_episodes(env: BatchedEnv, policy: nn.Module, instances: list[Any], greedy: bool) -> list[Any]:
    """Every instance's decision at the end of its episode: greedy actions, or sampled (:func:`sample_action`)."""
    obs = env.reset(instances)
    done = torch.zeros(len(instances), dtype=torch.bool)
    while not bool(done.all()):
        dist, _ = policy(obs)
        # greedy: the most probable allowed action (a joint distribution: its own mode)
        step = env.step(dist.mode if greedy else sample_action(dist))
        obs, done = step.observation, step.done.cpu()
    return [env.decision(slot) for slot in range(len(instances))]


def sample_action(dist: Any) -> torch.Tensor:
    """A stochastic action of a policy's distribution; a Q-network's :class:`~.dqn.QValues`: ε-greedy."""
    if hasattr(dist, "sample"):
        return dist.sample()
    from cpnopt.solvers.rl.dqn import epsilon_greedy

    return dist.to_env(epsilon_greedy(dist, SAMPLE_EPSILON))


def better(candidate: Evaluation, best: Evaluation, sense: Sense) -> bool:
    if sense is Sense.MAXIMIZE:
        return candidate.objective > best.objective
    return candidate.objective < best.objective


Rollout = tuple[Any, Evaluation]  # a decision and the family evaluator's verdict on it


def best_of(
    greedy: Callable[[], Rollout],
    sampled: Callable[[int], list[Rollout]],
    sense: Sense,
    samples: int,
    seed: int,
    deadline: float | None,
) -> tuple[Any, dict[str, Any]]:
    """Test-time search over any policy (module docstring): the ``greedy`` rollout, then ``sampled(n)``
    batches until ``samples`` rollouts are done or ``deadline`` (a :func:`time.perf_counter` time after
    which no new batch starts) would pass; the best by the evaluator, ties to the earlier; and what was done."""
    decision, best = greedy()
    done, best_index, batch_seconds = 1, 0, 0.0
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        while done < samples:
            started = time.perf_counter()
            if deadline is not None and started + batch_seconds > deadline:
                break
            batch = sampled(min(SAMPLE_BATCH, samples - done))
            for slot, (candidate, evaluation) in enumerate(batch):
                if better(evaluation, best, sense):
                    decision, best, best_index = candidate, evaluation, done + slot
            done += len(batch)
            batch_seconds = time.perf_counter() - started
    return decision, {"samples": done, "best_sample": best_index}


def search(
    env: BatchedEnv, policy: nn.Module, instance: Any, samples: int, seed: int, deadline: float | None
) -> tuple[Any, dict[str, Any]]:
    """:func:`best_of` with ``policy`` on copies of ``instance`` in the batched ``env``."""

    def greedy() -> Rollout:
        return (act_greedily(env, policy, [instance])[0], env.evaluations[0])

    def sampled(n: int) -> list[Rollout]:
        decisions = run_episodes(env, policy, [instance] * n, greedy=False)
        return list(zip(decisions, env.evaluations[:n]))

    return best_of(greedy, sampled, family_of(instance).sense, samples, seed, deadline)


@contextmanager
def one_thread() -> Iterator[None]:
    """PyTorch's CPU operations on one thread inside (the caller's thread count restored after)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@lru_cache(maxsize=16)
def cached_policy(family: str, method: str, checkpoint: str | None, device: str) -> nn.Module:
    """:func:`load_policy` of an agent, loaded once per (checkpoint, device) in a process."""
    return load_policy(get_agent(family, method), checkpoint, device)


def solve_greedily(
    spec: AgentSpec, instance: Any, serving: ServingOptions = ServingOptions(), **env_kwargs: Any
) -> MethodOutput:
    """A learned method's solve: the (cached) policy acts greedily on ``spec.make_env`` for one instance.

    ``serving.samples`` > 1: test-time search (:func:`search`; ``seed`` and the ``time_limit`` budget apply to it).
    """
    start = time.perf_counter()
    policy = cached_policy(spec.family, spec.method, serving.checkpoint, serving.device)
    env = spec.make_env(torch.device(serving.device), **env_kwargs)
    info: dict[str, Any] = {"checkpoint": serving.checkpoint or spec.checkpoint_name}
    with one_thread():
        if serving.samples == 1:
            decision = act_greedily(env, policy, [instance])[0]
        else:
            deadline = None if serving.time_limit is None else start + serving.time_limit
            decision, done = search(env, policy, instance, serving.samples, serving.seed, deadline)
            info.update(done, seed=serving.seed)
    return MethodOutput(decision=decision, status=Status.FEASIBLE, info=info)
