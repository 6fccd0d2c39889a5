"""Brute force, heuristics and learned agents of the routing family (see docs/families/routing.md)."""
