"""WHO 2016 ("who2017"), ICC 2022 and WHO 2022 classes of NPM1-mutated AML on hand-built patients."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.errors import ClassificationError, SchemaError
from cohort.stratify.diagnostic import (
    AML_MR,
    AML_MRC,
    BELOW_BLASTS,
    NOT_NPM1,
    NPM1_AML,
    OTHER_RECURRENT,
    SYSTEMS,
    T_MN,
    classify_icc2022,
    classify_who2017,
    classify_who2022,
    explain_patient,
    explain_who2017,
)
from cohort.stratify.rule_table import RESULT_COLUMNS

FLAGS = (
    "t_8_21", "inv_16", "t_15_17", "t_9_11", "kmt2a_r", "t_6_9", "inv_3", "t_9_22",
    "complex_karyotype", "del_5q", "minus_7", "del_7q", "del_11q", "del_12p", "i_17q", "abn_17p",
    "idic_x_q13", "plus_8", "del_20q",
)  # fmt: skip
GENES = ("asxl1", "bcor", "ezh2", "runx1", "sf3b1", "srsf2", "stag2", "u2af1", "zrsr2")


def patients(*rows: dict) -> pd.DataFrame:
    """Canonical rows: NPM1-mutated de novo AML with 50% blasts and nothing else, then overrides."""
    base = {"npm1": True, "bm_blasts_pct": 50.0, "aml_type": "de_novo", "prior_mds": False}
    base.update(dict.fromkeys(FLAGS, False))
    base.update(dict.fromkeys(GENES, False))
    frame = pd.DataFrame([{**base, **r} for r in rows])
    for c in ("npm1", "prior_mds", *FLAGS, *GENES):
        frame[c] = frame[c].astype("boolean")
    frame["bm_blasts_pct"] = frame["bm_blasts_pct"].astype("Float64")
    frame["aml_type"] = frame["aml_type"].astype("string")
    return frame


def cat(result: pd.DataFrame, i: int = 0):
    value = result["category"].iloc[i]
    return None if pd.isna(value) else value


ALL = [classify_who2017, classify_icc2022, classify_who2022]


# --- contract -------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", ALL)
def test_result_columns_and_index(func):
    frame = patients({}, {"npm1": False}).set_axis([10, 20])
    out = func(frame)
    assert tuple(out.columns) == RESULT_COLUMNS
    assert list(out.index) == [10, 20]
    assert [cat(out, 0), cat(out, 1)] == [NPM1_AML, NOT_NPM1]


@pytest.mark.parametrize("func", ALL)
def test_unknown_option_is_a_classification_error(func):
    with pytest.raises(ClassificationError, match="Unknown option"):
        func(patients({}), blast_cutoff=5)


@pytest.mark.parametrize("func", ALL)
def test_npm1_unknown_is_undetermined(func):
    out = func(patients({"npm1": pd.NA}))
    assert cat(out) is None
    assert NOT_NPM1 in out["candidates"].iloc[0] and NPM1_AML in out["candidates"].iloc[0]


@pytest.mark.parametrize("func", ALL)
def test_other_recurrent_rearrangement_takes_precedence(func):
    out = func(patients({"t_8_21": True}, {"kmt2a_r": True}))
    assert [cat(out, 0), cat(out, 1)] == [OTHER_RECURRENT, OTHER_RECURRENT]


@pytest.mark.parametrize("func", ALL)
def test_missing_karyotype_leaves_rearrangement_open(func):
    frame = patients({}).drop(columns=["t_8_21"])  # absent column = unknown
    out = func(frame)
    assert cat(out) is None
    assert set(out["candidates"].iloc[0].split("|")) == {OTHER_RECURRENT, NPM1_AML}


def test_not_a_frame_is_a_schema_error():
    with pytest.raises(SchemaError):
        classify_icc2022([1, 2, 3])


def test_non_boolean_genotype_is_a_classification_error():
    frame = patients({})
    frame["npm1"] = ["maybe"]
    with pytest.raises(ClassificationError, match="npm1"):
        classify_icc2022(frame)


# --- WHO 2016 ---------------------------------------------------------------------------------------


def test_who2017_blast_threshold_is_20_percent():
    out = classify_who2017(patients({"bm_blasts_pct": 19.9}, {"bm_blasts_pct": 20.0}))
    assert cat(out, 0) == BELOW_BLASTS
    assert out["notes"].iloc[0] == "bone-marrow blasts below 20%"
    assert cat(out, 1) == NPM1_AML


def test_who2017_min_blasts_option():
    out = classify_who2017(patients({"bm_blasts_pct": 15.0}), min_blasts=10)
    assert cat(out) == NPM1_AML


def test_who2017_missing_blasts_undetermined_unless_assumed():
    frame = patients({"bm_blasts_pct": pd.NA})
    assert cat(classify_who2017(frame)) is None
    out = classify_who2017(frame, assume_blast_threshold_met=True)
    assert cat(out) == NPM1_AML
    assert "threshold assumed met" in out["notes"].iloc[0]


def test_who2017_therapy_related_is_t_mn():
    out = classify_who2017(patients({"aml_type": "therapy_related", "prior_mds": pd.NA}))
    assert cat(out) == T_MN
    assert out["rule"].iloc[0] == "WHO2016-t-MN"


@pytest.mark.parametrize(
    "override",
    [{"prior_mds": True}, {"aml_type": "secondary", "prior_mds": pd.NA}, {"del_5q": True},
     {"complex_karyotype": True}, {"minus_7": True}, {"i_17q": True}],
)  # fmt: skip
def test_who2017_mrc_precedence_option_reported_both_ways(override):
    frame = patients(override)
    default = classify_who2017(frame)
    mrc = classify_who2017(frame, mrc_precedence="mrc")
    assert cat(default) == NPM1_AML
    assert cat(mrc) == AML_MRC
    assert "mrc_precedence='mrc' would change" in default["notes"].iloc[0]
    assert "mrc_precedence='npm1' would change" in mrc["notes"].iloc[0]


@pytest.mark.parametrize("flag", ["plus_8", "del_20q"])
def test_who2017_plus8_and_del20q_are_not_mrc(flag):
    out = classify_who2017(patients({flag: True}), mrc_precedence="mrc")
    assert cat(out) == NPM1_AML


def test_who2017_mrc_option_with_unknown_cytogenetics_is_undetermined():
    frame = patients({}).drop(columns=["del_5q"])
    assert cat(classify_who2017(frame)) == NPM1_AML  # default: MRC criteria cannot matter
    out = classify_who2017(frame, mrc_precedence="mrc")
    assert cat(out) is None
    assert set(out["candidates"].iloc[0].split("|")) == {AML_MRC, NPM1_AML}


def test_who2017_bad_precedence_value():
    with pytest.raises(ClassificationError, match="mrc_precedence"):
        classify_who2017(patients({}), mrc_precedence="both")


# --- ICC 2022 ---------------------------------------------------------------------------------------


def test_icc_blast_threshold_is_10_percent():
    out = classify_icc2022(patients({"bm_blasts_pct": 9.5}, {"bm_blasts_pct": 10.0}))
    assert cat(out, 0) == BELOW_BLASTS
    assert out["notes"].iloc[0] == "bone-marrow blasts below 10%"
    assert cat(out, 1) == NPM1_AML


def test_icc_min_blasts_option():
    out = classify_icc2022(patients({"bm_blasts_pct": 15.0}), min_blasts=20)
    assert cat(out) == BELOW_BLASTS
    assert "below 20%" in out["notes"].iloc[0]


@pytest.mark.parametrize(
    "override",
    [{"asxl1": True}, {"runx1": True}, {"del_7q": True}, {"plus_8": True}, {"prior_mds": True}],
)
def test_icc_npm1_takes_precedence_over_mr_lesions(override):
    out = classify_icc2022(patients(override))
    assert cat(out) == NPM1_AML


def test_icc_mr_lesions_unknown_do_not_matter():
    frame = patients({}).drop(columns=list(GENES))
    assert cat(classify_icc2022(frame)) == NPM1_AML


def test_icc_qualifiers_in_notes():
    out = classify_icc2022(
        patients({"aml_type": "therapy_related", "prior_mds": pd.NA}, {"prior_mds": True})
    )
    assert [cat(out, 0), cat(out, 1)] == [NPM1_AML, NPM1_AML]
    assert "qualifier: therapy-related" in out["notes"].iloc[0]
    assert "qualifier: progressed from MDS" in out["notes"].iloc[1]


# --- WHO 2022 ---------------------------------------------------------------------------------------


def test_who2022_has_no_blast_threshold():
    out = classify_who2022(patients({"bm_blasts_pct": 5.0}, {"bm_blasts_pct": pd.NA}))
    assert [cat(out, 0), cat(out, 1)] == [NPM1_AML, NPM1_AML]


def test_who2022_min_blasts_option():
    out = classify_who2022(patients({"bm_blasts_pct": 5.0}), min_blasts=10)
    assert cat(out) == BELOW_BLASTS
    assert "below 10%" in out["notes"].iloc[0]


def test_who2022_mr_precedence_option():
    frame = patients({"srsf2": True}, {"runx1": True}, {"prior_mds": True}, {})
    default = classify_who2022(frame)
    assert list(default["category"]) == [NPM1_AML] * 4
    mr = classify_who2022(frame, mr_precedence="aml_mr")
    # RUNX1 is not an AML-MR gene in WHO 2022 (it is in ICC).
    assert list(mr["category"]) == [AML_MR, NPM1_AML, AML_MR, NPM1_AML]


def test_who2022_post_cytotoxic_therapy_note():
    out = classify_who2022(patients({"aml_type": "therapy_related", "prior_mds": False}))
    assert cat(out) == NPM1_AML
    assert "post cytotoxic therapy" in out["notes"].iloc[0]


# --- engine and explanations ------------------------------------------------------------------------


def test_explain_names_rules_and_unknowns():
    lines = explain_who2017({"npm1": True, "bm_blasts_pct": 5.0})
    text = "\n".join(lines)
    assert "WHO2016-not-NPM1" in text and "WHO2016-blasts" in text
    # the rearrangement flags are absent, so that rule can only possibly apply
    assert any("POSSIBLY applies WHO2016-recurrent" in line for line in lines)


@pytest.mark.parametrize("system", ["who2017", "icc2022", "who2022"])
def test_per_system_explainers(system):
    classify, explain, _ = SYSTEMS[system]
    row = {"npm1": True, "bm_blasts_pct": 15.0, "aml_type": "de_novo", "prior_mds": False}
    row.update(dict.fromkeys(FLAGS, False))
    expected = classify(patients({"bm_blasts_pct": 15.0}))["rule"].iloc[0]
    applies = [line for line in explain(row) if "APPLIES" in line]
    assert len(applies) == 1 and expected in applies[0]
    assert explain(row) == explain_patient(row, system=system)


def test_registry_dispatch_when_available():
    stratify = pytest.importorskip("cohort.stratify")
    if not hasattr(stratify, "classify"):
        pytest.skip("registry not yet written")
    frame = patients({}, {"npm1": False})
    for system, func in [("who2017", classify_who2017), ("icc2022", classify_icc2022),
                         ("who2022", classify_who2022)]:  # fmt: skip
        got = stratify.classify(frame, system, needs=False)
        pd.testing.assert_frame_equal(got.drop(columns="patient_id", errors="ignore"), func(frame))


def test_a_large_cohort_classifies_as_its_parts():
    # vectorised over 200,000 patients, each patient's row is what a small batch gives (the speed
    # itself is a benchmark's business, not a test's)
    rng = np.random.default_rng(1)
    n = 200_000
    frame = patients({}).sample(n, replace=True, random_state=1).reset_index(drop=True)
    frame["npm1"] = pd.array(rng.random(n) < 0.3, dtype="boolean")
    frame["bm_blasts_pct"] = pd.array(rng.uniform(0, 100, n), dtype="Float64")
    picks = np.sort(rng.choice(n, 500, replace=False))
    for func in ALL:
        out = func(frame)
        assert len(out) == n
        part = func(frame.iloc[picks].reset_index(drop=True))
        pd.testing.assert_frame_equal(
            out.iloc[picks].reset_index(drop=True), part, check_categorical=False
        )
