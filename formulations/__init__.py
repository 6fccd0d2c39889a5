"""Exact and relaxed models, one subpackage per family, each solved through :mod:`cpnopt.solvers.highs`;
:mod:`.common` holds the encodings two families share and the one exact-method ending."""
