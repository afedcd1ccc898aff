"""Dates given as Excel serial numbers: declared conversion, refusal to guess, XLSX unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

import cohort
from cohort.errors import CohortValidationError, MappingError

DATA = Path(__file__).parents[1] / "data" / "loading"
TODAY = pd.Timestamp("2024-06-30")
DATE_COLUMNS = ["Dx", "CRdate", "RelDate", "DeathDate", "LFU"]
ENDPOINTS = ["cr", "os_days", "os_event", "efs_days", "efs_event", "rfs_days", "rfs_event",
             "cir_days", "cir_status"]  # fmt: skip
MAPPING = (DATA / "dates_mapping.yaml").read_text()
# Day 0 of each system as Microsoft documents it (1900: serial 1 = 1900-01-01 with the fictitious
# 29 February 1900, hence day 0 = 1899-12-30 for later dates; 1904: serial 0 = 1904-01-01).
DAY_ZERO = {1900: dt.date(1899, 12, 30), 1904: dt.date(1904, 1, 1)}


def iso_cohort() -> pd.DataFrame:
    return pd.read_csv(DATA / "dates_cohort.csv", dtype=str, keep_default_na=False)


def as_serials(frame: pd.DataFrame, system: int, columns=DATE_COLUMNS) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        out[col] = [
            str((dt.date.fromisoformat(v) - DAY_ZERO[system]).days) if v else "" for v in out[col]
        ]
    return out


def load_csv(tmp_path: Path, frame: pd.DataFrame, extra_yaml: str = "", name: str = "c.csv"):
    table = tmp_path / name
    frame.to_csv(table, index=False)
    mapping = tmp_path / f"{name}.yaml"
    mapping.write_text(MAPPING + extra_yaml)
    return cohort.load(table, mapping, today=TODAY)


def endpoints(c) -> pd.DataFrame:
    return c.data.set_index("patient_id")[ENDPOINTS]


def test_documented_serial_anchors():
    # Independent of our code: openpyxl's converter agrees with the values Excel shows.
    assert from_excel(43831) == dt.datetime(2020, 1, 1)
    assert from_excel(43831 - 1462, epoch=CALENDAR_MAC_1904) == dt.datetime(2020, 1, 1)
    c = cohort.load(
        pd.DataFrame(
            {"patient_id": ["a", "b"], "dx": ["43831", "42370"], "lfu": ["45292", "44197"]}
        ),
        {"dates": {"diagnosis": "dx", "last_followup": "lfu"}, "date_format": "excel_1900"},
        today=TODAY,
    )
    # 2020-01-01 -> 2024-01-01 and 2016-01-01 -> 2021-01-01.
    expected = [
        (dt.date(2024, 1, 1) - dt.date(2020, 1, 1)).days,
        (dt.date(2021, 1, 1) - dt.date(2016, 1, 1)).days,
    ]
    assert c.data["os_days"].tolist() == expected


def test_serial_csv_gives_the_same_endpoints_as_iso_csv(tmp_path):
    iso = load_csv(tmp_path, iso_cohort(), name="iso.csv")
    serial = load_csv(
        tmp_path, as_serials(iso_cohort(), 1900), "date_format: excel_1900\n", name="serial.csv"
    )
    pd.testing.assert_frame_equal(endpoints(serial), endpoints(iso))
    assert serial.exclusions.empty
    # The derived times are real numbers of days, not all missing.
    assert endpoints(iso)[["os_days", "efs_days", "rfs_days", "cir_days"]].notna().sum().min() >= 3
    notes = [u for u in serial.report["units"] if "Excel serial" in u]
    assert (
        notes[0] == "Dx: 6 Excel serial number(s) -> dates (1900 date system, day 0 = 1899-12-30)"
    )


def test_1904_system_gives_the_same_endpoints(tmp_path):
    iso = load_csv(tmp_path, iso_cohort(), name="iso.csv")
    mac = as_serials(iso_cohort(), 1904)
    assert from_excel(int(mac.loc[0, "Dx"]), epoch=CALENDAR_MAC_1904) == dt.datetime(2015, 1, 10)
    c = load_csv(tmp_path, mac, "date_format: excel_1904\n", name="mac.csv")
    pd.testing.assert_frame_equal(endpoints(c), endpoints(iso))
    # The same numbers read in the wrong system are 1462 days (4 years) earlier: the intervals are
    # unchanged but the dates are not, which is why the system must be declared, not guessed.
    wrong = load_csv(tmp_path, mac, "date_format: excel_1900\n", name="wrong.csv")
    pd.testing.assert_frame_equal(endpoints(wrong), endpoints(iso))


def test_conversion_agrees_with_openpyxl_over_the_whole_plausible_range():
    rng = np.random.default_rng(20240630)
    serials = np.concatenate([[61, 20000, 43831, 60000], rng.integers(61, 60001, 200)])
    fractions = np.round(rng.random(len(serials)) * 86400) / 86400
    values = serials + fractions
    for system, epoch in ((1900, CALENDAR_WINDOWS_1900), (1904, CALENDAR_MAC_1904)):
        from cohort.io.endpoints import _from_excel_serial

        ours = _from_excel_serial(pd.Series(values), system)
        reference = [pd.Timestamp(from_excel(v, epoch=epoch)).round("s") for v in values]
        assert ours.tolist() == reference


def test_mixed_iso_and_serial_column_with_the_option():
    frame = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "dx": ["2020-01-01", "43831", 43831, "soon"],
            "lfu": ["44197", "2021-01-01", "2021-01-01", "2021-01-01"],
        }
    )
    mapping = {"dates": {"diagnosis": "dx", "last_followup": "lfu"}, "date_format": "excel_1900"}
    with pytest.raises(CohortValidationError) as err:
        cohort.load(frame, mapping, today=TODAY)
    [problem] = err.value.problems
    assert (problem.reason, problem.row, problem.value) == ("bad_date", 3, "soon")
    assert problem.message == "this date does not parse as an ISO date (YYYY-MM-DD)."
    c = cohort.load(frame, mapping, today=TODAY, on_error="exclude")
    assert c.data["os_days"].tolist() == [366, 366, 366]
    assert c.exclusions["patient_id"].tolist() == ["d"]


def test_mixed_column_with_dayfirst_text():
    frame = pd.DataFrame({"patient_id": ["a", "b"], "dx": ["01/02/2020", "43862"],
                          "lfu": ["01/03/2020", "43891"]})  # fmt: skip
    mapping = {"dates": {"diagnosis": "dx", "last_followup": "lfu"}, "date_format": "excel_1900",
               "dayfirst": True}  # fmt: skip
    c = cohort.load(frame, mapping, today=TODAY)
    assert c.data["os_days"].tolist() == [29, 29]  # 1 Feb 2020 -> 1 Mar 2020 (leap year)


def test_serial_without_the_option_is_refused_with_the_fix(tmp_path):
    with pytest.raises(CohortValidationError) as err:
        load_csv(tmp_path, as_serials(iso_cohort(), 1900, columns=["Dx"]))
    # One bad_date per diagnosis cell; the follow-on problems (no endpoint) come on top.
    problems = [p for p in err.value.problems if p.reason == "bad_date"]
    assert [p.row for p in problems] == [2, 3, 4, 5, 6, 7]
    first = problems[0]
    # pandas reads a column of whole numbers as integers; the value is shown as read.
    assert (first.column, first.row, first.value) == ("Dx (diagnosis date)", 2, 42014)
    text = str(err.value)
    assert (
        "column 'Dx (diagnosis date)', row 2, value 42014: this date is a plain number, which "
        "looks like an Excel serial date (42014 is 2015-01-10 in Excel's 1900 date system); "
        "serial dates are not guessed. Fix: Declare the Excel date system in the mapping: "
        "'date_format: excel_1900' (Excel for Windows, and most CSV exports) or "
        "'date_format: excel_1904' (workbooks from Excel for Mac 2008 and earlier); or write "
        "dates as YYYY-MM-DD."
    ) in text
    assert "row 7, value 42444: this date is a plain number" in text  # P06, diagnosed 2016-03-15


def test_other_numbers_keep_the_plain_bad_date_message():
    frame = pd.DataFrame({"patient_id": ["a"], "dx": ["123"], "lfu": ["2021-01-01"]})
    mapping = {"dates": {"diagnosis": "dx", "last_followup": "lfu"}}
    with pytest.raises(CohortValidationError) as err:
        cohort.load(frame, mapping, today=TODAY)
    [problem] = err.value.problems
    assert problem.message == "this date does not parse as an ISO date (YYYY-MM-DD)."


def test_numbers_outside_excel_dates_are_bad_dates_with_the_option():
    frame = pd.DataFrame({"patient_id": ["a", "b", "c"], "dx": ["60", "-5", "1e9"],
                          "lfu": ["2021-01-01"] * 3})  # fmt: skip
    mapping = {"dates": {"diagnosis": "dx", "last_followup": "lfu"}, "date_format": "excel_1900"}
    with pytest.raises(CohortValidationError) as err:
        cohort.load(frame, mapping, today=TODAY)
    problems = err.value.problems
    assert [(p.reason, p.value) for p in problems] == [
        ("bad_date", "60"), ("bad_date", "-5"), ("bad_date", "1e9"),
    ]  # fmt: skip
    assert problems[0].message == (
        "this number is not a date in Excel's 1900 date system (serials start at 61, 1 March 1900)."
    )
    assert "'date_format: excel_1900'" in problems[0].fix


@pytest.mark.parametrize(
    ("system", "dx", "lfu"), [(1900, "43831", "46000"), (1904, "42369", "44538")]
)
def test_future_serial_is_a_future_date(system, dx, lfu):
    # 46000 (1900 system) and 44538 (1904 system) are both 9 December 2025 in Excel.
    frame = pd.DataFrame({"patient_id": ["a"], "dx": [dx], "lfu": [lfu]})
    mapping = {
        "dates": {"diagnosis": "dx", "last_followup": "lfu"},
        "date_format": f"excel_{system}",
    }
    with pytest.raises(CohortValidationError) as err:
        cohort.load(frame, mapping, today=TODAY)
    [problem] = err.value.problems
    assert (problem.reason, problem.value) == ("future_date", "2025-12-09")


@pytest.mark.parametrize("value", ["excel_serial", "Excel_1900", "excel1904"])
def test_misspelt_excel_format_is_a_mapping_error(value):
    with pytest.raises(MappingError, match="for Excel serial dates use 'excel_1900'"):
        cohort.load(pd.DataFrame({"patient_id": ["a"]}), {"date_format": value})


def write_xlsx(path: Path, frame: pd.DataFrame, epoch=CALENDAR_WINDOWS_1900) -> None:
    wb = Workbook()
    wb.epoch = epoch
    ws = wb.active
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([dt.datetime.fromisoformat(v) if k in DATE_COLUMNS and v else (v or None)
                   for k, v in zip(frame.columns, row, strict=True)])  # fmt: skip
    for col in ws.iter_cols(min_row=2):
        for cell in col:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd"
    wb.save(path)


@pytest.mark.parametrize("epoch", [CALENDAR_WINDOWS_1900, CALENDAR_MAC_1904])
def test_xlsx_with_real_dates_is_unchanged(tmp_path, epoch):
    iso = load_csv(tmp_path, iso_cohort(), name="iso.csv")
    path = tmp_path / "dates.xlsx"
    write_xlsx(path, iso_cohort(), epoch)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING)
    c = cohort.load(path, mapping, today=TODAY)
    pd.testing.assert_frame_equal(endpoints(c), endpoints(iso))
    assert not any("Excel serial" in u for u in c.report.get("units", []))


def test_xlsx_with_serial_numbers_needs_the_option_too(tmp_path):
    # Date cells formatted as "General" reach us as numbers even from a workbook.
    iso = load_csv(tmp_path, iso_cohort(), name="iso.csv")
    serials = as_serials(iso_cohort(), 1900)
    wb = Workbook()
    ws = wb.active
    ws.append(list(serials.columns))
    for row in serials.itertuples(index=False):
        ws.append([int(v) if k in DATE_COLUMNS and v else (v or None)
                   for k, v in zip(serials.columns, row, strict=True)])  # fmt: skip
    path = tmp_path / "serials.xlsx"
    wb.save(path)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING)
    with pytest.raises(CohortValidationError, match="'date_format: excel_1900'"):
        cohort.load(path, mapping, today=TODAY)
    mapping.write_text(MAPPING + "date_format: excel_1900\n")
    c = cohort.load(path, mapping, today=TODAY)
    pd.testing.assert_frame_equal(endpoints(c), endpoints(iso))
