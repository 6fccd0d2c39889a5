"""cpnopt: exact formulations, heuristics and benchmarks for computing-power-network scheduling."""

from cpnopt.api import evaluate, generate, solve
from cpnopt.errors import InputError
from cpnopt.gym_registration import install as _install_gym_ids
from cpnopt.registry import families, get_family, methods
from cpnopt.solution import Evaluation, Report, Solution, Status

__all__ = [
    "Evaluation",
    "InputError",
    "Report",
    "Solution",
    "Status",
    "evaluate",
    "families",
    "generate",
    "get_family",
    "methods",
    "solve",
]
__version__ = "0.1.0"

_install_gym_ids()  # the Gymnasium ids cpnopt/<Family>-v0, registered once Gymnasium is imported
