"""What to test next: the needs column, its cohort summary and the missing-test analysis (issue 13).

Expected values are read from Döhner 2017 Table 5 (rows F3/I1, footnote AR) and Döhner 2022 Table 6
(footnote a: TP53 VAF >= 10%)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from eln_patients import KARYOTYPE, patients
from typer.testing import CliRunner

from cohort.schema import apply_dtypes
from cohort.stratify import classify
from cohort.stratify.missing_tests import missing_test_impact
from cohort.stratify.needs import needs_summary

NO_KARYOTYPE = dict.fromkeys(KARYOTYPE, None)


def test_needs_names_the_single_deciding_test():
    frame = patients(
        {"npm1": True, "flt3_itd": True, "flt3_itd_ar": None},  # F3 or I1: the ratio decides
        {"npm1": True},  # decided (F3): no needs
        {"npm1": True, "flt3_itd": True, "flt3_itd_ar": None, **NO_KARYOTYPE},
        {**NO_KARYOTYPE},  # NPM1 wild type, no ITD: the karyotype decides
    )
    res = classify(frame, "eln2017")
    assert res["needs"].iloc[0] == "flt3_itd_ar"
    assert pd.isna(res["needs"].iloc[1])
    # ratio high + normal karyotype -> I1, ratio low + -7 -> adverse: both tests are needed
    assert res["needs"].iloc[2] == "karyotype+flt3_itd_ar"
    assert res["needs"].iloc[3] == "karyotype"


def test_needs_tp53_vaf_in_eln2022():
    """NPM1 with TP53 of unknown VAF: adverse if VAF >= 10% (footnote a), else favorable."""
    res = classify(patients({"npm1": True, "tp53": True, "tp53_vaf": None}), "eln2022")
    assert res["candidates"].iloc[0] == "favorable|adverse"
    assert res["needs"].iloc[0] == "tp53_vaf"
    both = classify(patients({"npm1": True, "tp53": None, "tp53_vaf": None}), "eln2022")
    assert both["needs"].iloc[0] == "tp53"  # one assay gives the mutation and its VAF


def test_every_result_of_the_needed_tests_decides():
    """The needs are checked, not guessed: completing them any way gives a category."""
    frame = patients({"npm1": True, "flt3_itd": True, "flt3_itd_ar": None, "runx1": None})
    res = classify(frame, "eln2017")
    # ratio high: I1, or adverse when RUNX1 is mutated (option npm1_itd_high_with_adverse_genes)
    assert res["needs"].iloc[0] == "flt3_itd_ar+runx1"
    for ar in (0.1, 0.9):
        for runx1 in (True, False):
            done = frame.assign(flt3_itd_ar=ar, runx1=runx1)
            done = apply_dtypes(done)
            assert pd.notna(classify(done, "eln2017")["category"].iloc[0])
    # neither test alone decides
    assert pd.isna(classify(apply_dtypes(frame.assign(runx1=False)), "eln2017")["category"].iloc[0])
    assert pd.isna(
        classify(apply_dtypes(frame.assign(flt3_itd_ar=0.9)), "eln2017")["category"].iloc[0]
    )


def test_needs_can_be_switched_off_and_forced():
    frame = patients({"npm1": True, "flt3_itd": True, "flt3_itd_ar": None})
    assert "needs" not in classify(frame, "eln2017", needs=False)
    assert classify(frame, "eln2017", needs=True)["needs"].iloc[0] == "flt3_itd_ar"


def test_needs_summary_counts_the_deciding_tests():
    frame = patients(
        {"npm1": True, "flt3_itd": True, "flt3_itd_ar": None},
        {"npm1": True, "flt3_itd": True, "flt3_itd_ar": None},
        {**NO_KARYOTYPE},
        {"npm1": True},
    )
    table = needs_summary(classify(frame, "eln2017"))
    assert table.attrs["n_undetermined"] == 3
    assert table["test"].tolist() == ["flt3_itd_ar", "karyotype"]
    assert table["decides_alone"].tolist() == [2, 1]
    assert table["percent_of_undetermined"].iloc[0] == pytest.approx(200 / 3)


def test_missing_test_impact_on_a_complete_cohort():
    frame = patients(
        {"npm1": True},  # favorable (F3)
        {"npm1": True, "flt3_itd": True, "flt3_itd_ar": 0.8},  # intermediate (I1)
        {"runx1": True},  # adverse (A8)
        {},  # intermediate (I2)
    )
    table = missing_test_impact(frame, "eln2017").set_index(["test", "handling"])
    npm1 = table.loc[("npm1", "undetermined")]
    # without NPM1 no patient is decided: F3 is possible for all (RUNX1 is exempt with it)
    assert npm1["n_patients"] == 4 and npm1["n_undetermined"] == 4 and npm1["n_changed"] == 0
    neg = table.loc[("npm1", "assume_negative")]
    # NPM1 read as wild type: F3 -> I2 (intermediate), I1 -> A7 (adverse, ITD^high)
    assert neg["n_changed"] == 2
    assert neg["changes"] == "favorable->intermediate 1; intermediate->adverse 1"
    ratio = table.loc[("flt3_itd_ar", "assume_low")]
    assert ratio["n_changed"] == 1 and ratio["changes"] == "intermediate->favorable 1"
    assert table.loc[("flt3_itd_ar", "assume_high"), "n_changed"] == 0


def test_missing_test_impact_unknown_test_column_raises():
    from cohort.errors import ClassificationError

    with pytest.raises(ClassificationError, match="names no column"):
        missing_test_impact(patients({}), "eln2017", tests={"x": ("no_such_column",)})


def test_cli_classify_prints_the_missing_test_table(tmp_path):
    from cohort.cli import app

    frame = patients(
        {"npm1": True, "flt3_itd": True, "flt3_itd_ar": None}, {"npm1": True}, {**NO_KARYOTYPE}
    )
    frame["os_days"], frame["os_event"] = 100.0, 1
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CliRunner().invoke(app, ["classify", str(path), "--system", "eln2017"])
    assert result.exit_code == 0, result.output
    assert (
        "undetermined: 2 the data cannot decide; missing tests that would decide" in result.output
    )
    assert "flt3_itd_ar" in result.output and "karyotype" in result.output


def test_default_search_is_skipped_with_a_warning_above_the_profile_limit(monkeypatch):
    import cohort.stratify as stratify

    monkeypatch.setattr(stratify, "NEEDS_MAX_PROFILES", 1)
    frame = patients(
        {"npm1": True, "flt3_itd": True, "flt3_itd_ar": None}, {"npm1": True, "tp53": None}
    )
    with pytest.warns(UserWarning, match="needs not computed"):
        res = classify(frame, "eln2017")
    assert res["needs"].isna().all()
    assert classify(frame, "eln2017", needs=True)["needs"].notna().all()
