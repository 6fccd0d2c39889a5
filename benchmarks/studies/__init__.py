"""Side studies run from benchmarks/ (not part of the installed package); tests import them through pytest's ``pythonpath``."""
