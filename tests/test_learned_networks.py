"""Policy heads: masks are respected, the autoregressive joint distribution is a distribution."""

import itertools

import torch

from cpnopt.rl_env import Observation
from cpnopt.solvers.rl.networks import AutoregressiveHead, CandidateActorCritic


def test_masked_candidates_are_never_chosen_and_any_size_works():
    torch.manual_seed(0)
    policy = CandidateActorCritic(n_features=5, hidden=16)
    for k in (3, 9):
        mask = torch.rand(64, k) < 0.4
        mask[:, 0] = True
        dist, value = policy(Observation(torch.randn(64, k, 5), mask))
        assert value.shape == (64,)
        assert bool(mask.gather(1, dist.sample()[:, None]).all())
        assert float(dist.probs[~mask].max()) == 0.0


def test_autoregressive_joint_probabilities_sum_to_one_and_respect_masks():
    torch.manual_seed(1)
    head = AutoregressiveHead(context=4, sizes=[3, 2, 4])
    h = torch.randn(2, 4)
    masks = [
        torch.tensor([[True, False, True], [True, True, True]]),
        None,
        torch.tensor([[True, True, False, True]] * 2),
    ]
    joint = list(itertools.product(range(3), range(2), range(4)))
    actions = torch.tensor(joint).repeat_interleave(2, 0)
    _, log_prob, _ = head(
        h.repeat(len(joint), 1), actions, [m.repeat(len(joint), 1) if m is not None else None for m in masks]
    )
    probs = log_prob.exp().view(len(joint), 2)
    torch.testing.assert_close(probs.sum(0), torch.ones(2))
    for row, (a1, _, a3) in enumerate(joint):
        if a3 == 2:
            assert float(probs[row].max()) == 0.0
        if a1 == 1:
            assert float(probs[row, 0]) == 0.0
    sampled, sampled_log_prob, entropy = head(h, masks=masks)
    _, again, _ = head(h, sampled, masks)
    torch.testing.assert_close(sampled_log_prob, again)
    assert bool((entropy > 0).all())
