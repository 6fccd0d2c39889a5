"""Solvers: the HiGHS runner every exact method uses (:mod:`.highs`), one subpackage per family
(``enumerate``, ``heuristics``, ``agents``) and the family-free RL algorithms (:mod:`.rl`)."""
