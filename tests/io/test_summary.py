"""cohort.summary: counts, exclusions, genotypes, reverse-KM follow-up checked against R."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cohort
from cohort.summary import format_summary, km_median, summarise

DATA = Path(__file__).parents[1] / "data" / "loading"
AMLSG = Path(__file__).parents[2] / "cohort" / "datasets" / "amlsg" / "AMLSG_Clinical_Anon.tsv"
# Written by tests/data/loading/reference_followup.R (R survival: survfit(Surv(t, 1 - status) ~ 1)).
REFERENCE = pd.read_csv(DATA / "reference_followup.csv").set_index("case")["median_days"]


@pytest.mark.parametrize(
    ("case", "time", "status"),
    [
        ("flat_half", [1, 2, 3, 4, 5, 6], [1, 1, 0, 0, 0, 0]),
        ("ties", [10, 10, 20, 20, 20, 30, 40, 40, 50, 60], [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ],
)
def test_reverse_km_median_matches_r(case, time, status):
    med = km_median(pd.Series(time, dtype=float), 1 - pd.Series(status))
    assert med == pytest.approx(REFERENCE[case], abs=1e-12)


def test_amlsg_median_follow_up_matches_r():
    c = cohort.load(
        AMLSG, {"columns": {"PDID": "patient_id", "OS": "os_days", "Status": "os_event"}}
    )
    s = summarise(c)
    assert s["follow_up"]["n"] == 1540
    assert s["follow_up"]["median_days"] == pytest.approx(REFERENCE["amlsg_os"], abs=1e-9)
    assert s["follow_up"]["median_months"] == pytest.approx(REFERENCE["amlsg_os"] / 30.4375)
    assert s["endpoints"]["os"] == {"n": 1540, "events": int(c.data["os_event"].sum())}


def test_median_not_reached_is_none():
    assert km_median(pd.Series([5.0, 6.0, 7.0]), pd.Series([1, 0, 0])) is None


def test_summary_counts_exclusions_genotypes_and_endpoints():
    df = pd.DataFrame(
        {
            "patient_id": ["SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4", "SECRET-5"],
            "age": ["50", "60", "500", "x", "70"],
            "npm1": ["mut", "wt", "mut", "mut", ""],
            "cr_days": [30, 30, 30, 30, None],
            "os_days": [100, 200, 300, 400, 50],
            "os_event": [1, 0, 1, 0, 1],
            "cir_days": [60, 170, 200, 100, None],
            "cir_status": [1, 0, 2, 0, None],
        }
    )
    c = cohort.load(df, on_error="exclude")
    s = summarise(c)
    assert (s["n"], s["n_input"], s["n_excluded"]) == (3, 5, 2)
    assert s["exclusions_by_reason"] == {"age_out_of_range": 1, "not_a_number": 1}
    assert s["genotypes"]["npm1"] == {"n_tested": 2, "n_mutated": 1, "frequency": 0.5}
    assert s["endpoints"]["cir"] == {"n": 2, "events": 1, "relapses": 1, "competing_deaths": 0}
    text = format_summary(s)
    assert "SECRET" not in text
    assert text.splitlines()[0] == "Patients: 3 kept of 5 input rows (2 excluded)."
    assert "  npm1: 1/2 (50.0%)" in text
    assert "  CIR: n=2, events=1 (1 relapses, 0 deaths without relapse)" in text


def test_summarise_accepts_a_dataframe():
    df = pd.DataFrame({"patient_id": ["a", "b"], "os_days": [10.0, 20.0], "os_event": [1, 0]})
    s = summarise(df)
    assert s["n"] == 2 and s["n_excluded"] == 0 and s["follow_up"]["median_days"] == 20.0
    assert "Median follow-up (reverse Kaplan-Meier, n=2): 20 days (0.7 months)." in format_summary(
        s
    )
