"""The papers' heuristics and baselines, one module per family."""
