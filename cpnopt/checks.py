"""One-line input checks shared by the instance validators: each raises an InputError naming the field.

The ranges every family documents (docs/families/*.md) start from these two bounds:
every number read must be finite with magnitude at most ``MAX_MAGNITUDE`` (``cpnopt.jsonio``
checks this for every file it reads), and every quantity that must be positive (a power, a
bandwidth, a deadline, a price, a frequency) lies in [``MIN_POSITIVE``, ``MAX_MAGNITUDE``].
Products and quotients of a few such numbers stay far from overflow and underflow, so
every objective a family computes from them is finite.
"""

from __future__ import annotations

import math

from cpnopt.errors import InputError

MAX_MAGNITUDE = 1e12
MIN_POSITIVE = 1e-9


def finite(name: str, value: float) -> None:
    if not (math.isfinite(value) and abs(value) <= MAX_MAGNITUDE):
        raise InputError(name, value, f"must be a finite number in [-{MAX_MAGNITUDE:.0e}, {MAX_MAGNITUDE:.0e}]")


def positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and MIN_POSITIVE <= value <= MAX_MAGNITUDE):
        raise InputError(name, value, f"must be a positive number in [{MIN_POSITIVE:.0e}, {MAX_MAGNITUDE:.0e}]")


def nonnegative(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0 <= value <= MAX_MAGNITUDE):
        raise InputError(name, value, f"must be a number in [0, {MAX_MAGNITUDE:.0e}]")


def count(name: str, value: int, low: int, high: int) -> None:
    """An integer size in [low, high] (the high end keeps memory bounded)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(name, value, f"must be an integer in [{low}, {high}]")
