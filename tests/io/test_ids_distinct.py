"""Validation skips the repeated and near-duplicate identifier checks only when normalise_text
found the identifiers distinct (Context.ids_distinct): the cohort is the same as with both checks."""

from __future__ import annotations

import random
import warnings

import pandas as pd

import cohort
import cohort.io.normalise as normalise
from cohort.errors import CohortError

POOL = [
    "P1", "p1", "P2", "P3", "NA", "na", "", " P4", "P4 ", "P\u00e9", "Pe\u0301", "P-5", "P_5",
    "unknown", "Nd", "K7", "\u212a7", "k7", "P8\u200b", "P8", "007", "7", "7.0", "X9", "x9",
]  # fmt: skip


def _outcome(frame: pd.DataFrame, *, skip_allowed: bool) -> tuple:
    original = normalise._text_column

    def never_distinct(*args, **kwargs):
        out = original(*args, **kwargs)
        args[2].ids_distinct = False  # the Context: validation checks every identifier
        return out

    if not skip_allowed:
        normalise._text_column = never_distinct
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                c = cohort.load(frame, on_error="exclude")
            except CohortError as exc:
                return ("error", str(exc))
    finally:
        normalise._text_column = original
    return (c.data, c.exclusions, c.report, [str(w.message) for w in caught])


def test_skipping_identifier_checks_changes_nothing():
    rng = random.Random(7)
    distinct_seen = 0
    for _ in range(80):
        n = rng.randint(1, 8)
        ids = rng.sample(POOL, n) if rng.random() < 0.5 else [rng.choice(POOL) for _ in range(n)]
        frame = pd.DataFrame({"patient_id": ids, "os_days": [10.0] * n, "os_event": [1] * n})
        fast = _outcome(frame, skip_allowed=True)
        full = _outcome(frame, skip_allowed=False)
        assert type(fast[0]) is type(full[0]), ids
        if isinstance(fast[0], str):
            assert fast == full, ids
            continue
        pd.testing.assert_frame_equal(fast[0], full[0])
        pd.testing.assert_frame_equal(fast[1], full[1])
        assert fast[2] == full[2], ids
        assert fast[3] == full[3], ids
        ctx = normalise.Context(rows=list(range(n)))
        normalise.normalise_text(pd.Series(ids, dtype=object), "patient_id", ctx)
        distinct_seen += ctx.ids_distinct
    assert distinct_seen >= 8  # the skip was taken often enough to be tested


def test_ids_distinct_only_for_distinct_ascii_letters_and_digits():
    def flag(ids):
        ctx = normalise.Context(rows=list(range(len(ids))))
        normalise.normalise_text(pd.Series(ids, dtype=object), "patient_id", ctx)
        return ctx.ids_distinct

    assert flag(["P1", "P2", "R000000003"])
    assert not flag(["P1", "p1"])  # equal ignoring case
    assert not flag(["P1", "P1"])
    assert not flag(["P1", "NA"])  # a missing identifier
    assert not flag(["P1", "P 2"])
    assert not flag(["P1", "P\u00e9"])  # non-ASCII: NFKC decides
    assert not flag(["P1", "\u212a7"])  # the Kelvin sign lower-cases to an ASCII "k"
