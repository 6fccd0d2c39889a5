"""File names for ``write_model`` when a method solves several models (one per frame, per iteration)."""

from __future__ import annotations

from pathlib import Path


def part_path(path: str | None, part: str, index: int, count: int) -> str | None:
    """``path`` for the only model, else ``stem.<part><index>.suffix`` (``m.lp`` → ``m.iteration3.lp``)."""
    if path is None or count == 1:
        return path
    p = Path(path)
    return str(p.with_name(f"{p.stem}.{part}{index}{p.suffix}"))
