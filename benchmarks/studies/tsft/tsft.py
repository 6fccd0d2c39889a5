"""TSFT: a two-stage fine-tuned latency predictor (RLMS-CPN Sec. 3.3, Table 5).

- **Architecture encoding**: the NAS-Bench-201 cell's operation matrix restricted to its 6
  edges i→j (i < j), one-hot over the 5 operations: 30 inputs (the adjacency is implied —
  an edge carries ``none`` or not).
- **Device representation** (documented choice): a HELP-style hardware fingerprint — the
  log-latencies of ``n_reference`` fixed reference architectures measured on the device. Unlike a
  learned embedding table it exists for a new device without retraining anything; the
  reference architectures are the first ``n_reference`` of the device's labelled samples, so
  they count against the labelled budget (50 in Table 5). The fingerprint enters the MLP
  centred on its mean, and the network predicts log-latency relative to that mean
  (:class:`LatencyNet`), so one model covers devices whose latencies differ by orders of
  magnitude.
- **Base model**: trained on every labelled (architecture, device) pair of the training
  devices (18 in the study), MSE on log-latency, Adam.
- **Stage 1**: fine-tune all weights of the base model on the new device's labelled samples
  (full batch, ``finetune_steps`` Adam steps).
- **Stage 2**: the stage-1 model pseudo-labels a pool of unlabelled architectures; a
  confidence filter keeps the ``keep_fraction`` with the least disagreement among an
  ensemble (the stage-1 model plus ``ensemble`` fine-tunes on bootstrap resamples of the
  labelled samples); then fine-tune the stage-1 model on labelled + kept pseudo-labelled
  samples, the latter weighted ``pseudo_weight``. The pseudo-labels are the stage-1 model's
  predictions, never the truth.

Deterministic given ``seed`` on the CPU (``torch.manual_seed`` and seeded index draws).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from cpnopt.errors import InputError
from cpnopt.problems.offloading.latency import CELL_NODES, OPERATIONS, Cell
from cpnopt.solvers.rl.networks import mlp

EDGES = tuple((i, j) for j in range(1, CELL_NODES) for i in range(j))


def encode_cells(cells: list[Cell] | tuple[Cell, ...]) -> np.ndarray:
    """One-hot operation of each of the 6 edges: (n, 6 × 5) float32."""
    codes = np.array([[OPERATIONS.index(cell.operations[i][j]) for i, j in EDGES] for cell in cells], dtype=int)
    return np.eye(len(OPERATIONS), dtype=np.float32)[codes].reshape(len(cells), -1)


@dataclass(frozen=True)
class TSFTConfig:
    n_reference: int = 10
    hidden: int = 128
    base_epochs: int = 40
    batch_size: int = 256
    lr: float = 1e-3
    finetune_steps: int = 150
    finetune_lr: float = 3e-4
    ensemble: int = 4
    keep_fraction: float = 0.5
    pseudo_weight: float = 0.5

    def __post_init__(self) -> None:
        for name in ("n_reference", "hidden", "base_epochs", "batch_size", "finetune_steps"):
            if getattr(self, name) < 1:
                raise InputError(f"tsft.{name}", getattr(self, name), "must be ≥ 1")
        if not 0 < self.keep_fraction <= 1:
            raise InputError("tsft.keep_fraction", self.keep_fraction, "must be in (0, 1]")
        if self.ensemble < 1:
            raise InputError("tsft.ensemble", self.ensemble, "must be ≥ 1 (the confidence filter needs a spread)")


class LatencyNet(nn.Module):
    """log-latency = mean(fingerprint) + MLP(architecture one-hot, fingerprint − its mean)."""

    def __init__(self, n_arch: int, n_reference: int, hidden: int) -> None:
        super().__init__()
        self.body = mlp([n_arch + n_reference, hidden, hidden, hidden, 1], activation=nn.ReLU, last_gain=0.01)

    def forward(self, arch: torch.Tensor, fingerprint: torch.Tensor) -> torch.Tensor:
        scale = fingerprint.mean(-1, keepdim=True)
        return scale.squeeze(-1) + self.body(torch.cat([arch, fingerprint - scale], dim=-1)).squeeze(-1)


def _tensor(values: np.ndarray, device: str) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=np.float32), device=device)


def train_base(
    arch: np.ndarray, log_latency: np.ndarray, config: TSFTConfig, seed: int, device: str = "cpu", progress: bool = True
) -> LatencyNet:
    """The base model on training devices: ``log_latency[a, d]`` of architecture ``arch[a]`` on device d;
    the first ``config.n_reference`` architectures are the references (each device's fingerprint)."""
    n_arch, n_devices = log_latency.shape
    if n_arch <= config.n_reference or n_devices < 1:
        raise InputError(
            "training_table", log_latency.shape, f"needs > {config.n_reference} architectures and ≥ 1 device"
        )
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = LatencyNet(arch.shape[1], config.n_reference, config.hidden).to(device)
    x, y = _tensor(arch, device), _tensor(log_latency, device)
    fingerprints = y[: config.n_reference].T  # (devices, references)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    pairs = np.array([(a, d) for a in range(n_arch) for d in range(n_devices)])
    for _ in tqdm(range(config.base_epochs), desc="TSFT base model", unit="epoch", disable=not progress, leave=False):
        for batch in np.array_split(rng.permutation(len(pairs)), math.ceil(len(pairs) / config.batch_size)):
            a, d = (torch.as_tensor(v, device=device) for v in pairs[batch].T)
            loss = nn.functional.mse_loss(model(x[a], fingerprints[d]), y[a, d])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def fine_tune(
    model: LatencyNet,
    arch: np.ndarray,
    log_latency: np.ndarray,
    fingerprint: np.ndarray,
    config: TSFTConfig,
    seed: int,
    weights: np.ndarray | None = None,
) -> LatencyNet:
    """A copy of ``model`` trained further on one device's samples (full batch, weighted MSE on log-latency)."""
    torch.manual_seed(seed)
    tuned = copy.deepcopy(model).train()
    device = next(tuned.parameters()).device.type
    x, y = _tensor(arch, device), _tensor(log_latency, device)
    fp = _tensor(fingerprint, device).expand(len(x), -1)
    w = _tensor(np.ones(len(x)) if weights is None else weights, device)
    optimizer = torch.optim.Adam(tuned.parameters(), lr=config.finetune_lr)
    for _ in range(config.finetune_steps):
        loss = (w * (tuned(x, fp) - y) ** 2).sum() / w.sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return tuned.eval()


def predict(model: LatencyNet, arch: np.ndarray, fingerprint: np.ndarray) -> np.ndarray:
    """Predicted log-latency of every architecture of ``arch`` on the device with ``fingerprint``."""
    device = next(model.parameters()).device.type
    with torch.no_grad():
        x = _tensor(arch, device)
        return model(x, _tensor(fingerprint, device).expand(len(x), -1)).cpu().numpy().astype(float)


@dataclass(frozen=True)
class Adapted:
    """The two fine-tuned models of one new device and the pseudo-labels stage 2 was trained on."""

    stage1: LatencyNet
    stage2: LatencyNet
    pseudo_index: np.ndarray  # rows of the unlabelled pool that passed the confidence filter
    pseudo_log_latency: np.ndarray  # the stage-1 model's predictions for them


def adapt(
    base: LatencyNet, arch: np.ndarray, log_latency: np.ndarray, unlabelled: np.ndarray, config: TSFTConfig, seed: int
) -> Adapted:
    """Stage 1 and stage 2 on a new device; ``arch``/``log_latency`` are its labelled samples, the first
    ``config.n_reference`` of them the reference architectures; ``unlabelled`` are architectures only."""
    if len(log_latency) < config.n_reference or len(arch) != len(log_latency):
        raise InputError("n_labelled", len(log_latency), f"needs ≥ n_reference = {config.n_reference} labelled samples")
    fingerprint = log_latency[: config.n_reference]
    stage1 = fine_tune(base, arch, log_latency, fingerprint, config, seed)
    pseudo = predict(stage1, unlabelled, fingerprint)
    rng = np.random.default_rng(seed)
    members = [pseudo]
    for m in range(config.ensemble):
        sample = rng.integers(len(arch), size=len(arch))
        member = fine_tune(base, arch[sample], log_latency[sample], fingerprint, config, seed + 1 + m)
        members.append(predict(member, unlabelled, fingerprint))
    spread = np.std(members, axis=0)
    keep = np.sort(np.argsort(spread, kind="stable")[: math.ceil(config.keep_fraction * len(unlabelled))])
    weights = np.r_[np.ones(len(arch)), np.full(len(keep), config.pseudo_weight)]
    stage2 = fine_tune(
        stage1, np.r_[arch, unlabelled[keep]], np.r_[log_latency, pseudo[keep]], fingerprint, config, seed, weights
    )
    return Adapted(stage1, stage2, keep, pseudo[keep])
