"""Latency predictors for the offloading family's TSFT study (RLMS-CPN Sec. 3.3, Table 5).

- :mod:`.baselines`: the FLOPS-based predictor (a·FLOPs + b per device) and the layer-wise
  predictor (Σ of the operations' isolated latencies + a fitted offset).
- :mod:`.tsft`: TSFT — a PyTorch base model trained on many devices, stage-1 fine-tuning on a
  few labelled samples of a new device, stage-2 fine-tuning with pseudo-labels.
- :mod:`.study`: the Table-5 study (held-out devices × predictors; MSE, MAPE, Spearman ρ),
  on the device simulator of :mod:`studies.tsft.measured` or on a measured table.
"""
