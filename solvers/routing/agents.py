"""``stper``, ``stper-l``, ``stper-m``: STPer's PPO agent and its two ablations for the ``routing`` family.

STPer (the paper's Section IV): a GCN over the task demand on the topology (Eq. 16–17),
LSTMs over the recent electricity price, hydropower and demand series (Eq. 18–20), their
outputs concatenated and fused by an MLP, trained by PPO. Here the actor scores every node
of the topology as the current task's destination (a masked categorical per task; the
environment asks for one task after another, so the joint action is autoregressive over
the tasks), the routing of the chosen destination is the fast scheduler (fastest path +
first-fit slots, :mod:`cpnopt.problems.routing.env`), and the reward is the evaluator's profit
(Eq. 15). Ablations, as in the paper: ``stper-l`` drops the GNN (the node features go
through the shared MLP only, the LSTM stays), ``stper-m`` drops the GNN and the LSTM (the
same series window, flattened, goes through an MLP). All three read the same observation.

Any node count: no weight depends on it. The node features and the adjacency Â (B, K, K)
are cut out of the observation by :func:`~cpnopt.problems.routing.env.split_features`, the GCN
multiplies by Â, the LSTM summarises each instance's own window, and the actor scores every
node with one shared head from its fused embedding (node, neighbourhood and series parts),
the critic reads the masked mean and max (:class:`~cpnopt.solvers.rl.networks.CandidateActorCritic`).

At solve time the policy acts greedily; option ``refine=True`` then runs fp-qt
(Eq. 22 alternated with the slot MILP) from the agent's destinations and schedule, which
never lowers the profit. Training instances: the generator's defaults (10 compute nodes,
4 routers, 5 users, 2 frames: a 14-node Gabriel graph) with seeds ≥ 10⁶; the trained policy
serves any node count (docs/learned.md has its gap at 10–50 nodes and on SNDlib graphs).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import torch
from torch import nn

from cpnopt.formulations.routing.fpqt import fp_qt
from cpnopt.problems.routing import RoutingInstance, RoutingParams, generate
from cpnopt.problems.routing.env import N_NODE_FEATURES, N_SERIES, WINDOW, BatchedRoutingEnv, split_features
from cpnopt.rl_env import sample_instance
from cpnopt.solution import MethodOutput
from cpnopt.solvers.rl.networks import CandidateActorCritic, mlp
from cpnopt.solvers.rl.sb3_ppo import register_sb3_ppo
from cpnopt.solvers.rl.serving import AgentSpec, ServingOptions, register_agent, solve_greedily


class STPerEncoder(nn.Module):
    """GCN (Eq. 16–17) + LSTM (Eq. 18–20) + MLP fusion: one embedding per node; ``gcn``/``lstm`` off give the ablations.

    The observation's features (B, N, F) are split into node features (B, N, 11), the
    normalised adjacency Â (B, N, N) and each instance's series window (B, W·3)
    (:func:`~cpnopt.problems.routing.env.split_features`; any N). Node embedding: MLP(x_n); with ``gcn`` also two graph convolutions
    H⁽ˡ⁺¹⁾ = tanh(Â H⁽ˡ⁾ W⁽ˡ⁾) from H⁽⁰⁾ = x. Series embedding: the last hidden state of an
    LSTM over the W frames with ``lstm``, else an MLP of the flattened window. Fusion: an MLP
    of [node embedding, graph embedding, series embedding] per node.
    """

    def __init__(self, hidden: int, gcn: bool, lstm: bool) -> None:
        super().__init__()
        self.gcn, self.lstm = gcn, lstm
        self.local = nn.Sequential(mlp([N_NODE_FEATURES, hidden, hidden]), nn.Tanh())
        if gcn:
            self.graph_layers = nn.ModuleList([nn.Linear(N_NODE_FEATURES, hidden), nn.Linear(hidden, hidden)])
        if lstm:
            self.series = nn.LSTM(N_SERIES, hidden, batch_first=True)
        else:
            self.series = nn.Sequential(mlp([N_SERIES * WINDOW, hidden, hidden]), nn.Tanh())
        self.fuse = nn.Sequential(mlp([hidden * (3 if gcn else 2), hidden, hidden]), nn.Tanh())

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x, adjacency, window = split_features(features)
        parts = [self.local(x)]
        if self.gcn:
            h = x
            for layer in self.graph_layers:
                h = torch.tanh(adjacency @ layer(h))  # Eq. (16–17): Â H W
            parts.append(h)
        if self.lstm:
            _, (last, _) = self.series(window.reshape(-1, WINDOW, N_SERIES))
            series = last[-1]
        else:
            series = self.series(window)
        parts.append(series[:, None, :].expand(-1, x.shape[1], -1))
        return self.fuse(torch.cat(parts, dim=-1))  # (B, N, H)


class STPerActorCritic(CandidateActorCritic):
    """:class:`STPerEncoder` in place of the per-candidate MLP: the actor scores each node's fused
    embedding (masked categorical), the critic reads their masked mean and max; any node count."""

    def __init__(self, hidden: int = 32, gcn: bool = True, lstm: bool = True) -> None:
        super().__init__(N_NODE_FEATURES, hidden)
        self.encoder = STPerEncoder(hidden, gcn, lstm)


def _make_env(device: torch.device) -> BatchedRoutingEnv:
    """Any node count (one per batch: training draws 14-node instances, serving copies of one instance)."""
    return BatchedRoutingEnv(None, device)


PPO_CONFIG = {"n_envs": 16, "n_steps": 20, "learning_rate": 3e-4, "epochs": 4, "minibatches": 4, "ent_coef": 0.01}


def _spec(method: str, gcn: bool, lstm: bool) -> AgentSpec:
    return AgentSpec(
        family="routing",
        method=method,
        algorithm="ppo",
        make_env=_make_env,
        sample=partial(sample_instance, generate, RoutingParams()),
        make_policy=STPerActorCritic,
        policy_kwargs={"hidden": 32, "gcn": gcn, "lstm": lstm},
        config=PPO_CONFIG,
    )


def solve_with(spec: AgentSpec, instance: RoutingInstance, serving: ServingOptions, refine: bool) -> MethodOutput:
    """The policy's destinations (greedy, or the best of ``samples`` rollouts), routed by the fast scheduler;
    with ``refine``, fp-qt from there."""
    out = solve_greedily(spec, instance, serving)
    info = {**out.info, "refine": refine}
    if not refine:
        return replace(out, info=info)
    decision, history = fp_qt(instance, [r.destination for r in out.decision.routes], out.decision)
    return replace(out, decision=decision, info={**info, "history": history})


STPER = _spec("stper", gcn=True, lstm=True)
STPER_L = _spec("stper-l", gcn=False, lstm=True)
STPER_M = _spec("stper-m", gcn=False, lstm=False)


@register_agent(
    STPER,
    description="STPer: PPO, GCN over task demand (Eq. 16–17) + LSTM over price/hydro/demand "
    "(Eq. 18–20), MLP fusion; fast scheduler routes; bundled checkpoint",
)
def stper(instance: RoutingInstance, serving: ServingOptions, refine: bool = False) -> MethodOutput:
    """``refine``: fp-qt afterwards; the other options are :class:`~cpnopt.solvers.rl.serving.ServingOptions`."""
    return solve_with(STPER, instance, serving, refine)


@register_agent(
    STPER_L, description="STPer-L ablation: no GNN (LSTM + MLP), PPO; fast scheduler routes; bundled checkpoint"
)
def stper_l(instance: RoutingInstance, serving: ServingOptions, refine: bool = False) -> MethodOutput:
    """``refine``: fp-qt afterwards; the other options are :class:`~cpnopt.solvers.rl.serving.ServingOptions`."""
    return solve_with(STPER_L, instance, serving, refine)


@register_agent(
    STPER_M, description="STPer-M ablation: no GNN, no LSTM (MLP only), PPO; fast scheduler routes; bundled checkpoint"
)
def stper_m(instance: RoutingInstance, serving: ServingOptions, refine: bool = False) -> MethodOutput:
    """``refine``: fp-qt afterwards; the other options are :class:`~cpnopt.solvers.rl.serving.ServingOptions`."""
    return solve_with(STPER_M, instance, serving, refine)


register_sb3_ppo("routing")  # the off-the-shelf MaskablePPO beside the paper's agent(s)
