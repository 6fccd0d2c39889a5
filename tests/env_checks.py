"""Checks shared by the learned-environment tests (no tests here)."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch


def assert_batched_equals_single(env: Any, make_single: Callable[[], Any], batch: list, actions: np.ndarray) -> None:
    """Stepping ``batch`` together in the batched ``env`` gives, slot by slot, the observations,
    masks, rewards, ends and decisions of one Gymnasium run per instance (``actions``: steps × batch)."""
    obs = env.reset(batch)
    n = len(batch)
    batched = [(obs.features.numpy(), obs.mask.numpy(), np.zeros(n), np.zeros(n, dtype=bool))]
    for row in actions:
        step = env.step(torch.as_tensor(row))
        batched.append(
            (step.observation.features.numpy(), step.observation.mask.numpy(), step.reward.numpy(), step.done.numpy())
        )
    for slot, inst in enumerate(batch):
        single = make_single()
        obs, _ = single.reset(options={"instance": inst})
        trace = [(obs, 0.0, False)]
        for row in actions:
            obs, reward, done, truncated, _ = single.step(int(row[slot]))
            trace.append((obs, reward, done))
            assert not truncated
        for (features, mask, rewards, dones), (obs, reward, done) in zip(batched, trace):
            np.testing.assert_allclose(
                features[slot], obs["features"].reshape(features[slot].shape), rtol=1e-6, atol=1e-6
            )
            np.testing.assert_array_equal(mask[slot], obs["action_mask"].astype(bool))
            assert rewards[slot] == pytest.approx(reward, rel=1e-6) and dones[slot] == done
        assert single.batched.decision(0) == env.decision(slot)
