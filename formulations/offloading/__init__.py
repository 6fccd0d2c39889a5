"""Exact and relaxed models of the offloading family (see docs/families/offloading.md)."""
