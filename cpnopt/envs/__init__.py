"""Gymnasium environments, one per family (being built)."""
