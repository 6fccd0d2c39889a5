"""Learned schedulers: networks, A2C/PPO, training, bundled checkpoints (being built)."""
