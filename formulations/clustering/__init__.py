"""Exact and relaxed models of the clustering family (see docs/families/clustering.md)."""
