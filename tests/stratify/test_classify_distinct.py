"""Classification by distinct input patterns gives what classifying every row gives.

The engine (:func:`cohort.stratify.walk.run`) refines the undetermined patients once per distinct
pattern of the columns the system reads, then broadcasts the result back. These tests check that
this changes nothing: against the refinement of every row (exactly: values, dtypes, categories),
against each distinct row classified alone, and that no column outside the grouping key matters.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.stratify import SYSTEMS, walk
from cohort.stratify.inputs import Inputs

RESULT = ["category", "rule", "candidates", "notes"]
KARYOTYPE_FLAGS = [
    "t_8_21", "inv_16", "t_15_17", "t_9_11", "kmt2a_r", "t_6_9", "t_9_22", "inv_3", "mecom_r",
    "t_8_16", "del_5q", "minus_7", "abn_17p", "complex_karyotype", "monosomal_karyotype",
    "normal_karyotype", "karyotype",
]  # fmt: skip


def _base(n: int, seed: int, p_missing: float = 0.25) -> pd.DataFrame:
    """Synthetic patients with random unknown cells; a third with no karyotype at all (the
    patients the split search refines)."""
    from cohort.synthetic import generate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = generate(n, seed=seed, mrd=False).data
    rng = np.random.default_rng(seed)
    for col in data.columns:
        if col != "patient_id":
            data.loc[rng.random(n) < p_missing, col] = pd.NA
    no_karyotype = rng.random(n) < 0.35
    for col in KARYOTYPE_FLAGS:
        if col in data.columns:
            data.loc[no_karyotype, col] = pd.NA
    return data


def _duplicated(base: pd.DataFrame, copies: int, seed: int) -> pd.DataFrame:
    """Every row of ``base`` ``copies`` times, shuffled, with new identifiers and index: the
    patterns repeat, the identifiers do not."""
    rng = np.random.default_rng(seed)
    positions = rng.permutation(np.repeat(np.arange(len(base)), copies))
    out = base.iloc[positions].copy()
    out["patient_id"] = pd.array([f"D{i:05d}" for i in range(len(out))], dtype="string")
    out.index = pd.RangeIndex(1000, 1000 + len(out))
    out.attrs["positions"] = positions
    return out


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return _base(24, seed=7)


@pytest.fixture(scope="module")
def repeated(base: pd.DataFrame) -> pd.DataFrame:
    return _duplicated(base, 5, seed=8)


def _classify(frame: pd.DataFrame, system: str, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cohort.classify(frame, system, **kw)


def _every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refine every undetermined row (the engine before grouping by pattern)."""
    monkeypatch.setattr(walk, "_refine_distinct", lambda *a, **k: None)


def _capped(result: pd.DataFrame) -> np.ndarray:
    return (
        result["notes"]
        .astype("string")
        .str.contains("not narrowed", regex=False)
        .to_numpy(dtype=bool, na_value=False)
    )


@pytest.mark.parametrize("system", list(SYSTEMS))
def test_duplicated_patterns_classify_as_each_row_alone(system, base, repeated):
    """120 patients made of 24 patterns: each patient gets what its pattern gets alone.

    Except the patients whose candidates the split search left wide at its node budget ("not
    narrowed" note, in either result): that budget is shared by the cohort's undetermined
    patients, so where it runs out depends on the other patients, with or without grouping
    (``test_grouping_keeps_split_order_and_budget`` checks those patients against the
    row-by-row engine)."""
    together = _classify(repeated, system, needs=False)
    alone = pd.concat([_classify(base.iloc[[i]], system, needs=False) for i in range(len(base))])
    expected = alone.iloc[repeated.attrs["positions"]]
    exact = ~(_capped(together) | _capped(expected))
    assert exact.sum() >= len(repeated) // 2
    for col in RESULT:
        got = together[col].astype("object").where(together[col].notna(), None)[exact].tolist()
        want = expected[col].astype("object").where(expected[col].notna(), None)[exact].tolist()
        assert got == want, col
    assert together.index.equals(repeated.index)
    assert together["patient_id"].tolist() == repeated["patient_id"].tolist()


