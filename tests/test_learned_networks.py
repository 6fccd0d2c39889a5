"""Policy heads: masks are respected, the set-autoregressive joint distribution is a distribution at any size."""

import itertools

import torch

from cpnopt.rl_env import Observation
from cpnopt.solvers.rl.networks import CandidateActorCritic, SetAutoregressiveHead


def test_masked_candidates_are_never_chosen_and_any_size_works():
    torch.manual_seed(0)
    policy = CandidateActorCritic(n_features=5, hidden=16)
    for k in (3, 9):
        mask = torch.rand(64, k) < 0.4
        mask[:, 0] = True
        dist, value = policy(Observation(torch.randn(64, k, 5), mask))
        assert value.shape == (64,)
        assert bool(mask.gather(1, dist.sample()[:, None]).all())
        assert float(dist.probs.detach()[~mask].max()) == 0.0


def test_set_autoregressive_joint_probabilities_sum_to_one_at_any_size_and_masked_candidates_take_zero():
    torch.manual_seed(1)
    head = SetAutoregressiveHead(embedding=4, context=6, n_actions=3, hidden=8)
    for m in (2, 4):
        embedded, context = torch.randn(2, m, 4), torch.randn(2, 6)
        mask = torch.ones(2, m, dtype=torch.bool)
        mask[1, 0] = False  # the second row's first candidate is left out
        joint = list(itertools.product(range(3), repeat=m))
        n = len(joint)
        actions = torch.tensor(joint).repeat_interleave(2, 0)
        chosen, log_prob, _ = head(embedded.repeat(n, 1, 1), context.repeat(n, 1), mask.repeat(n, 1), actions)
        probs = log_prob.exp().view(n, 2)
        # the left-out candidate's sub-action is forced to 0 and carries no probability: row 1 sums to 3 (its choices)
        torch.testing.assert_close(probs.sum(0), torch.tensor([1.0, 3.0]))
        assert bool((chosen.view(n, 2, m)[:, 1, 0] == 0).all())
        sampled, sampled_log_prob, entropy = head(embedded, context, mask)
        _, again, _ = head(embedded, context, mask, sampled)
        torch.testing.assert_close(sampled_log_prob, again)
        assert int(sampled[1, 0]) == 0 and bool((entropy > 0).all())
