"""Value normalisers: vocabularies, missing tokens, units, FLT3-ITD quantities."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.errors import CohortValidationError, DataQualityWarning
from cohort.io.mapping import read_mapping
from cohort.io.normalise import (
    DAYS_PER_UNIT,
    Context,
    normalise_boolean,
    normalise_category,
    normalise_number,
    token,
)


def ctx_for(n: int, mapping=None) -> Context:
    return Context(rows=list(range(2, n + 2)), mapping=read_mapping(mapping))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True), ("0", False), (1, True), (0.0, False), (True, True), (np.False_, False),
        ("yes", True), ("No", False), ("pos", True), ("NEG", False), ("mut", True),
        ("wt", False), ("mutated", True), ("wild-type", False), ("Wild type", False),
        ("+", True), ("-", False), ("TRUE", True), ("FALSE", False), ("ITD", True),
        ("No_ITD", False), ("ITD+", True), ("itd-", False), (" Mutated ", True),
    ],
)  # fmt: skip
def test_boolean_vocabulary(raw, expected):
    ctx = ctx_for(1)
    out = normalise_boolean(pd.Series([raw], dtype=object), "npm1", ctx)
    assert out.dtype == "boolean"
    assert out.iloc[0] is expected or bool(out.iloc[0]) is expected
    assert ctx.problems == []


@pytest.mark.parametrize(
    "raw", ["", "NA", "n/a", ".", "unknown", "Not done", "not_done", None, np.nan, pd.NA, "  "]
)
def test_missing_tokens_become_missing_without_problem(raw):
    ctx = ctx_for(1)
    out = normalise_boolean(pd.Series([raw], dtype=object), "flt3_itd", ctx)
    assert out.isna().all()
    assert ctx.problems == []


def test_unknown_boolean_code_is_a_problem_with_exact_text():
    ctx = ctx_for(2)
    out = normalise_boolean(pd.Series(["mut", "maybe"]), "npm1", ctx)
    assert out.iloc[0] and pd.isna(out.iloc[1])
    [(pos, p)] = ctx.problems
    assert pos == 1 and p.row == 3 and p.reason == "unknown_code"
    assert p.describe("cohort.csv") == (
        "file cohort.csv, column 'npm1', row 3, value 'maybe': 'maybe' is not a known code for npm1 "
        "(a yes/no column: 1/0, yes/no, mut/wt, pos/neg, +/-, TRUE/FALSE). Fix: Declare it in the "
        "mapping under values: {npm1: {'maybe': true}} (or false), list it under missing: if it "
        "means unknown, or correct the cell."
    )


def test_declared_boolean_codes_and_extra_missing_tokens():
    mapping = {"values": {"npm1": {"NPMc+": True, "NPMc-": False}}, "missing": ["-99"]}
    ctx = ctx_for(3, mapping)
    out = normalise_boolean(pd.Series(["NPMc+", "npmc-", "-99"]), "npm1", ctx)
    assert out.tolist() == [True, False, pd.NA]
    assert ctx.problems == []


def test_sex_codes_and_numeric_codes_only_when_declared():
    ctx = ctx_for(4)
    out = normalise_category(pd.Series(["m", "Female", "MALE", "1"]), "sex", ctx)
    assert out.tolist()[:3] == ["male", "female", "male"]
    [(pos, p)] = ctx.problems
    assert pos == 3
    assert p.message == (
        "'1' is not a known code for sex (canonical values: female, male). Numeric sex codes are "
        "ambiguous between studies, so they are read only when declared."
    )
    ctx = ctx_for(2, {"values": {"sex": {1: "male", 2: "female"}}})
    out = normalise_category(pd.Series([1, "2"], dtype=object), "sex", ctx)
    assert out.tolist() == ["male", "female"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("de novo", "de_novo"), ("de_novo", "de_novo"), ("AML", "de_novo"), ("sAML", "secondary"),
     ("secondary", "secondary"), ("tAML", "therapy_related"), ("t-AML", "therapy_related"),
     ("therapy-related", "therapy_related"), ("therapy_related", "therapy_related")],
)  # fmt: skip
def test_aml_type_codes(raw, expected):
    ctx = ctx_for(1)
    assert normalise_category(pd.Series([raw]), "aml_type", ctx).iloc[0] == expected
    assert ctx.problems == []


def test_unknown_aml_type_exact_text():
    ctx = ctx_for(1)
    normalise_category(pd.Series(["oAML"]), "aml_type", ctx)
    assert ctx.problems[0][1].describe() == (
        "column 'aml_type', row 2, value 'oAML': 'oAML' is not a known code for aml_type "
        "(canonical values: de_novo, secondary, therapy_related). Fix: Declare it in the mapping "
        "under values: {aml_type: {'oAML': <one of de_novo, secondary, therapy_related>}}, list it "
        "under missing: if it means unknown, or correct the cell."
    )


def test_number_parse_failure_exact_text():
    ctx = ctx_for(3)
    out = normalise_number(pd.Series(["54", "54 years", "NA"]), "age", ctx)
    assert out.iloc[0] == 54 and out.iloc[1:].isna().all()
    [(pos, p)] = ctx.problems
    assert (pos, p.reason) == (1, "not_a_number")
    assert p.describe() == (
        "column 'age', row 3, value '54 years': '54 years' is not a number. Fix: Write a plain "
        "number with a dot as decimal separator (no units or text), or leave the cell empty if "
        "unknown."
    )


def test_event_words_and_unknown_event_code():
    ctx = ctx_for(5)
    out = normalise_number(pd.Series(["Dead", "alive", "1", "yes", "lost"]), "os_event", ctx)
    assert out.tolist()[:4] == [1, 0, 1, 1]
    [(pos, p)] = ctx.problems
    assert pos == 4 and p.reason == "unknown_code"
    assert p.message == "'lost' is not a known code for os_event (1 event, 0 censored)."


def test_non_integer_event_code_exact_text():
    ctx = ctx_for(1)
    normalise_number(pd.Series(["1.5"]), "cir_status", ctx)
    assert ctx.problems[0][1].message == (
        "'1.5' is not a valid code for cir_status (whole numbers only: 0 censored, 1 relapse, "
        "2 death without relapse)."
    )


def test_token_forms():
    assert token(1.0) == "1" and token(2) == "2" and token(True) == "true"
    assert token(" No_ITD ") == "no itd" and token(float("nan")) is None and token(pd.NA) is None


def test_time_unit_constants_are_documented_values():
    assert DAYS_PER_UNIT == {"days": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25}
    assert DAYS_PER_UNIT["months"] * 12 == DAYS_PER_UNIT["years"]


@pytest.mark.parametrize(
    ("unit", "factor"), [("weeks", 7.0), ("months", 30.4375), ("years", 365.25)]
)
def test_time_units_convert_to_days(unit, factor):
    df = pd.DataFrame({"patient_id": ["a"], "os_days": ["2"], "os_event": ["1"]})
    c = cohort.load(df, {"units": {"time": unit}})
    assert c.data["os_days"].iloc[0] == 2 * factor
    assert c.report["units"] == [f"os_days: {unit} -> days (x {factor:g})"]


def test_per_column_time_unit_overrides_family():
    df = pd.DataFrame({"patient_id": ["a"], "os_days": [12], "cr_days": [30]})
    c = cohort.load(df, {"units": {"time": "months", "cr_days": "days"}})
    assert c.data["os_days"].iloc[0] == 12 * 30.4375 and c.data["cr_days"].iloc[0] == 30


def test_vaf_percent_becomes_fraction():
    df = pd.DataFrame({"patient_id": ["a", "b"], "npm1_vaf": ["42", ""]})
    c = cohort.load(df, {"units": {"vaf": "percent"}})
    assert c.data["npm1_vaf"].iloc[0] == pytest.approx(0.42)
    assert pd.isna(c.data["npm1_vaf"].iloc[1])


@pytest.mark.parametrize(
    ("unit", "given", "ratio"),
    [("ratio", 0.8, 0.8), ("percent_ratio", 80, 0.8), ("vaf", 0.2, 0.25), ("vaf_percent", 50, 1.0)],
)
def test_flt3_itd_quantities(unit, given, ratio):
    df = pd.DataFrame({"patient_id": ["a"], "flt3_itd": ["ITD"], "flt3_itd_ar": [given]})
    if unit.startswith("vaf"):
        with pytest.warns(
            DataQualityWarning, match=r"derived from a VAF \(AR = VAF / \(1 - VAF\)\)"
        ):
            c = cohort.load(df, {"units": {"flt3_itd": unit}})
        assert {"column": "flt3_itd_ar", "rule": "AR = VAF / (1 - VAF)", "n": 1}.items() <= (
            c.report["derived"][0].items()
        )
    else:
        c = cohort.load(df, {"units": {"flt3_itd": unit}})
    assert c.data["flt3_itd_ar"].iloc[0] == pytest.approx(ratio)


def test_flt3_vaf_of_one_cannot_give_a_ratio():
    df = pd.DataFrame({"patient_id": ["a", "b"], "flt3_itd_ar": [1.0, 0.1]})
    with pytest.raises(CohortValidationError) as err:
        cohort.load(df, {"units": {"flt3_itd": "vaf"}})
    [p] = err.value.problems
    assert p.reason == "vaf_above_one" and p.row == 0
    assert p.message == (
        "a FLT3-ITD variant allele fraction must lie in [0, 1) to give an allelic ratio "
        "(declared unit: vaf)."
    )


def test_flt3_status_and_zero_ratio_are_filled_and_reported():
    df = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c"],
            "flt3_itd": [pd.NA, "neg", pd.NA],
            "flt3_itd_ar": [0.7, None, 0],
        }
    )
    c = cohort.load(df)
    assert c.data["flt3_itd"].tolist() == [True, False, False]
    assert c.data["flt3_itd_ar"].tolist() == [0.7, 0.0, 0.0]
    rules = {d["rule"]: d["n"] for d in c.report["derived"]}
    assert rules == {"ITD = ratio > 0": 2, "ratio = 0 when ITD-negative": 1}


def test_normalisers_are_idempotent_on_canonical_values():
    df = pd.DataFrame(
        {
            "patient_id": pd.Series(["a", "b"], dtype="string"),
            "sex": pd.Series(["male", pd.NA], dtype="string"),
            "aml_type": ["therapy_related", "de_novo"],
            "npm1": pd.Series([True, pd.NA], dtype="boolean"),
            "os_days": pd.Series([10.5, 3.0], dtype="Float64"),
            "os_event": pd.Series([1, 0], dtype="Int64"),
            "npm1_type": ["A", "other"],
        }
    )
    first = cohort.load(df).data
    second = cohort.load(first).data
    pd.testing.assert_frame_equal(first, second)
    assert first["os_days"].tolist() == [10.5, 3.0]
    assert math.isclose(first["os_days"].iloc[0], 10.5)
