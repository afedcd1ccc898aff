"""Human labels, display units and the natural order of levels come from cohort.schema."""

import pandas as pd
import pytest

from cohort import schema


def test_column_labels_carry_their_units():
    assert schema.label("wbc") == "WBC (x10^9/L)"
    assert schema.label("flt3_itd_ar") == "FLT3-ITD allelic ratio"  # a ratio has no unit to print
    assert schema.label("bm_blasts_pct") == "Bone-marrow blasts (%)"
    assert schema.label("age") == "Age (years)"
    assert schema.label("age", with_unit=False) == "Age"
    assert schema.label("os_days") == "Overall survival time (days)"
    assert schema.label("os_days", time_unit="months") == "Overall survival time (months)"
    assert schema.label("not_a_column") == "not_a_column"
    with pytest.raises(ValueError, match="time_unit"):
        schema.label("os_days", time_unit="weeks")


def test_every_schema_column_has_a_human_label():
    for name in [*schema.COLUMNS, *schema.MRD_COLUMNS]:
        text = schema.label(name, with_unit=False)
        assert text != name or name in ("karyotype",), name
        assert "_" not in text, (name, text)


def test_level_labels():
    assert schema.level_label("npm1", True) == "NPM1 mutated"
    assert schema.level_label("npm1", False) == "NPM1 wild-type"
    assert schema.level_label("npm1", "False") == "NPM1 wild-type"  # as in km group labels
    assert schema.level_label("dnmt3a", True) == "DNMT3A mutated"
    assert schema.level_label("flt3_itd", True) == "FLT3-ITD positive"
    assert schema.level_label("cir_status", 1) == "Relapse"
    assert schema.level_label("cir_status", "2") == "Death without relapse"
    assert schema.level_label("cir_status", 2.0) == "Death without relapse"
    assert schema.level_label("t_8_21", False) == "No t(8;21)"
    assert schema.level_label("complex_karyotype", False) == "No complex karyotype"
    assert schema.level_label("hsct", True) == "Allo-HSCT"
    assert schema.level_label("eln2022", "adverse") == "Adverse"
    assert schema.level_label("mrd_c2", "low level") == "MRD low level"
    assert schema.level_label("sex", pd.NA) == "Unknown"
    assert schema.level_label("site", "Ulm") == "Ulm"


def test_group_labels_read_as_words():
    assert schema.group_label("npm1=True, flt3_itd=False") == "NPM1 mutated, FLT3-ITD negative"
    assert schema.group_label("itd_group=ITD-high") == "FLT3-ITD high (AR >= 0.5)"
    assert schema.group_label("all") == "All patients"
    assert schema.group_label("something else, entirely") == "something else, entirely"


@pytest.mark.parametrize(
    ("column", "shuffled", "natural"),
    [
        ("itd_group", ["ITD-high", "ITD-neg", "ITD-low"], ["ITD-neg", "ITD-low", "ITD-high"]),
        ("mrd_c2", ["positive", "low level", "negative"], ["negative", "low level", "positive"]),
        ("age_band", ["61-65", "<=60", ">65"], ["<=60", "61-65", ">65"]),
        ("other_bands", [">65", "61-65", "<=60"], ["<=60", "61-65", ">65"]),
        ("eln2017", ["adverse", "favorable", "intermediate"],
         ["favorable", "intermediate", "adverse"]),
        ("npm1", [True, False], [False, True]),
        ("site", ["b", "a"], ["b", "a"]),  # no natural order: first seen
    ],
)  # fmt: skip
def test_natural_order(column, shuffled, natural):
    assert schema.level_order(column, shuffled) == natural
    s = schema.ordered(pd.Series([*shuffled, None], name=column))
    assert list(s.cat.categories) == natural and s.cat.ordered
    assert s.isna().sum() == 1 and s.notna().sum() == len(shuffled)  # no row dropped
