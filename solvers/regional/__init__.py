"""Brute force, heuristics and learned agents of the regional family (see docs/families/regional.md)."""
