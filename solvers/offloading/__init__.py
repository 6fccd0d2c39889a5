"""Heuristics and learned agents of the offloading family (see docs/families/offloading.md).

No ``enumerate.py``: a decision holds continuous path splits, so there is no finite set to
enumerate; ``seq-opt`` (the exact sequence optimum), ``oracle`` and ``milp`` (cpnopt.formulations.offloading)
are the references."""
