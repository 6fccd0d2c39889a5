"""Exact formulations, one module per family, each solved by :mod:`cpnopt.solvers.highs`."""
