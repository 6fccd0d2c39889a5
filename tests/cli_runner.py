"""Run ``cpnopt.cli.main`` in-process and collect what a user would see."""

from __future__ import annotations

import contextlib
import io
import signal
from dataclasses import dataclass

from cpnopt.cli import main


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


class Hang(Exception):
    """The command ran past its time budget."""


def run_cli(argv: list[str], timeout_s: int = 60) -> CliResult:
    """``cpnopt argv`` in this process; any exception other than SystemExit (a traceback for the
    user) propagates, and so does :class:`Hang` after ``timeout_s`` seconds."""
    out, err = io.StringIO(), io.StringIO()

    def alarm(*_: object) -> None:
        raise Hang(f"cpnopt {' '.join(argv)} ran past {timeout_s} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(timeout_s)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return CliResult(code, out.getvalue(), err.getvalue())


def assert_one_line_error(result: CliResult, *fragments: str) -> None:
    """Exit 2 with exactly one ``error:`` line on stderr naming every fragment."""
    lines = result.stderr.strip().splitlines()
    assert result.code == 2, result
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
