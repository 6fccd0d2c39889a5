"""Exact and relaxed models of the offloading family: ``oracle`` and ``milp`` (milp.py), the sequence
optimum ``seq-opt`` (sequence.py); see docs/families/offloading.md."""
