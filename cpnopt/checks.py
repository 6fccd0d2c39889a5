"""One-line input checks shared by the instance validators: each raises an InputError naming the field."""

from __future__ import annotations

import math

from cpnopt.errors import InputError


def finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise InputError(name, value, "must be a finite number")


def positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InputError(name, value, "must be a positive number")


def nonnegative(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise InputError(name, value, "must be ≥ 0")
