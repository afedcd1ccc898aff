"""ELN 2017 refined by Eisfeld et al. 2020: one test per proposal (named by rule id) and option.
Expected categories are read from the proposals in the Eisfeld 2020 abstract."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort.schema import CYTOGENETIC_FLAGS, GENES, apply_dtypes
from cohort.stratify import classify

SYSTEM = "eln2017_eisfeld2020"


def patient(**values) -> pd.DataFrame:
    row = {g: False for g in GENES} | {f: False for f in CYTOGENETIC_FLAGS}
    row |= {"flt3_itd_ar": 0.0, "tp53_vaf": 0.0, "normal_karyotype": True}
    row |= {"wt1": False, "zrsr2": False, "bcor": False, "setbp1": False}
    if any(values.get(f) for f in CYTOGENETIC_FLAGS if f != "normal_karyotype"):
        row["normal_karyotype"] = False
    row |= values
    return apply_dtypes(pd.DataFrame([row]))


def refined(**values) -> pd.Series:
    options = values.pop("options", {})
    return classify(patient(**values), SYSTEM, **options).iloc[0]


def base(**values) -> pd.Series:
    return classify(patient(**values), "eln2017").iloc[0]


def test_EISFELD2020_A1_itd_high_adverse_irrespective_of_npm1():
    values = {"npm1": True, "flt3_itd": True, "flt3_itd_ar": 0.7}
    assert base(**values)["category"] == "intermediate"
    res = refined(**values)
    assert res["category"] == "adverse"
    assert res["rule"] == "EISFELD2020-A1"


def test_EISFELD2020_A1_itd_low_unchanged():
    assert refined(npm1=True, flt3_itd=True, flt3_itd_ar=0.3)["category"] == "favorable"


def test_EISFELD2020_A2_npm1_wt1_adverse():
    assert base(npm1=True, wt1=True)["category"] == "favorable"
    res = refined(npm1=True, wt1=True)
    assert (res["category"], res["rule"]) == ("adverse", "EISFELD2020-A2")


def test_EISFELD2020_A2_wt1_without_npm1_unchanged():
    assert refined(wt1=True)["category"] == "intermediate"


def test_EISFELD2020_A3_zrsr2_adverse_also_over_favorable():
    res = refined(npm1=True, zrsr2=True)
    assert (res["category"], res["rule"]) == ("adverse", "EISFELD2020-A3")
    assert refined(zrsr2=True)["category"] == "adverse"


def test_EISFELD2020_A3_t911_footnote_still_precedes():
    assert refined(t_9_11=True, zrsr2=True)["category"] == "intermediate"


def test_EISFELD2020_BCOR_SETBP1_favorable_non_cbf_to_intermediate():
    for gene in ("bcor", "setbp1"):
        res = refined(npm1=True, **{gene: True})
        assert res["category"] == "intermediate"
        assert res["rule"] == "ELN2017-F3>EISFELD2020-BCOR_SETBP1"


def test_EISFELD2020_BCOR_SETBP1_cbf_stays_favorable():
    assert refined(t_8_21=True, bcor=True)["category"] == "favorable"


def test_EISFELD2020_IDH_adverse_to_intermediate():
    for gene in ("idh1", "idh2"):
        res = refined(runx1=True, **{gene: True})
        assert res["category"] == "intermediate"
        assert res["rule"] == "ELN2017-A8>EISFELD2020-IDH"


def test_EISFELD2020_IDH_favorable_unchanged():
    assert refined(npm1=True, idh2=True)["category"] == "favorable"


def test_unknown_modifier_input_leaves_both_categories():
    res = refined(npm1=True, bcor=None)
    assert pd.isna(res["category"])
    assert res["candidates"] == "favorable|intermediate"


def test_unknown_zrsr2_is_not_wild_type():
    res = refined(npm1=True, zrsr2=None)
    assert pd.isna(res["category"])
    assert res["candidates"] == "favorable|adverse"


@pytest.mark.parametrize(
    "option, values, on, off",
    [
        ("flt3_itd_high_adverse", {"npm1": True, "flt3_itd": True, "flt3_itd_ar": 0.9}, "adverse", "intermediate"),
        ("npm1_wt1_adverse", {"npm1": True, "wt1": True}, "adverse", "favorable"),
        ("zrsr2_adverse", {"zrsr2": True}, "adverse", "intermediate"),
        ("bcor_setbp1_intermediate", {"cebpa_biallelic": True, "setbp1": True}, "intermediate", "favorable"),
        ("idh_intermediate", {"tp53": True, "idh1": True}, "intermediate", "adverse"),
    ],
)  # fmt: skip
def test_option_switches_each_refinement(option, values, on, off):
    assert refined(**values)["category"] == on
    assert refined(options={option: False}, **values)["category"] == off


def test_option_dnmt3a():
    assert refined(dnmt3a=True)["category"] == "intermediate"
    res = refined(dnmt3a=True, options={"dnmt3a": "adverse"})
    assert (res["category"], res["rule"]) == ("adverse", "ELN2017-I2>EISFELD2020-DNMT3A")
    assert refined(npm1=True, dnmt3a=True, options={"dnmt3a": "adverse"})["category"] == "favorable"


def test_eln2017_options_pass_through():
    res = refined(npm1=True, flt3_itd=True, flt3_itd_ar=None, options={"unknown_ar": "low"})
    assert res["category"] == "favorable"


# --- issue 13: experimental marking and scope (Eisfeld et al., Leukemia 2020: de novo AML < 60) ---


def test_experimental_note_and_scope_checks():
    import cohort
    from cohort.schema import CYTOGENETIC_FLAGS, GENES, apply_dtypes

    base = {g: False for g in GENES} | {f: False for f in CYTOGENETIC_FLAGS}
    base |= {"normal_karyotype": True, "flt3_itd_ar": 0.0}
    rows = [
        base | {"npm1": True, "wt1": True, "age": 45.0, "aml_type": "de_novo"},
        base | {"npm1": True, "age": 67.0, "aml_type": "de_novo"},
        base | {"npm1": True, "age": 50.0, "aml_type": "secondary"},
        base | {"npm1": True, "age": None, "aml_type": "de_novo"},
    ]
    frame = apply_dtypes(pd.DataFrame(rows))
    res = cohort.classify(frame, "eln2017_eisfeld2020", needs=False)
    notes = res["notes"].astype(object).fillna("").tolist()
    assert res["category"].iloc[0] == "adverse"  # NPM1/WT1 (EISFELD2020-A2)
    assert "experimental: Eisfeld 2020" in notes[0] and "scope" not in notes[0]
    assert "age 60 or more" in notes[1] and "experimental" not in notes[1]
    assert "not de novo AML" in notes[2]
    assert "not checked: age or AML type unknown" in notes[3]
    doc = cohort.stratify.eln2017_eisfeld2020.__doc__
    assert "EXPERIMENTAL" in doc
