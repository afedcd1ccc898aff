"""The array fast paths of the loader equal the exact record-by-record and cell-by-cell code."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from cohort.errors import LoadError
from cohort.io import checks, normalise
from cohort.io.validation import _clashing_values, _id_key

CELLS = ["", "x", " ", "\u00e9", "\u00a0", "1.5", '"a,b"', '"x\ny"', '""', '"q""q"', '" "', "\t"]


def _exact(text: str, sep: str, skip: int, header: list[str]):
    try:
        return ("ok", checks._scan_records_exact(text, sep, skip, header, "f.csv", None))
    except LoadError as exc:
        return ("error", str(exc))


def _random_text(rng: random.Random) -> tuple[str, str, int, list[str]]:
    sep = rng.choice([",", ";", "\t"])
    header = [f"h{i}" for i in range(rng.randint(1, 4))]
    rows = []
    for _ in range(rng.randint(0, 5)):
        n = len(header) if rng.random() < 0.8 else rng.randint(1, 5)
        rows.append(sep.join(rng.choice(CELLS) for _ in range(n)))
        if rng.random() < 0.2:
            rows.append(rng.choice(["", " ", sep * (len(header) - 1)]))
    newline = rng.choice(["\n", "\r\n"])
    skip = rng.choice([0, 0, 1])
    text = ("# comment\n" if skip else "") + sep.join(header) + newline + newline.join(rows)
    return text + rng.choice(["", newline]), sep, skip, header


def test_fast_record_check_equals_the_csv_reader_pass():
    """Line numbers (quoted line breaks, CRLF, blank rows, a MAF comment) equal csv.reader's; a
    problem the fast path finds (or cannot decide) goes to the exact pass for its message."""
    rng = random.Random(2026)
    decided = 0
    for _ in range(3000):
        text, sep, skip, header = _random_text(rng)
        exact = _exact(text, sep, skip, header)
        fast = checks._fast_lines(text, sep, skip, len(header))
        if fast is not None:
            decided += 1
            assert exact == ("ok", fast), repr(text)
        try:
            got = ("ok", checks.scan_records(text, sep, skip, header, "f.csv", None))
        except LoadError as exc:
            got = ("error", str(exc))
        assert got == exact, repr(text)
    assert decided > 1500  # the fast path decides most files, not only the trivial ones


@pytest.mark.parametrize(
    "text, lines",
    [
        ("a,b\n1,2\n3,4\n", [2, 3]),
        ('a,b\n"x\ny",2\n3,4', [2, 4]),  # a quoted line break: the next row is file line 4
        ("a,b\r\n1,2\r\n\r\n3,4\r\n", [2, 4]),  # a blank line is skipped, not counted as a row
        ("a,b\n1,2\n,\n", [2, 3]),  # a row of bare separators is a row (validation names it)
        ('a,b\n"1,5",2\n"""q""",3\n', [2, 3]),
    ],
)
def test_fast_record_check_line_numbers(text, lines):
    assert checks._fast_lines(text, ",", 0, 2) == lines


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2,3\n",  # too many fields
        "a,b\n1\n",  # too few
        "a,b\n1,\x002\n",  # a NUL
        'a,b\n1,"2\n',  # an unclosed quote
        'a,b\n1,x"y"\n',  # a quote inside an unquoted cell
        "a,b\n1,2\r3,4\n",  # a lone carriage return
    ],
)
def test_fast_record_check_leaves_problems_to_the_exact_pass(text):
    assert checks._fast_lines(text, ",", 0, 2) is None


def test_clashing_identifiers_equal_the_nfkc_keys():
    """The ASCII shortcut gives the same near-duplicate groups as NFKC + casefold on every value."""
    rng = random.Random(7)
    alphabet = ["a", "A", "b", " ", "\t", "\x1c", "\u200b", "\u00e9", "e\u0301", "\ufb01", "fi"]
    alphabet += ["1", "\u00a0", "K", "\u212a"]
    for _ in range(2000):
        values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3))) for _ in range(6)]
        groups: dict[str, set[str]] = {}
        for v in set(values):
            groups.setdefault(_id_key(v), set()).add(v)
        expected = {v for g in groups.values() if len(g) > 1 for v in g}
        assert _clashing_values(np.array(values, dtype=object)) == expected


def test_typed_normalisers_equal_the_cell_by_cell_reading():
    """Boolean and numeric columns built from the distinct values equal the per-cell results."""
    ctx = normalise.Context(rows=list(range(8)))
    flags = pd.Series(["yes", "NO", "", "mut", "yes", "n.d.", "wt", "1"], dtype=object)
    got = normalise.normalise_boolean(flags, "npm1", ctx)
    expected = [True, False, pd.NA, True, True, pd.NA, False, True]
    pd.testing.assert_series_equal(got, pd.Series(expected, dtype="boolean"))
    times = pd.Series(["1.5", "NA", "3", "", "1.5", "x", "2.0", "7"], dtype=object)
    got = normalise.normalise_number(times, "os_days", ctx)
    expected = [1.5, pd.NA, 3.0, pd.NA, 1.5, pd.NA, 2.0, 7.0]
    pd.testing.assert_series_equal(got, pd.Series(expected, dtype="Float64"))
    assert [p.value for _, p in ctx.problems] == ["x"]
