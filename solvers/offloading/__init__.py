"""Brute force, heuristics and learned agents of the offloading family (see docs/families/offloading.md)."""
