"""Brute force, heuristics and learned agents of the placement family (see docs/families/placement.md)."""
