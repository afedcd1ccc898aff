"""Count tables broke ties between equal counts by first appearance (``value_counts``), so the same
cohort with its rows shuffled gave differently ordered tables. Equal counts now follow the declared
category order, then the name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort._counts import counts_by_frequency
from cohort.stratify import category_counts

ELN = ["favorable", "intermediate", "adverse"]


def _shuffles(frame: pd.DataFrame, n: int = 8) -> list[pd.DataFrame]:
    rng = np.random.default_rng(18)
    return [frame.iloc[rng.permutation(len(frame))].reset_index(drop=True) for _ in range(n)]


def _result(counts: dict[str | None, int]) -> pd.DataFrame:
    labels = [k for k, n in counts.items() for _ in range(n)]
    return pd.DataFrame(
        {
            "patient_id": [f"P{i:03d}" for i in range(len(labels))],
            "category": pd.Categorical(labels, categories=ELN),
        }
    )


def test_category_counts_are_identical_under_row_shuffles():
    result = _result({"adverse": 4, "favorable": 4, None: 4, "intermediate": 2})
    tables = [category_counts(r) for r in _shuffles(result)]
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0])
    # equal counts in the system's declared order, undetermined after the declared categories
    assert tables[0]["category"].tolist() == [
        "favorable",
        "adverse",
        "undetermined",
        "intermediate",
    ]
    assert tables[0]["n"].tolist() == [4, 4, 4, 2]
    assert tables[0]["percent"].sum() == pytest.approx(100)


def test_category_counts_of_text_categories_fall_back_to_names():
    result = pd.DataFrame({"category": ["b", "c", "a", "c", "a", "b", None]})
    tables = [category_counts(r) for r in _shuffles(result)]
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0])
    assert tables[0]["category"].tolist() == ["a", "b", "c", "undetermined"]


def test_counts_by_frequency_keeps_counts_and_orders_ties():
    values = pd.Series(["x", "y", "z", "y", "x", "w"], name="reason")
    got = counts_by_frequency(values)
    pd.testing.assert_series_equal(got.sort_index(), values.value_counts().sort_index())
    assert got.index.tolist() == ["x", "y", "w", "z"]
    assert got.name == "count" and got.index.name == "reason"
    assert counts_by_frequency(values, order=["y", "z"]).index.tolist() == ["y", "x", "z", "w"]
    for shuffled in _shuffles(values.to_frame()):
        pd.testing.assert_series_equal(counts_by_frequency(shuffled["reason"]), got)


def test_counts_by_frequency_uses_categorical_order_and_skips_absent_levels():
    values = pd.Series(pd.Categorical(["adverse", "favorable", None], categories=ELN))
    got = counts_by_frequency(values)
    assert got.index.tolist() == ["favorable", "adverse"]  # intermediate absent, NaN not counted
    assert got.tolist() == [1, 1]
    assert counts_by_frequency(pd.Series([], dtype=object)).empty
