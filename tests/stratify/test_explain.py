"""explain() follows classify's candidate search and shows every lesion a rule reads (issue 13).

Hand-built patients; expected rows from Döhner 2017 Table 5 and Döhner 2022 Table 6."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from eln_patients import patients

from cohort.stratify import SYSTEMS, classify, explain


def test_undetermined_patient_is_explained_as_undetermined():
    """NPM1 + FLT3-ITD with unknown ratio: row F3 (favorable) or I1 (intermediate), Table 5 AR."""
    frame = patients({"npm1": True, "flt3_itd": True, "flt3_itd_ar": None})
    text = explain(frame, "eln2017", "P0", echo=False)
    assert "category: undetermined between favorable and intermediate" in text
    assert "possible rows: ELN2017-F3, ELN2017-I1" in text
    assert "APPLIES" not in text
    assert "POSSIBLY applies ELN2017-F3" in text and "POSSIBLY applies ELN2017-I1" in text
    assert "flt3_itd_ar = missing" in text
    assert "would be decided by testing: flt3_itd_ar" in text


def test_outranked_lesions_and_the_option_that_outranked_them_are_shown():
    """NPM1 + ITD^high (ratio 0.538) with -7 and a complex karyotype, literal row I1 kept by option:
    rows A5 and A6 apply but I1 comes first; the option and the ratio are shown."""
    frame = patients({"npm1": True, "flt3_itd": True, "flt3_itd_ar": 0.538, "minus_7": True,
                      "complex_karyotype": True})  # fmt: skip
    opt = {"npm1_itd_high_with_adverse_cytogenetics": "intermediate"}
    text = explain(frame, "eln2017", "P0", echo=False, **opt)
    assert "APPLIES       ELN2017-I1" in text
    assert "OUTRANKED     ELN2017-A5" in text and "OUTRANKED     ELN2017-A6" in text
    assert "flt3_itd_ar = 0.538" in text
    assert "npm1_itd_high_with_adverse_cytogenetics='intermediate'" in text
    assert "npm1_itd_high_with_adverse_cytogenetics='intermediate'*" in text  # options in force
    # default: the adverse cytogenetics outrank row I1, and the explanation names the option
    text = explain(frame, "eln2017", "P0", echo=False)
    assert "APPLIES       ELN2017-A5" in text
    assert "outranked by: adverse cytogenetics outrank row I1" in text
    assert "[-7]" in text


def test_runx1_outranked_by_a_favorable_row_shows_the_footnote():
    """Döhner 2017 footnote RUNX1/ASXL1: not adverse with a favorable subtype (row F3 places)."""
    text = explain(patients({"npm1": True, "runx1": True}), "eln2017", "P0", echo=False)
    assert "APPLIES       ELN2017-F3" in text and "OUTRANKED     ELN2017-A8" in text
    assert "should not be used as an adverse prognostic marker" in text


def test_tp53_vaf_value_is_shown_in_eln2022():
    """ELN 2022 footnote a: TP53 VAF >= 10%; the VAF behind the fact is printed."""
    frame = patients({"tp53": True, "tp53_vaf": 0.12})
    text = explain(frame, "eln2022", "P0", echo=False)
    assert "APPLIES       ELN2022-A10" in text
    assert "tp53_vaf = 0.12" in text


@pytest.mark.parametrize("system", ["eln2017", "eln2017_eisfeld2020", "eln2022"])
def test_explain_never_contradicts_classify(system):
    """Random patients with missing inputs: the header is classify's result, an undetermined
    patient has no APPLIES line, and a placed patient's rule is the one shown as applying."""
    rng = np.random.default_rng(13)
    rows = []
    for _ in range(40):
        row = {g: bool(rng.random() < 0.15) for g in ("npm1", "flt3_itd", "tp53", "runx1",
                                                      "asxl1", "cebpa_biallelic")}  # fmt: skip
        row |= {f: bool(rng.random() < 0.05) for f in ("minus_7", "t_8_21", "complex_karyotype")}
        row["flt3_itd_ar"] = float(rng.choice([0.2, 0.7])) if row["flt3_itd"] else 0.0
        row["tp53_vaf"] = float(rng.choice([0.05, 0.3])) if row["tp53"] else 0.0
        for col in ("flt3_itd_ar", "tp53", "minus_7", "runx1", "tp53_vaf"):
            if rng.random() < 0.25:
                row[col] = None
        rows.append(row)
    frame = patients(*rows)
    result = classify(frame, system)
    for i in range(len(frame)):
        text = explain(frame, system, f"P{i}", echo=False)
        res = result.iloc[i]
        if pd.isna(res["category"]):
            assert "APPLIES" not in text, text
            if not pd.isna(res["candidates"]):
                cands = " and ".join(res["candidates"].split("|"))
                assert f"undetermined between {cands}" in text
        else:
            assert f"category: {res['category']}" in text
            first = str(res["rule"]).split(">")[0]
            if "|" not in first:
                assert f"APPLIES       {first}" in text, text


def test_every_registered_system_explains():
    frame = patients({"npm1": True})
    for system in SYSTEMS:
        assert "options in force" in explain(frame, system, "P0", echo=False)
