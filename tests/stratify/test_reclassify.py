"""reclassify: cross-tables between two classifications on a small hand-built table."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cohort.errors import ClassificationError
from cohort.stratify.reclassify import Reclassification, reclassify


@pytest.fixture
def table() -> pd.DataFrame:
    # 10 patients; counted by hand:
    #   fav->fav 3, fav->int 1, int->int 2, int->adv 1, adv->adv 1, fav->undetermined 1,
    #   undetermined->adv 1
    old = ["fav", "fav", "fav", "fav", "int", "int", "int", "adv", "fav", None]
    new = ["fav", "fav", "fav", "int", "int", "int", "adv", "adv", None, "adv"]
    return pd.DataFrame(
        {"eln_a": pd.array(old, dtype="string"), "eln_b": pd.array(new, dtype="string")},
        index=[f"r{i}" for i in range(10)],
    )


def test_counts_row_percent_and_moved(table):
    res = reclassify(table, "eln_a", "eln_b")
    assert isinstance(res, Reclassification)
    assert list(res.counts.index) == ["adv", "fav", "int", "undetermined"]
    assert list(res.counts.columns) == ["adv", "fav", "int", "undetermined"]
    expected = pd.DataFrame(
        [[1, 0, 0, 0], [0, 3, 1, 1], [1, 0, 2, 0], [1, 0, 0, 0]],
        index=res.counts.index,
        columns=res.counts.columns,
    )
    assert (res.counts.to_numpy() == expected.to_numpy()).all()
    assert res.counts.to_numpy().sum() == 10
    assert res.row_percent.loc["fav", "fav"] == pytest.approx(60.0)
    assert res.row_percent.loc["int", "adv"] == pytest.approx(100 / 3)
    np.testing.assert_allclose(res.row_percent.sum(axis=1), 100.0)
    assert res.n_compared == 8
    assert res.n_moved == 2
    assert res.fraction_moved == pytest.approx(0.25)
    assert res.percent_moved == pytest.approx(25.0)


def test_per_patient(table):
    res = reclassify(table, "eln_a", "eln_b")
    pp = res.per_patient
    assert list(pp.columns) == ["from", "to", "moved"]
    assert list(pp.index) == list(table.index)
    assert pp.loc["r3", "moved"] and not pp.loc["r0", "moved"]
    assert pd.isna(pp.loc["r8", "moved"]) and pd.isna(pp.loc["r9", "moved"])
    assert "patient_id" not in pp.columns


def test_frozen_and_printable(table):
    res = reclassify(table, "eln_a", "eln_b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n_moved = 0
    assert "2 of 8" in str(res)


def test_categorical_column_keeps_its_order(table):
    table["eln_a"] = pd.Categorical(table["eln_a"], categories=["fav", "int", "adv"])
    res = reclassify(table, "eln_a", "eln_b")
    assert list(res.counts.index) == ["fav", "int", "adv", "undetermined"]


def test_nobody_comparable():
    frame = pd.DataFrame(
        {"a": pd.array([None, "x"], dtype="string"), "b": pd.array(["y", None], dtype="string")}
    )
    res = reclassify(frame, "a", "b")
    assert res.n_compared == 0 and np.isnan(res.fraction_moved)


def test_options_refused_for_columns(table):
    with pytest.raises(ClassificationError, match="column"):
        reclassify(table, "eln_a", "eln_b", from_options={"x": 1})


def test_system_names_through_registry():
    stratify = pytest.importorskip("cohort.stratify")
    if not hasattr(stratify, "classify"):
        pytest.skip("registry not yet written")
    frame = pd.DataFrame(
        {
            "npm1": pd.array([True, True, False], dtype="boolean"),
            "bm_blasts_pct": pd.array([15.0, 50.0, 50.0], dtype="Float64"),
            "aml_type": pd.array(["de_novo"] * 3, dtype="string"),
        }
    )
    for flag in ("t_8_21", "inv_16", "t_15_17", "t_9_11", "kmt2a_r", "t_6_9", "inv_3", "t_9_22"):
        frame[flag] = pd.array([False] * 3, dtype="boolean")
    res = reclassify(frame, "who2017", "icc2022")
    # 15% blasts: below the WHO 2016 threshold, AML with mutated NPM1 under ICC (>= 10%).
    assert res.n_moved == 1 and res.n_compared == 3
    assert res.per_patient["moved"].tolist() == [True, False, False]


def test_public_entry_point(table):
    import cohort

    assert cohort.reclassify(table, "eln_a", "eln_b").n_moved == 2


def test_registry_results_keep_system_category_order():
    stratify = pytest.importorskip("cohort.stratify")
    if not hasattr(stratify, "classify"):
        pytest.skip("registry not yet written")
    frame = pd.DataFrame(
        {
            "npm1": pd.array([True, False], dtype="boolean"),
            "bm_blasts_pct": pd.array([50.0, 50.0], dtype="Float64"),
        }
    )
    for flag in ("t_8_21", "inv_16", "t_15_17", "t_9_11", "kmt2a_r", "t_6_9", "inv_3", "t_9_22"):
        frame[flag] = pd.array([False, False], dtype="boolean")
    res = reclassify(frame, "who2022", "who2022")
    assert list(res.counts.index) == [
        "AML with mutated NPM1",
        "not NPM1-mutated AML",
        "undetermined",
    ]
