"""Cross-field rules (cohort.io.validation.cross_field): values possible alone but contradicting another
column of the same row are problems with a named reason (or, where a real cohort legitimately has
them, a warning naming the rule and rows); identifiers that differ only by case, Unicode form or an
invisible character are named in a warning."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import cohort
from cohort.errors import CohortValidationError

BASE = {
    "patient_id": ["P1", "P2", "P3"],
    "npm1": [True, True, False],
    "npm1_vaf": [0.4, 0.38, None],
    "flt3_itd": [True, False, False],
    "flt3_itd_ar": [0.5, 0.0, 0.0],
    "cr": [True, True, False],
    "cr_days": [30.0, 35.0, None],
    "hsct": [True, False, False],
    "hsct_days": [120.0, None, None],
    "os_days": [700.0, 400.0, 60.0],
    "os_event": [1, 0, 1],
    "rfs_days": [300.0, 365.0, None],
    "rfs_event": [1, 0, None],
    "cir_days": [300.0, 365.0, None],
    "cir_status": [1, 0, None],
}


def _frame(**changes) -> pd.DataFrame:
    frame = pd.DataFrame(BASE)
    for key, (pos, value) in changes.items():
        frame[key] = frame[key].astype(object)
        frame.loc[pos, key] = value
    return frame


def test_consistent_base_loads_without_problems():
    with warnings.catch_warnings():
        warnings.simplefilter("error", cohort.CohortWarning)
        assert len(cohort.load(_frame()).data) == 3


@pytest.mark.parametrize(
    "changes, reason, column, row",
    [
        ({"npm1_vaf": (1, -0.2)}, "negative_vaf", "npm1_vaf", 1),
        ({"flt3_itd_ar": (0, 0.0)}, "itd_ratio_zero", "flt3_itd_ar", 0),
        ({"cr_days": (0, 800.0)}, "cr_after_death", "cr_days", 0),
        ({"hsct_days": (0, 900.0)}, "hsct_after_death", "hsct_days", 0),
        ({"cir_status": (1, 2), "cir_days": (1, 200.0)}, "death_while_alive", "cir_status", 1),
        ({"hsct_days": (1, 100.0)}, "hsct_days_without_hsct", "hsct_days", 1),
        ({"rfs_event": (0, 0)}, "relapse_without_rfs_event", "rfs_event", 0),
    ],
)
def test_contradiction_is_a_named_problem(changes, reason, column, row):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cohort.CohortWarning)
        with pytest.raises(CohortValidationError) as info:
            cohort.load(_frame(**changes))
        problems = [p for p in info.value.problems if p.reason == reason]
        assert problems, [p.reason for p in info.value.problems]
        assert (problems[0].column, problems[0].row) == (column, row)
        assert problems[0].fix
        excluded = cohort.load(_frame(**changes), on_error="exclude")
    assert excluded.n_input == len(excluded.data) + len(excluded.excluded_patients()) == 3
    assert reason in " ".join(excluded.exclusions["reason"])


def test_hsct_after_death_derived_from_dates_is_caught(tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text(
        "patient_id,dx,death,lfu,tx,hsct\n"
        "P1,2016-01-10,2016-06-01,,2016-08-01,yes\n"
        "P2,2016-02-10,,2018-01-01,2016-07-01,yes\n"
    )
    mapping = {"dates": {"diagnosis": "dx", "death": "death", "last_followup": "lfu", "hsct": "tx"}}
    with pytest.raises(CohortValidationError) as info:
        cohort.load(path, mapping=mapping)
    reasons = {(p.reason, p.row) for p in info.value.problems}
    assert ("hsct_after_death", 2) in reasons


def test_rfs_without_cr_is_a_warning_naming_rows():
    frame = _frame(cr=(1, False))
    with pytest.warns(cohort.DataQualityWarning, match=r"time_from_cr_without_cr.*row\(s\) \(1\)"):
        c = cohort.load(frame)
    assert len(c.data) == 3


@pytest.mark.parametrize(
    "a, b",
    [
        ("P001", "p001"),
        ("P001", "P001\u200b"),
        ("Jos\u00e9-1", "Jose\u0301-1"),
        ("P\u00a0001", "P001"),
        ("\ufeffP001", "P001"),
        ("ＰＯ１", "PO1"),
    ],
)
def test_near_duplicate_identifiers_are_named_in_a_warning(a, b):
    frame = pd.DataFrame(
        {"patient_id": [a, "X9", b], "os_days": [1.0, 2.0, 3.0], "os_event": [1, 0, 0]}
    )
    with pytest.warns(cohort.DataQualityWarning, match="differ only by case") as caught:
        c = cohort.load(frame)
    text = " ".join(str(w.message) for w in caught)
    assert repr(a) in text and repr(b) in text and "row 0" in text and "row 2" in text
    assert len(c.data) == 3, "kept as given: only a warning"
