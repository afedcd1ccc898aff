"""cohort.mrd.classify on hand-built NPM1 MRD trajectories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.cohort import Cohort
from cohort.errors import ClassificationError, CohortValidationError, SchemaError
from cohort.io.mrd import OUTPUT_COLUMNS, VERSION, classify


def long_table(trajectories: dict[str, list[tuple[float, str, float]]]) -> pd.DataFrame:
    rows = [
        {"patient_id": pid, "days": d, "sample": s, "npm1_abl1_pct": v}
        for pid, samples in trajectories.items()
        for d, s, v in samples
    ]
    return pd.DataFrame(rows)


TRAJECTORIES = {
    # diagnosis 100%, PB negative after cycle 2, BM negative at end of treatment, stays negative
    "negative": [(0, "BM", 100.0), (60, "PB", 0.0), (180, "BM", 0.0), (270, "BM", 0.0)],
    # persistent low-level positivity without a 1-log rise
    "low": [(0, "BM", 80.0), (60, "PB", 0.05), (180, "BM", 0.02), (270, "BM", 0.05)],
    # persistence at or above 2%
    "high": [(0, "BM", 80.0), (60, "PB", 5.0), (180, "BM", 3.0)],
    # never negative; BM rises 0.01 -> 0.1 (exactly 1 log over the BM nadir), confirmed in PB
    "rise": [
        (0, "BM", 100.0),
        (60, "PB", 0.5),
        (180, "BM", 0.01),
        (270, "BM", 0.1),
        (290, "PB", 0.3),
    ],  # fmt: skip
    # BM rise of 0.9 log only: not progression
    "small_rise": [(0, "BM", 100.0), (180, "BM", 0.01), (270, "BM", 0.079)],
    # negative then positive again in BM (conversion), confirmed 2 weeks later
    "relapse": [
        (0, "BM", 50.0),
        (60, "PB", 0.0),
        (180, "BM", 0.0),
        (300, "BM", 0.02),
        (314, "BM", 0.4),
    ],  # fmt: skip
    # conversion with no confirming sample
    "pending": [(0, "BM", 50.0), (180, "BM", 0.0), (300, "BM", 0.02)],
    # conversion refuted by a negative sample within 4 weeks
    "refuted": [(0, "BM", 50.0), (180, "BM", 0.0), (300, "BM", 0.02), (310, "BM", 0.0)],
}


@pytest.fixture(scope="module")
def result() -> pd.DataFrame:
    return classify(long_table(TRAJECTORIES)).set_index("patient_id")


def test_one_row_per_patient_and_columns(result):
    assert sorted(result.index) == sorted(TRAJECTORIES)
    assert tuple(["patient_id", *result.columns]) == OUTPUT_COLUMNS
    assert result.attrs["version"] == VERSION


def test_negative_course(result):
    r = result.loc["negative"]
    assert r["c2_status"] == "negative" and r["eot_status"] == "negative"
    assert r["course"] == "negative" and r["ever_negative"]
    assert pd.isna(r["c2_log10_reduction"])  # undetectable: no finite reduction
    assert pd.isna(r["course_days"])


def test_low_level_persistence(result):
    r = result.loc["low"]
    assert r["c2_status"] == "low level" and r["eot_status"] == "low level"
    assert r["course"] == "low-level persistence"
    assert r["c2_log10_reduction"] == pytest.approx(np.log10(80.0 / 0.05))
    assert r["eot_log10_reduction"] == pytest.approx(np.log10(80.0 / 0.02))
    assert r["nadir_pct"] == pytest.approx(0.02)


def test_persistence_above_low_level_cutoff(result):
    r = result.loc["high"]
    assert r["c2_status"] == "positive" and r["course"] == "persistence"


def test_one_log_rise_is_progression(result):
    r = result.loc["rise"]
    assert r["course"] == "molecular progression"
    assert r["course_days"] == 270
    assert not r["ever_negative"]


def test_rise_below_one_log_is_not_progression(result):
    assert result.loc["small_rise", "course"] == "low-level persistence"


def test_conversion_is_relapse(result):
    r = result.loc["relapse"]
    assert r["course"] == "molecular relapse" and r["course_days"] == 300


def test_unconfirmed_and_refuted(result):
    assert result.loc["pending", "course"] == "unconfirmed rise"
    assert result.loc["refuted", "course"] == "negative"


def test_confirmation_options():
    mrd = long_table({"p": TRAJECTORIES["pending"], "r": TRAJECTORIES["relapse"]})
    out = classify(mrd, require_confirmation=False).set_index("patient_id")
    assert out.loc["p", "course"] == "molecular relapse"
    out = classify(mrd, confirm_within_days=7).set_index("patient_id")
    assert out.loc["r", "course"] == "unconfirmed rise"  # next sample 14 days later


def test_threshold_options():
    mrd = long_table({"low": TRAJECTORIES["low"], "small": TRAJECTORIES["small_rise"]})
    out = classify(mrd, detection_limit=0.03, low_level_cutoff=0.04).set_index("patient_id")
    assert out.loc["low", "eot_status"] == "negative"
    assert out.loc["low", "c2_status"] == "positive"
    out = classify(mrd, rise_log10=0.5).set_index("patient_id")
    assert out.loc["small", "course"] == "unconfirmed rise"  # last sample: nothing confirms it
    out = classify(mrd, rise_log10=0.5, require_confirmation=False).set_index("patient_id")
    assert out.loc["small", "course"] == "molecular progression"
    assert out.loc["small", "course_days"] == 270


def test_window_options():
    mrd = long_table({"a": [(0, "BM", 10.0), (35, "PB", 1.0), (60, "BM", 0.5)]})
    out = classify(mrd).iloc[0]
    assert pd.isna(out["c2_pct"])  # day 35 outside 40-90, BM not the after-cycle-2 tissue
    out = classify(mrd, c2_window=(30, 90)).iloc[0]
    assert out["c2_days"] == 35 and out["c2_pct"] == 1.0
    out = classify(mrd, c2_sample="BM").iloc[0]
    assert out["c2_days"] == 60
    out = classify(mrd, eot_window=(50, 70)).iloc[0]
    assert out["eot_pct"] == 0.5


def test_progression_is_tissue_specific():
    # PB 0.01 then BM 0.5: different tissues, so no rise over a nadir
    mrd = long_table({"a": [(0, "BM", 10.0), (60, "PB", 0.01), (120, "BM", 0.5), (130, "BM", 0.6)]})
    assert classify(mrd).iloc[0]["course"] == "low-level persistence"


def test_patient_without_baseline_or_followup():
    mrd = long_table({"a": [(60, "PB", 0.1)], "b": [(0, "BM", 10.0)]})
    out = classify(mrd).set_index("patient_id")
    assert pd.isna(out.loc["a", "baseline_pct"]) and pd.isna(out.loc["a", "c2_log10_reduction"])
    assert out.loc["b", "n_samples_after_baseline"] == 0 and pd.isna(out.loc["b", "course"])


def test_accepts_cohort_and_lower_case_codes():
    mrd = long_table({"a": [(0, "bm", 10.0), (60, " pb", 0.0)]})
    out = classify(Cohort(pd.DataFrame({"patient_id": ["a"]}), mrd=mrd))
    assert out.iloc[0]["c2_status"] == "negative"
    with pytest.raises(SchemaError, match="no MRD table"):
        classify(Cohort(pd.DataFrame({"patient_id": ["a"]})))


def test_bad_input_names_row_and_value():
    mrd = long_table({"a": [(0, "BM", 10.0), (60, "blood", 0.1), (90, "PB", -0.5)]})
    mrd.loc[3] = ["b", None, "PB", 0.1]
    with pytest.raises(CohortValidationError) as info:
        classify(mrd)
    problems = {(p.reason, p.row, p.value) for p in info.value.problems}
    assert ("unknown_sample", 1, "blood") in problems
    assert ("negative_level", 2, -0.5) in problems
    assert ("missing_days", 3, None) in problems
    assert "row 1" in str(info.value) and "'blood'" in str(info.value)


def test_missing_column_and_bad_options():
    with pytest.raises(SchemaError, match="npm1_abl1_pct"):
        classify(pd.DataFrame({"patient_id": ["a"], "days": [0], "sample": ["PB"]}))
    mrd = long_table({"a": [(0, "BM", 10.0)]})
    with pytest.raises(ClassificationError):
        classify(mrd, version="eln2025")
    with pytest.raises(ClassificationError):
        classify(mrd, c2_sample="CSF")
    with pytest.raises(ClassificationError):
        classify(mrd, c2_window=(90, 40))
    with pytest.raises(ClassificationError):
        classify(mrd, detection_limit=3.0)


def test_vectorised_over_many_patients():
    rng = np.random.default_rng(7)
    n_pat, per = 20_000, 6
    days = np.tile([0, 60, 180, 270, 360, 450], n_pat)
    mrd = pd.DataFrame(
        {
            "patient_id": np.repeat([f"p{i}" for i in range(n_pat)], per),
            "days": days.astype(float),
            "sample": np.tile(["BM", "PB", "BM", "BM", "PB", "BM"], n_pat),
            "npm1_abl1_pct": np.where(
                rng.random(n_pat * per) < 0.3, 0.0, 10 ** rng.uniform(-3, 1, n_pat * per)
            ),
        }
    )
    out = classify(mrd)
    assert len(out) == n_pat
    assert out["course"].notna().all()


def test_baseline_window_option():
    mrd = long_table({"a": [(-90, "BM", 20.0), (0, "PB", 5.0), (60, "PB", 0.2)]})
    out = classify(mrd).iloc[0]
    assert out["baseline_days"] == 0 and out["baseline_pct"] == 5.0
    out = classify(mrd, baseline_window=(-120, 7)).iloc[0]
    assert out["baseline_days"] == -90
    assert out["c2_log10_reduction"] == pytest.approx(2.0)
