"""Registers the families' environments with Gymnasium when both cpnopt and Gymnasium are imported.

Every family whose :class:`~cpnopt.registry.Family` names an ``env`` gets the id
``cpnopt/<Family>-v0`` (``gymnasium.make(id, **generator_params)``). ``import cpnopt`` calls
:func:`install`: if Gymnasium is already imported the ids are registered at once, otherwise
a one-shot import hook registers them right after Gymnasium's own module has run, so
``import cpnopt`` neither imports Gymnasium nor PyTorch nor loads the families (which costs
about a second) for users who never make an environment, and ``gymnasium.make("cpnopt/…")``
works whatever the order of the two imports. The environment classes (and PyTorch) are
imported by ``gymnasium.make``, through the entry point ``module:Class``.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from types import ModuleType

GYMNASIUM = "gymnasium"


def env_id(family: str) -> str:
    return f"cpnopt/{family.capitalize()}-v0"


def env_ids() -> dict[str, str]:
    """Family name → Gymnasium id, for every family with an environment."""
    from cpnopt.registry import families

    return {name: env_id(name) for name, family in families().items() if family.env is not None}


def register_envs() -> dict[str, str]:
    """Register every family's environment with Gymnasium (idempotent); the ids registered."""
    import gymnasium

    from cpnopt.registry import get_family

    ids = env_ids()
    for name, id_ in ids.items():
        if id_ not in gymnasium.registry:
            gymnasium.register(id=id_, entry_point=get_family(name).env)
    return ids


class _RegisterAfterGymnasium(importlib.abc.MetaPathFinder):
    """Finds Gymnasium with the other finders and registers the environments once its module has run."""

    def find_spec(self, fullname: str, path, target: ModuleType | None = None):
        if fullname != GYMNASIUM:
            return None
        sys.meta_path.remove(self)  # one shot: the search below must not find this finder again
        spec = importlib.util.find_spec(GYMNASIUM)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_register(module: ModuleType) -> None:
            exec_module(module)
            register_envs()

        spec.loader.exec_module = exec_and_register  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Register the environments now if Gymnasium is imported, else as soon as it is."""
    if GYMNASIUM in sys.modules:
        register_envs()
    elif not any(isinstance(finder, _RegisterAfterGymnasium) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterGymnasium())
