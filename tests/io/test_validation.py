"""Validation rules: every problem collected into one error, or moved to exclusions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cohort
from cohort.errors import CohortValidationError, DataQualityWarning

DATA = Path(__file__).parents[1] / "data" / "loading"


def problems(df: pd.DataFrame, mapping=None):
    with pytest.raises(CohortValidationError) as err:
        cohort.load(df, mapping)
    return err.value.problems


def base(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    data = {"patient_id": [f"P{i:02d}" for i in range(1, n + 1)]}
    data.update(cols)
    return pd.DataFrame(data)


def test_duplicate_ids_name_every_row():
    df = pd.DataFrame({"patient_id": ["P01", "P02", "P01"], "age": [50, 60, 70]})
    ps = problems(df)
    assert [(p.reason, p.row) for p in ps] == [("duplicate_id", 0), ("duplicate_id", 2)]
    assert ps[0].message == "this identifier appears in 2 rows (0, 2)."
    assert ps[0].fix == "Keep one row per patient (merge repeated samples before loading)."


def test_missing_id():
    [p] = problems(pd.DataFrame({"patient_id": ["P01", "NA"], "age": [50, 60]}))
    assert (p.reason, p.row, p.message) == ("missing_id", 1, "the patient identifier is missing.")


def test_negative_time():
    [p] = problems(base(os_days=[100, -3], os_event=[0, 1]))
    assert (p.reason, p.column, p.value) == ("negative_time", "os_days", -3.0)
    assert p.message == "a time cannot be negative."


def test_missing_time_with_event():
    [p] = problems(base(os_days=[100, None], os_event=[0, 1]))
    assert (p.reason, p.column, p.row) == ("missing_time_with_event", "os_days", 1)
    assert p.message == "OS has an event but no time."
    assert p.fix == "Fill os_days, or set os_event to missing if the outcome is unknown."


@pytest.mark.parametrize(
    ("col", "bad", "allowed"), [("os_event", 2, "0, 1"), ("cir_status", 3, "0, 1, 2")]
)
def test_event_codes_out_of_range(col, bad, allowed):
    tcol = "os_days" if col == "os_event" else "cir_days"
    [p] = problems(base(**{tcol: [10, 20], col: [0, bad]}))
    assert (p.reason, p.value) == ("event_out_of_range", bad)
    assert p.message == f"event code out of range; {col} must be one of {allowed}."


def test_efs_after_os():
    [p] = problems(base(os_days=[300, 200], os_event=[1, 1], efs_days=[100, 250], efs_event=[1, 1]))
    assert p.describe() == (
        "column 'efs_days', row 1, value 'efs_days=250, os_days=200': EFS is longer than OS; an "
        "EFS event or censoring cannot come after death or last follow-up. Fix: Check both times "
        "(the same unit? EFS measured from diagnosis?)."
    )


def test_efs_equal_to_os_after_month_conversion_is_not_a_problem():
    df = base(os_days=[7.3], os_event=[1], efs_days=[7.3], efs_event=[1])
    c = cohort.load(df, {"units": {"time": "months"}})
    assert len(c) == 1


def test_relapse_after_death_and_rfs_after_os():
    df = base(
        cr_days=[30, 30], os_days=[200, 200], os_event=[1, 0],
        rfs_days=[150, 190], rfs_event=[1, 1], cir_days=[190, 150], cir_status=[1, 1],
    )  # fmt: skip
    ps = problems(df)
    assert [(p.reason, p.row, p.column) for p in ps] == [
        ("relapse_after_death", 0, "cir_days"),
        ("rfs_after_os", 1, "rfs_days"),
    ]
    assert ps[0].message == "the relapse (CR + CIR time) comes after death (OS time)."
    assert ps[0].value == "cr_days=30, cir_days=190, os_days=200"
    assert ps[1].message == (
        "CR time + rfs_days is longer than OS; rfs_days must end by death or last follow-up."
    )


def test_flt3_negative_with_positive_ratio():
    [p] = problems(base(flt3_itd=["neg", "pos"], flt3_itd_ar=[0.4, 0.4]))
    assert (p.reason, p.row, p.value) == ("flt3_itd_inconsistent", 0, 0.4)
    assert p.message == "FLT3-ITD is negative but the allelic ratio is positive."


def test_vaf_above_one_suggests_percent_unit():
    [p] = problems(base(npm1_vaf=["0.41", "38.5"]))
    assert (p.reason, p.value) == ("vaf_above_one", 38.5)
    assert p.fix == "If VAFs are percentages, declare units: {vaf: percent} in the mapping."


def test_age_out_of_range():
    [p] = problems(base(age=["67", "671"]))
    assert p.describe() == (
        "column 'age', row 1, value 671: age must lie between 0 and 120 years. Fix: Check the "
        "value (age in years at diagnosis, not a date or days)."
    )


def test_other_bounds():
    [p] = problems(base(bm_blasts_pct=[45, 140]))
    assert (p.reason, p.message) == ("out_of_range", "bm_blasts_pct must lie between 0 and 100 %.")


def test_unknown_code_in_file_names_file_user_column_and_spreadsheet_row(tmp_path):
    path = tmp_path / "trial.csv"
    path.write_text("ID,Sex,NPM1\nA1,m,mut\nA2,x,wt\nA3,f,maybe\n")
    with pytest.raises(CohortValidationError) as err:
        cohort.load(path, {"columns": {"ID": "patient_id", "Sex": "sex", "NPM1": "npm1"}})
    text = str(err.value)
    assert text.splitlines()[0] == "2 problem(s) found in trial.csv:"
    assert text.splitlines()[1].startswith(
        "  - file trial.csv, column 'Sex (sex)', row 3, value 'x': 'x' is not a known code for sex"
    )
    assert "column 'NPM1 (npm1)', row 4, value 'maybe'" in text.splitlines()[2]
    assert text.splitlines()[-1].startswith("Correct the input, declare the codes or units")


def test_all_problems_collected_in_one_error():
    df = pd.DataFrame(
        {"patient_id": ["P1", "P1", "P3"], "age": ["200", "50", "x"], "os_days": [-1, 10, 10],
         "os_event": [1, 5, 0]}
    )  # fmt: skip
    reasons = sorted(p.reason for p in problems(df))
    assert reasons == sorted(
        ["duplicate_id", "duplicate_id", "age_out_of_range", "not_a_number", "negative_time",
         "event_out_of_range"]
    )  # fmt: skip


def test_exclude_moves_each_row_once_with_all_reasons():
    df = pd.DataFrame(
        {"patient_id": ["P1", "P2", "P3", "P4"], "age": ["200", "50", "x", "61"],
         "os_days": [-1, 10, 10, 40], "os_event": [1, 0, 0, 1]}
    )  # fmt: skip
    c = cohort.load(df, on_error="exclude")
    assert c.data["patient_id"].tolist() == ["P2", "P4"]
    assert list(c.data.index) == [0, 1]
    assert c.exclusions["row"].tolist() == [0, 2]
    assert c.exclusions["reason"].tolist() == ["negative_time; age_out_of_range", "not_a_number"]
    assert c.exclusions["patient_id"].tolist() == ["P1", "P3"]
    assert c.n_input == 4 == len(c.data) + len(c.exclusions)


def test_warnings_go_to_report_and_warn():
    df = base(age=[16, 50], os_days=[0, 10], os_event=[1, 0])
    with pytest.warns(DataQualityWarning) as rec:
        c = cohort.load(df)
    assert c.report["warnings"] == [
        "1 patient(s) younger than 18 years.",
        "1 patient(s) with OS time 0 days.",
    ]
    assert len(rec) == 2 and "<DataFrame>: 1 patient(s) younger than 18 years." in str(
        rec[0].message
    )


def test_dataframe_rows_say_they_are_positions():
    with pytest.raises(CohortValidationError) as err:
        cohort.load(base(age=[500]))
    assert (
        str(err.value)
        .splitlines()[1]
        .startswith("  - file <DataFrame> (row = 0-based DataFrame position), column 'age', row 0")
    )


def test_real_amlsg_table_problems_are_found():
    # Five AMLSG patients have an EFS or RFS event without a time in the published table.
    mapping = DATA / "amlsg_outcomes.yaml"
    path = DATA.parent.parent.parent / "cohort/datasets/amlsg/AMLSG_Clinical_Anon.tsv"
    with pytest.warns(DataQualityWarning, match="11 patient"):
        c = cohort.load(path, mapping, on_error="exclude")
    assert c.exclusions["row"].tolist() == [163, 327, 443, 447, 522]
    assert set(c.exclusions["reason"]) == {"missing_time_with_event"}
    # the problem is confined to EFS or RFS: that endpoint is blanked, the patient (and OS) kept
    assert set(c.exclusions["scope"]) <= {"efs", "rfs"} and len(c) == 1540 == c.n_input


def test_real_tcga_table_infinite_times_are_reported_once():
    # The TCGA LAML annotation writes unknown follow-up as -Inf in 12 rows (R's max() of nothing).
    path = DATA.parent.parent.parent / "cohort/datasets/tcga/tcga_laml_annot.tsv"
    mapping = {"columns": {"Tumor_Sample_Barcode": "patient_id",
                           "days_to_last_followup": "os_days",
                           "Overall_Survival_Status": "os_event"}}  # fmt: skip
    with pytest.raises(CohortValidationError) as err:
        cohort.load(path, mapping)
    ps = err.value.problems
    assert len(ps) == 12 and {p.reason for p in ps} == {"not_a_number"}
    assert ps[0].describe("tcga_laml_annot.tsv") == (
        "file tcga_laml_annot.tsv, column 'days_to_last_followup (os_days)', row 86, value '-Inf': "
        "'-Inf' is not a finite number. Fix: Write a plain number with a dot as decimal separator "
        "(no units or text), or leave the cell empty if unknown."
    )
