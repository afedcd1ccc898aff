"""FLT3-ITD allelic ratio above 1 without a declared unit is refused (issue 13).

Döhner 2017 Table 5 footnote AR: the ratio is the area under the curve 'FLT3-ITD' divided by the
area under the curve 'FLT3-wild type' (a ratio, not a VAF); eln_guidelines.md §1c: AR = VAF/(1-VAF)."""

from __future__ import annotations

import pandas as pd
import pytest

import cohort
from cohort.errors import CohortValidationError


def frame(ar: list) -> pd.DataFrame:
    n = len(ar)
    return pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "flt3_itd": ["pos"] * n,
                         "flt3_itd_ar": ar})  # fmt: skip


def test_percent_ratio_without_unit_is_refused_naming_the_unit():
    with pytest.raises(CohortValidationError) as err:
        cohort.load(frame(["0.4", "35.8", "52.0"]))  # most values above 1: percentages
    p = err.value.problems[0]
    assert [q.row for q in err.value.problems] == [1, 2]
    assert (p.reason, p.row, p.column, p.value) == ("flt3_itd_ar_unit_undeclared", 1,
                                                    "flt3_itd_ar", 35.8)  # fmt: skip
    assert "ITD / wild type" in p.message and "not a VAF" in p.message
    assert "units: {flt3_itd: percent_ratio}" in p.fix and "vaf_percent" in p.fix


@pytest.mark.parametrize(
    "unit, expected",
    [("percent_ratio", [0.004, 0.358]), ("ratio", [0.4, 35.8]),
     ("vaf_percent", [0.4 / 99.6, 0.358 / 0.642])],
)  # fmt: skip
def test_declared_unit_is_accepted_and_converted(unit, expected):
    c = cohort.load(frame(["0.4", "35.8"]), {"units": {"flt3_itd": unit}})
    assert c.data["flt3_itd_ar"].astype(float).tolist() == pytest.approx(expected)


def test_ratio_up_to_one_needs_no_declaration():
    c = cohort.load(frame(["0.4", "1.0"]))
    assert c.data["flt3_itd_ar"].astype(float).tolist() == [0.4, 1.0]


def test_a_few_ratios_above_one_in_a_ratio_column_are_accepted():
    """ITD peak larger than wild type: real ratios of 1-10 in a column of ratios."""
    c = cohort.load(frame(["0.2", "0.4", "1.6"]))
    assert c.data["flt3_itd_ar"].astype(float).tolist() == [0.2, 0.4, 1.6]


def test_one_value_above_ten_is_refused_even_among_ratios():
    with pytest.raises(CohortValidationError) as err:
        cohort.load(frame(["0.2", "0.4", "35.8"]))
    assert [(p.reason, p.value) for p in err.value.problems] == [
        ("flt3_itd_ar_unit_undeclared", 35.8)
    ]


def test_bundled_beataml_declares_its_ratio_unit():
    """Beat AML's allelicRatio is ITD / wild type and exceeds 1 for 38 patients (max 32.3)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = cohort.datasets.load("beataml").data
    assert (data["flt3_itd_ar"] > 1).sum() >= 30
