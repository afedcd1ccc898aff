"""Karyotype reading changes of issue 13, on hand-built karyotypes.

Sources: ELN 2017 Table 5 row A2 "t(v;11q23.3); KMT2A rearranged" and row A5 "-5 or del(5q)"; the
AMLSG curators' "-5/5q" column (loss of 5q); ISCN 2020 (one token per extra copy; "or" between
alternative interpretations; "?" for uncertainty)."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort.cytogenetics import flags_one


@pytest.mark.parametrize("kt", ["46,XY,Inv(3)(q21q26)[20]", "46,XY,INV(3)(Q21Q26)[20]",
                                "Inv(3)(q21q26.2)"])  # fmt: skip
def test_abnormality_names_in_any_case(kt):
    f = flags_one(kt)
    assert f["karyotype_status"] == "ok" and f["inv_3"] is True and f["normal_karyotype"] is False


def test_bare_abnormality_is_read_with_a_note():
    f = flags_one("Inv(3)(q21q26.2)")
    assert "no chromosome number" in f["karyotype_note"]


def test_or_alternatives_read_separately_with_unknown_where_they_differ():
    f = flags_one("46,XY,t(9;11)(p22;q23) or t(6;11)(q27;q23)[20]")
    assert f["karyotype_status"] == "ok"
    assert f["t_9_11"] is pd.NA and f["kmt2a_r"] is pd.NA  # which 11q23 partner is unknown
    assert f["minus_7"] is False and f["n_abnormalities"] == 1  # what both readings agree on
    assert "alternatives ('or') read separately" in f["karyotype_note"]


def test_uncertain_mark_is_read_with_a_note():
    f = flags_one("46,XY,?del(5)(q31)[20]")
    assert f["del_5q"] is True and "uncertain (?)" in f["karyotype_note"]


def test_na_element_does_not_fail_the_karyotype():
    f = flags_one("45,XY,-7,na,del(5)(q31q33)[20]")
    assert f["karyotype_status"] == "ok" and f["minus_7"] is True and f["del_5q"] is True
    assert "unidentified element" in f["karyotype_note"]


@pytest.mark.parametrize("kt", ["46,XY,add(5)(q31)[20]", "46,XY,der(5)t(5;17)(q11;q11)[20]"])
def test_unbalanced_5q_loss_is_5q_loss_by_default(kt):
    assert flags_one(kt)["del_5q"] is True
    assert flags_one(kt, del_5q_includes_unbalanced=False)["del_5q"] is False


def test_each_extra_copy_is_an_abnormality():
    """+8,+8 plus one structural abnormality: three abnormalities, a complex karyotype."""
    f = flags_one("48,XY,+8,+8,add(12)(p11)[20]")
    assert f["n_abnormalities"] == 3 and f["complex_karyotype"] is True
    g = flags_one("48,XY,+8,+8,add(12)(p11)[20]", extra_copies_count=False)
    assert g["n_abnormalities"] == 2 and g["complex_karyotype"] is False


@pytest.mark.parametrize(
    "kt, expected",
    [("46,XY,t(11;19)(q23;p13.1)[20]", True), ("46,XY,t(4;11)(q21;q23)[20]", True),
     ("46,XY,t(6;11)(q27;q23)[20]", True), ("46,XY,t(2;11)(p21;q23)[20]", pd.NA),
     ("46,XY,t(11;?)(q23;?)[20]", pd.NA)],
)  # fmt: skip
def test_11q23_with_an_uncommon_partner_is_uncertain(kt, expected):
    f = flags_one(kt)
    assert f["kmt2a_r"] is expected
    if expected is pd.NA:
        assert "not a common KMT2A partner" in f["karyotype_note"]
        assert flags_one(kt, kmt2a_typical_partners_only=False)["kmt2a_r"] is True
