"""ELN 2017 (Döhner 2017, Table 5): one test per row and footnote on hand-built patients, one per
option, and the undetermined cases. Expected categories are read from the published table."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort.errors import ClassificationError
from cohort.schema import CYTOGENETIC_FLAGS, GENES, apply_dtypes
from cohort.stratify import classify


def patient(**values) -> pd.DataFrame:
    """One patient with every genotype and flag known absent unless given (None = unknown)."""
    row = {g: False for g in GENES} | {f: False for f in CYTOGENETIC_FLAGS}
    row |= {"flt3_itd_ar": 0.0, "tp53_vaf": 0.0, "patient_id": "P1", "normal_karyotype": True}
    if any(values.get(f) for f in CYTOGENETIC_FLAGS if f != "normal_karyotype"):
        row["normal_karyotype"] = False
    row |= values
    return apply_dtypes(pd.DataFrame([row]))


def eln(**values) -> pd.Series:
    options = values.pop("options", {})
    return classify(patient(**values), "eln2017", **options).iloc[0]


def check(
    result: pd.Series, category: str | None, rule: str | None = None, candidates=None
) -> None:
    if category is None:
        assert pd.isna(result["category"]), result.to_dict()
    else:
        assert result["category"] == category, result.to_dict()
    if rule is not None:
        assert result["rule"] == rule, result.to_dict()
    if candidates is not None:
        assert result["candidates"] == candidates, result.to_dict()


# --- favorable rows -----------------------------------------------------------------------------


def test_ELN2017_F1_t_8_21_favorable():
    check(eln(t_8_21=True), "favorable", "ELN2017-F1")


def test_ELN2017_F1_cbf_stays_favorable_with_kit_and_flt3():
    check(eln(t_8_21=True, kit=True, flt3_itd=True, flt3_itd_ar=0.9), "favorable", "ELN2017-F1")


def test_ELN2017_F2_inv_16_favorable():
    check(eln(inv_16=True), "favorable", "ELN2017-F2")


def test_ELN2017_F3_npm1_without_itd_favorable():
    check(eln(npm1=True), "favorable", "ELN2017-F3")


def test_ELN2017_F3_npm1_with_itd_low_favorable():
    check(eln(npm1=True, flt3_itd=True, flt3_itd_ar=0.49), "favorable", "ELN2017-F3")


def test_ELN2017_F4_biallelic_cebpa_favorable():
    check(eln(cebpa_biallelic=True), "favorable", "ELN2017-F4")


def test_ELN2017_F4_monoallelic_bzip_cebpa_is_not_favorable_in_2017():
    check(eln(cebpa_bzip=True), "intermediate", "ELN2017-I2")


# --- intermediate rows --------------------------------------------------------------------------


def test_ELN2017_I1_npm1_with_itd_high_intermediate():
    check(eln(npm1=True, flt3_itd=True, flt3_itd_ar=0.8), "intermediate", "ELN2017-I1")


def test_ELN2017_AR_footnote_boundary_0_5_is_high():
    check(eln(npm1=True, flt3_itd=True, flt3_itd_ar=0.5), "intermediate", "ELN2017-I1")
    check(eln(flt3_itd=True, flt3_itd_ar=0.5), "adverse", "ELN2017-A7")


def test_ELN2017_I2_npm1_wildtype_without_itd_intermediate():
    check(eln(), "intermediate", "ELN2017-I2")


def test_ELN2017_I2_npm1_wildtype_with_itd_low_intermediate():
    check(eln(flt3_itd=True, flt3_itd_ar=0.2), "intermediate", "ELN2017-I2")


def test_ELN2017_I3_t_9_11_intermediate():
    check(eln(t_9_11=True), "intermediate", "ELN2017-I3")


def test_ELN2017_I3_footnote_t_9_11_precedes_adverse_gene_mutations():
    res = eln(t_9_11=True, runx1=True, asxl1=True)
    check(res, "intermediate", "ELN2017-I3")
    assert "t(9;11) takes precedence" in res["notes"]


def test_ELN2017_I4_other_cytogenetic_abnormality_intermediate():
    # e.g. trisomy 8 alone: abnormal karyotype, no favorable or adverse lesion
    check(eln(normal_karyotype=False), "intermediate", "ELN2017-I4")


def test_ELN2017_I4_does_not_outrank_npm1():
    check(eln(normal_karyotype=False, npm1=True), "favorable", "ELN2017-F3")


# --- adverse rows -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag, rule",
    [
        ("t_6_9", "ELN2017-A1"),
        ("kmt2a_r", "ELN2017-A2"),
        ("t_9_22", "ELN2017-A3"),
        ("inv_3", "ELN2017-A4"),
        ("del_5q", "ELN2017-A5"),
        ("minus_7", "ELN2017-A5"),
        ("abn_17p", "ELN2017-A5"),
        ("complex_karyotype", "ELN2017-A6"),
        ("monosomal_karyotype", "ELN2017-A6"),
    ],
)
def test_ELN2017_A1_to_A6_adverse_cytogenetics(flag, rule):
    check(eln(**{flag: True}), "adverse", rule)


def test_ELN2017_A7_npm1_wildtype_itd_high_adverse():
    check(eln(flt3_itd=True, flt3_itd_ar=1.2), "adverse", "ELN2017-A7")


def test_ELN2017_A8_runx1_adverse():
    check(eln(runx1=True), "adverse", "ELN2017-A8")


def test_ELN2017_A9_asxl1_adverse():
    check(eln(asxl1=True), "adverse", "ELN2017-A9")


def test_ELN2017_A10_tp53_adverse_any_vaf():
    check(eln(tp53=True, tp53_vaf=0.02), "adverse", "ELN2017-A10")


def test_ELN2017_RUNX1_ASXL1_footnote_not_adverse_with_favorable_subtypes():
    for fav in ({"t_8_21": True}, {"inv_16": True}, {"npm1": True}, {"cebpa_biallelic": True}):
        res = eln(runx1=True, asxl1=True, **fav)
        check(res, "favorable")
        assert "RUNX1/ASXL1 mutation not used" in res["notes"]


def test_ELN2017_CK_MK_footnote_flags_are_taken_as_given():
    # CK/MK definitions (exclusion of recurring translocations, CBF for MK) belong to the flags;
    # a CBF patient whose flags say "monosomal" stays favorable under the default option.
    check(eln(t_8_21=True, monosomal_karyotype=True), "favorable", "ELN2017-F1")


def test_ELN2017_TP53_footnote_tp53_with_complex_karyotype_adverse():
    check(eln(tp53=True, complex_karyotype=True), "adverse", "ELN2017-A6")


# --- undetermined cases ---------------------------------------------------------------------------


def test_unknown_ar_with_npm1_is_favorable_or_intermediate():
    res = eln(npm1=True, flt3_itd=True, flt3_itd_ar=None)
    check(res, None, candidates="favorable|intermediate")
    assert "allelic ratio unknown" in res["notes"]
    assert "flt3_itd_ar" in res["notes"]


def test_unknown_ar_with_npm1_wildtype_is_intermediate_or_adverse():
    check(eln(flt3_itd=True, flt3_itd_ar=None), None, candidates="intermediate|adverse")


def test_untested_tp53_is_not_wild_type():
    res = eln(npm1=True, tp53=None)
    check(res, None, candidates="favorable|adverse")
    assert "tp53" in res["notes"]


def test_absent_tp53_column_is_unknown():
    frame = patient(npm1=True).drop(columns=["tp53"])
    res = classify(frame, "eln2017").iloc[0]
    check(res, None, candidates="favorable|adverse")


def test_missing_karyotype_leaves_wildtype_patient_undetermined():
    flags = {f: None for f in CYTOGENETIC_FLAGS}
    res = eln(**flags)
    # unknown t(15;17) also leaves open that the ELN table does not apply (option apl)
    check(res, None, candidates="favorable|intermediate|adverse|not_applicable")
    check(
        eln(options={"apl": "ignore"}, **flags), None, candidates="favorable|intermediate|adverse"
    )


def test_missing_value_that_cannot_change_result_does_not_block():
    # RUNX1 mutated (adverse) with unknown ASXL1 and TP53: every candidate is adverse
    check(eln(runx1=True, asxl1=None, tp53=None), "adverse")
    # CBF with unknown NPM1/FLT3: favorable whatever they are
    check(eln(t_8_21=True, npm1=None, flt3_itd=None, flt3_itd_ar=None, runx1=None), "favorable")


def test_normal_karyotype_fills_missing_flags():
    flags = {f: None for f in CYTOGENETIC_FLAGS if f != "normal_karyotype"}
    check(eln(npm1=True, normal_karyotype=True, **flags), "favorable", "ELN2017-F3")
    res = eln(npm1=True, normal_karyotype=True, options={"use_normal_karyotype": False}, **flags)
    assert pd.isna(res["category"])


# --- options --------------------------------------------------------------------------------------


def test_option_flt3_itd_ar_threshold():
    check(eln(npm1=True, flt3_itd=True, flt3_itd_ar=0.6, options={"flt3_itd_ar_threshold": 0.7}),
          "favorable")  # fmt: skip


def test_option_flt3_itd_ar_high_inclusive():
    res = eln(
        npm1=True, flt3_itd=True, flt3_itd_ar=0.5, options={"flt3_itd_ar_high_inclusive": False}
    )
    check(res, "favorable", "ELN2017-F3")


@pytest.mark.parametrize("assume, category", [("high", "intermediate"), ("low", "favorable")])
def test_option_unknown_ar(assume, category):
    res = eln(npm1=True, flt3_itd=True, flt3_itd_ar=None, options={"unknown_ar": assume})
    check(res, category)
    assert f"assumed {assume}" in res["notes"]


@pytest.mark.parametrize(
    "choice, category", [("adverse", "adverse"), ("favorable", "favorable"), ("undetermined", None)]
)
def test_option_tp53_with_favorable(choice, category):
    res = eln(npm1=True, tp53=True, options={"tp53_with_favorable": choice})
    check(res, category)
    if choice == "undetermined":
        assert res["candidates"] == "favorable|adverse"
        assert res["rule"] == "ELN2017-TP53?"


@pytest.mark.parametrize("choice, category", [("favorable", "favorable"), ("adverse", "adverse")])
def test_option_cbf_with_adverse_cytogenetics(choice, category):
    check(
        eln(inv_16=True, minus_7=True, options={"cbf_with_adverse_cytogenetics": choice}), category
    )


@pytest.mark.parametrize("choice, category", [("row", "favorable"), ("adverse", "adverse")])
def test_option_npm1_cebpa_with_adverse_cytogenetics(choice, category):
    options = {"npm1_cebpa_with_adverse_cytogenetics": choice}
    check(eln(npm1=True, complex_karyotype=True, options=options), category)
    check(eln(cebpa_biallelic=True, del_5q=True, options=options), category)


@pytest.mark.parametrize(
    "choice, category", [("adverse", "adverse"), ("intermediate", "intermediate")]
)
def test_option_npm1_itd_high_with_adverse_genes(choice, category):
    res = eln(npm1=True, flt3_itd=True, flt3_itd_ar=0.9, asxl1=True,
              options={"npm1_itd_high_with_adverse_genes": choice})  # fmt: skip
    check(res, category)


@pytest.mark.parametrize("choice, category", [(False, "adverse"), (True, "intermediate")])
def test_option_t911_over_adverse_cytogenetics(choice, category):
    res = eln(t_9_11=True, minus_7=True, options={"t911_over_adverse_cytogenetics": choice})
    check(res, category)


@pytest.mark.parametrize("choice, category", [(True, "intermediate"), (False, "adverse")])
def test_option_t911_over_tp53(choice, category):
    check(eln(t_9_11=True, tp53=True, options={"t911_over_tp53": choice}), category)


def test_option_apl():
    res = eln(t_15_17=True)
    check(res, None, "ELN2017-APL")
    assert pd.isna(res["candidates"])
    assert "does not apply" in res["notes"]
    check(eln(t_15_17=True, options={"apl": "ignore"}), "intermediate", "ELN2017-I4")


def test_option_use_normal_karyotype_default_true():
    from cohort.stratify import options

    table = options("eln2017").set_index("name")
    assert table.loc["use_normal_karyotype", "default"] is True
    assert table.loc["flt3_itd_ar_threshold", "default"] == 0.5


def test_bad_option_value_raises():
    with pytest.raises(ClassificationError, match="unknown_ar"):
        eln(options={"unknown_ar": "maybe"})


# --- issue 13: defaults where the 2017 table is silent (each moved patient gets a note) -----------
# Source of the defaults: curated ELN 2017 labels of Beat AML (Bottomly 2022) call NPM1/CEBPA with
# adverse cytogenetics adverse, and ELN 2022 Table 6 footnote § made it explicit; eln_guidelines.md
# §10 items 4-5.


@pytest.mark.parametrize(
    "lesion", ["t_6_9", "inv_3", "del_5q", "minus_7", "abn_17p", "complex_karyotype",
               "monosomal_karyotype"],
)  # fmt: skip
def test_default_npm1_itd_low_with_adverse_cytogenetics_is_adverse(lesion):
    """Döhner 2017 Table 5 rows F3 vs A1/A4-A6; default 'worst wins' (§10 item 4)."""
    res = eln(npm1=True, flt3_itd=True, flt3_itd_ar=0.2, **{lesion: True})
    check(res, "adverse")
    assert "default npm1_cebpa_with_adverse_cytogenetics='adverse'" in res["notes"]
    literal = eln(npm1=True, flt3_itd=True, flt3_itd_ar=0.2, **{lesion: True},
                  options={"npm1_cebpa_with_adverse_cytogenetics": "row"})  # fmt: skip
    check(literal, "favorable", "ELN2017-F3")
    assert "option npm1_cebpa_with_adverse_cytogenetics='row'" in literal["notes"]


def test_default_biallelic_cebpa_with_minus_7_is_adverse():
    """Döhner 2017 Table 5 row F4 vs A5 (-7): adverse by default, F4 with the literal option."""
    check(eln(cebpa_biallelic=True, minus_7=True), "adverse", "ELN2017-A5")
    check(eln(cebpa_biallelic=True, minus_7=True,
              options={"npm1_cebpa_with_adverse_cytogenetics": "row"}), "favorable", "ELN2017-F4")  # fmt: skip


def test_default_npm1_itd_high_with_adverse_cytogenetics_is_adverse():
    """Döhner 2017 Table 5 row I1 vs A5/A6 (-7 and a complex karyotype with -17): adverse by
    default (as NPM1/ITD^high with RUNX1/ASXL1/TP53); 'intermediate' keeps row I1."""
    res = eln(npm1=True, flt3_itd=True, flt3_itd_ar=0.538, minus_7=True)
    check(res, "adverse", "ELN2017-A5")
    assert "default npm1_itd_high_with_adverse_cytogenetics='adverse'" in res["notes"]
    res = eln(npm1=True, flt3_itd=True, flt3_itd_ar=0.538, complex_karyotype=True, abn_17p=True,
              options={"npm1_itd_high_with_adverse_cytogenetics": "intermediate"})  # fmt: skip
    check(res, "intermediate", "ELN2017-I1")
    assert "option npm1_itd_high_with_adverse_cytogenetics='intermediate'" in res["notes"]


def test_cbf_with_minus_7_is_noted_and_kept_favorable():
    """Döhner 2017 footnotes CK/MK exclude CBF AML: the CBF row wins by default, with a note."""
    res = eln(t_8_21=True, minus_7=True)
    check(res, "favorable", "ELN2017-F1")
    assert "default cbf_with_adverse_cytogenetics='favorable'" in res["notes"]


def test_patient_without_conflict_gets_no_option_note():
    res = eln(npm1=True)
    assert pd.isna(res["notes"]), res.to_dict()


def test_free_text_complex_karyotype_is_adverse():
    """Döhner 2017 Table 5 footnote CK: a complex karyotype is defined in the absence of the
    recurring translocations, so free text 'complex' is adverse (row A6) for an NPM1-wt patient."""
    from cohort.cytogenetics import flags_one

    f = flags_one("complex karyotype")
    values = {k: (None if f[k] is pd.NA else f[k]) for k in CYTOGENETIC_FLAGS if k in f}
    check(eln(**values), "adverse", "ELN2017-A5|ELN2017-A6")  # -5/-7/17p unknown: either row
    assert f["t_8_21"] is False and f["minus_7"] is pd.NA
