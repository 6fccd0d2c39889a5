"""Seeded mutation fuzzing of every family's files through the command line (issue 13, part 3).

Every mutant of an instance or a solution file must end with one ``error:`` line and exit 2,
or be accepted with finite objectives that the evaluator confirms: never a traceback, never a hang.
"""

from __future__ import annotations

import pytest

from tests.fuzzing import FAST, fuzz

SAMPLE = 15
MUTANTS = 220


@pytest.mark.parametrize("family", sorted(FAST))
def test_fuzz_sample(tmp_path, family):
    counts = fuzz(family, tmp_path, range(SAMPLE))
    assert sum(counts.values()) == SAMPLE


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(FAST))
def test_fuzz_full(tmp_path, family):
    counts = fuzz(family, tmp_path, range(MUTANTS))
    print(f"\nfuzz {family}: {MUTANTS} mutants: {dict(counts)}")
    assert sum(counts.values()) == MUTANTS