@pytest.mark.parametrize("system", ["eln2017", "eln2017_eisfeld2020", "eln2022", "eln2024"])
@pytest.mark.parametrize("case", ["repeated", "continuous"])
def test_grouping_changes_nothing_against_refining_every_row(system, case, repeated, monkeypatch):
    """Exactly the frame of the row-by-row refinement: values, dtypes, categories, index, order.

    "continuous": VAF, allelic ratio, age and blasts drawn afresh per patient, so that nearly
    every pattern is distinct."""
    frame = repeated.copy()
    if case == "continuous":
        rng = np.random.default_rng(11)
        n = len(frame)
        for col, scale in [("flt3_itd_ar", 1.0), ("tp53_vaf", 60.0), ("npm1_vaf", 60.0),
                           ("age", 90.0), ("bm_blasts_pct", 100.0)]:  # fmt: skip
            values = (rng.random(n) * scale).round(3)
            frame[col] = np.where(rng.random(n) < 0.2, np.nan, values)
    grouped = _classify(frame, system)
    _every_row(monkeypatch)
    every = _classify(frame, system)
    pd.testing.assert_frame_equal(grouped, every)
    for col in RESULT:
        assert grouped[col].dtype == every[col].dtype


def test_grouping_keeps_split_order_and_budget(monkeypatch):
    """Many patients sharing few patterns with a missing karyotype: the split search counts
    patients, not patterns, and stops at the same node budget (the capped note included)."""
    frame = _duplicated(_base(60, seed=3, p_missing=0.5), 9, seed=4)
    run = walk.run
    for options in [{}, {"max_split": 1, "max_nodes": 6}]:

        def small_budget(*a, _o=options, **k):
            return run(*a, **{**k, **_o})

        monkeypatch.setattr("cohort.stratify.system.run", small_budget)
        grouped = _classify(frame, "eln2022", needs=False)
        with monkeypatch.context() as m:
            _every_row(m)
            every = _classify(frame, "eln2022", needs=False)
        pd.testing.assert_frame_equal(grouped, every)
    assert grouped["notes"].astype("string").str.contains("not narrowed").any()


@pytest.mark.parametrize("system", ["eln2017", "eln2017_eisfeld2020", "eln2022", "eln2024"])
def test_columns_outside_the_key_do_not_matter(system, repeated, monkeypatch):
    """Every column the grouping key leaves out, and the system does not read, is scrambled:
    nothing in the result changes. (What the engine reads is recorded by its inputs; the
    refinement is refused, and every row refined instead, if it reads a column outside the key.)"""
    roots: list[Inputs] = []
    keys: list[set[str]] = []
    init, distinct = Inputs.__init__, Inputs.distinct_rows

    def spy_init(self, *a, **k):
        init(self, *a, **k)
        roots.append(self)

    def spy_distinct(self, positions, columns):
        keys.append(set(columns))
        return distinct(self, positions, columns)

    monkeypatch.setattr(Inputs, "__init__", spy_init)
    monkeypatch.setattr(Inputs, "distinct_rows", spy_distinct)
    before = _classify(repeated, system, needs=False)
    assert keys, "the grouping was not used"
    read = set().union(*(r.read_columns() for r in roots))
    assert keys[0] <= read
    scrambled = repeated.copy()
    rng = np.random.default_rng(5)
    others = [c for c in scrambled.columns if c not in read and c != "patient_id"]
    assert len(others) > 10
    for col in others:
        scrambled[col] = scrambled[col].to_numpy()[rng.permutation(len(scrambled))]
    after = _classify(scrambled, system, needs=False)
    pd.testing.assert_frame_equal(before, after)


def test_distinct_rows_groups_equal_values_and_refuses_unhashable():
    """Groups: equal values (missing equal to missing) in every key column, in order of first
    appearance, sizes adding up; a column of lists cannot be grouped (None: the engine then
    refines every row instead of failing)."""
    frame = _base(30, seed=2)
    keys = ["npm1", "flt3_itd", "tp53_vaf"]
    first, inverse, counts = Inputs(frame).distinct_rows(np.arange(len(frame)), keys)
    assert counts.sum() == len(frame)
    assert list(first) == sorted(first) and inverse[first].tolist() == list(range(len(first)))
    as_text = frame[keys].astype("string").fillna("<NA>").agg("/".join, axis=1).to_numpy()
    assert (as_text[first][inverse] == as_text).all()
    assert len(set(as_text)) == len(first)
    odd = frame.assign(npm1_type=[[i] for i in range(len(frame))])
    assert Inputs(odd).distinct_rows(np.arange(len(odd)), ["npm1_type"]) is None
