"""Exact and relaxed models of the placement family (see docs/families/placement.md)."""
