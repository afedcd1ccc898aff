"""ELN 2024 for less-intensive therapy (Döhner 2024, Table 1): one test per row, footnote, scope
rule and option. Expected categories are read from the published table."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort.schema import CYTOGENETIC_FLAGS, GENES, apply_dtypes
from cohort.stratify import classify


def patient(**values) -> pd.DataFrame:
    """A patient on HMA + venetoclax, no prior HMA, everything known absent unless given."""
    row = {g: False for g in GENES} | {f: False for f in CYTOGENETIC_FLAGS}
    row |= {"normal_karyotype": True, "tp53_vaf": 0.0}
    row |= {"intensive": False, "hma": True, "venetoclax": True, "aza_ivosidenib": False}
    row |= {"prior_hma": False}
    row |= values
    frame = apply_dtypes(pd.DataFrame([row]))
    for extra in ("aza_ivosidenib", "prior_hma", "ivo", "previous_hma"):
        if extra in frame:
            frame[extra] = frame[extra].astype("boolean")
    return frame


def eln(**values) -> pd.Series:
    options = values.pop("options", {})
    return classify(patient(**values), "eln2024", **options).iloc[0]


def check(res: pd.Series, category, rule=None, candidates=None) -> None:
    if category is None:
        assert pd.isna(res["category"]), res.to_dict()
    else:
        assert res["category"] == category, res.to_dict()
    if rule is not None:
        assert res["rule"] == rule, res.to_dict()
    if candidates is not None:
        assert res["candidates"] == candidates, res.to_dict()


def test_ELN2024_F1_npm1_without_signaling_or_tp53_favorable():
    check(eln(npm1=True), "favorable", "ELN2024-F1")


@pytest.mark.parametrize("gene", ["flt3_itd", "nras", "kras"])
def test_ELN2024_F1_npm1_with_signaling_intermediate(gene):
    check(eln(npm1=True, **{gene: True}), "intermediate", "ELN2024-I1")


def test_ELN2024_F2_idh2_favorable():
    check(eln(idh2=True), "favorable", "ELN2024-F2")
    check(eln(idh2=True, kras=True), "intermediate", "ELN2024-I1")


def test_ELN2024_F3_idh1_with_aza_ivo_favorable_despite_signaling():
    check(eln(idh1=True, aza_ivosidenib=True, nras=True), "favorable", "ELN2024-F3")


def test_ELN2024_F3_footnote_idh1_without_aza_ivo_falls_to_other_rows():
    res = eln(idh1=True, nras=True, aza_ivosidenib=False)
    check(res, "intermediate", "ELN2024-I1")
    assert "without AZA+IVO" in res["notes"]


def test_ELN2024_F3_idh1_with_tp53_adverse():
    check(eln(idh1=True, aza_ivosidenib=True, tp53=True), "adverse", "ELN2024-A1")


def test_ELN2024_F4_ddx41_favorable_even_with_signaling():
    check(eln(ddx41=True, flt3_itd=True), "favorable", "ELN2024-F4")


def test_ELN2024_F5_other_abnormalities_without_signaling_favorable():
    check(eln(complex_karyotype=True, normal_karyotype=False), "favorable", "ELN2024-F5")
    check(eln(runx1=True, asxl1=True), "favorable", "ELN2024-F5")


def test_ELN2024_I1_other_with_signaling_intermediate():
    check(eln(minus_7=True, normal_karyotype=False, kras=True), "intermediate", "ELN2024-I1")


def test_ELN2024_A1_tp53_adverse_any_vaf():
    check(eln(tp53=True, tp53_vaf=0.03), "adverse", "ELN2024-A1")
    check(eln(tp53=True, npm1=True), "adverse", "ELN2024-A1")


def test_ELN2024_NA1_prior_hma_not_applicable():
    res = eln(prior_hma=True, npm1=True)
    check(res, None, "ELN2024-NA1")
    assert pd.isna(res["candidates"])
    assert "does not apply" in res["notes"]


def test_ELN2024_NA2_intensive_not_applicable():
    check(eln(intensive=True, hma=False, venetoclax=False), None, "ELN2024-NA2")


def test_ELN2024_NA3_no_less_intensive_regimen_not_applicable():
    check(eln(hma=False, venetoclax=False, aza_ivosidenib=False), None, "ELN2024-NA3")


def test_ELN2024_footnote_dagger_ddx41_note_is_in_rule_table():
    from cohort.stratify import rules

    table = rules("eln2024").set_index("id")
    assert "germ line" in table.loc["ELN2024-F4", "footnote"]


def test_unknown_treatment_leaves_not_applicable_open():
    frame = patient(npm1=True).drop(columns=["intensive", "hma", "venetoclax", "aza_ivosidenib"])
    res = classify(frame, "eln2024").iloc[0]
    check(res, None, candidates="favorable|not_applicable")
    assert "intensive" in res["notes"]


def test_absent_prior_hma_column_is_unknown():
    frame = patient(npm1=True).drop(columns=["prior_hma"])
    check(classify(frame, "eln2024").iloc[0], None, candidates="favorable|not_applicable")


def test_untested_tp53_is_not_wild_type():
    check(eln(npm1=True, tp53=None), None, candidates="favorable|adverse")


def test_unknown_nras_with_npm1_favorable_or_intermediate():
    check(eln(npm1=True, nras=None), None, candidates="favorable|intermediate")


# --- options --------------------------------------------------------------------------------------


def test_option_aza_ivo_column():
    frame = patient(idh1=True, kras=True).drop(columns=["aza_ivosidenib"])
    frame["ivo"] = pd.array([True], dtype="boolean")
    assert classify(frame, "eln2024", aza_ivo_column="ivo")["category"].iloc[0] == "favorable"
    res = classify(frame, "eln2024").iloc[0]
    check(res, None, candidates="favorable|intermediate")


def test_option_prior_hma_column():
    frame = patient(npm1=True).drop(columns=["prior_hma"])
    frame["previous_hma"] = pd.array([True], dtype="boolean")
    check(classify(frame, "eln2024", prior_hma_column="previous_hma").iloc[0], None, "ELN2024-NA1")


def test_option_assume_less_intensive():
    frame = patient(npm1=True).drop(columns=["intensive", "hma", "venetoclax"])
    res = classify(frame, "eln2024", assume_less_intensive=True).iloc[0]
    check(res, "favorable", "ELN2024-F1")
    assert "assumed" in res["notes"]


def test_option_assume_no_prior_hma():
    frame = patient(npm1=True).drop(columns=["prior_hma"])
    check(classify(frame, "eln2024", assume_no_prior_hma=True).iloc[0], "favorable", "ELN2024-F1")


def test_option_tp53_vaf_threshold():
    check(
        eln(tp53=True, tp53_vaf=0.05, npm1=True, options={"tp53_vaf_threshold": 0.1}), "favorable"
    )
    check(eln(tp53=True, tp53_vaf=None, npm1=True, options={"tp53_vaf_threshold": 0.1}), None,
          candidates="favorable|adverse")  # fmt: skip


@pytest.mark.parametrize("choice, category", [("adverse", "adverse"), ("favorable", "favorable")])
def test_option_ddx41_with_tp53(choice, category):
    check(eln(ddx41=True, tp53=True, options={"ddx41_with_tp53": choice}), category)


def test_option_apl():
    check(eln(t_15_17=True, normal_karyotype=False), None, "ELN2024-APL")
    check(eln(t_15_17=True, normal_karyotype=False, options={"apl": "ignore"}), "favorable")


def test_option_use_normal_karyotype():
    check(eln(npm1=True, t_15_17=None), "favorable")
    res = eln(npm1=True, t_15_17=None, options={"use_normal_karyotype": False})
    check(res, None, candidates="favorable|not_applicable")
