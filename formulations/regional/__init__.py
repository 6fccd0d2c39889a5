"""Exact and relaxed models of the regional family (see docs/families/regional.md)."""
