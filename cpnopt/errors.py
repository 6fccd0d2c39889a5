"""Errors a user can act on.

Every problem with the input is an :class:`InputError` that names the offending field
and value, so the CLI can print it as one line and exit with code 2.
"""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Bad input: an unknown field, a wrong type, an out-of-range value, an unknown name."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: {reason} (got {value!r})")
