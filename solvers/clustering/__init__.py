"""Brute force, heuristics and learned agents of the clustering family (see docs/families/clustering.md)."""
