"""Solvers: the HiGHS runner every exact method uses, enumeration, heuristics, learned policies."""
