"""Exact and relaxed models of the routing family (see docs/families/routing.md)."""
