"""Endpoints derived from dates (ELN 2017 definitions) and date problems."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cohort
from cohort.errors import CohortValidationError, DataQualityWarning, MappingError
from cohort.io.endpoints import endpoints_from_dates

DATA = Path(__file__).parents[1] / "data" / "loading"
TODAY = pd.Timestamp("2024-06-30")


def dates(**cols) -> pd.DataFrame:
    return pd.DataFrame({k: pd.to_datetime(v) for k, v in cols.items()})


def test_hand_computed_endpoints_for_the_four_patient_paths():
    # 1 CR then relapse then death; 2 no CR, died; 3 CR, alive in CR; 4 CR, death in CR.
    d = dates(
        diagnosis=["2015-01-10", "2015-03-01", "2015-04-01", "2015-05-01"],
        cr=["2015-02-20", None, "2015-05-10", "2015-06-01"],
        relapse=["2016-01-05", None, None, None],
        death=["2016-06-01", "2015-05-15", None, "2017-02-01"],
        last_followup=[None, None, "2019-04-01", None],
    )
    out = endpoints_from_dates(d)
    assert out["cr"].tolist() == [True, False, True, True]
    assert out["cr_days"].tolist()[0] == 41 and pd.isna(out["cr_days"].iloc[1])
    assert out["os_days"].tolist() == [508, 75, 1461, 642]
    assert out["os_event"].tolist() == [1, 1, 0, 1]
    # ELN 2017: failure to reach CR is an EFS event at day 1.
    assert out["efs_days"].tolist() == [360, 1, 1461, 642]
    assert out["efs_event"].tolist() == [1, 1, 0, 1]
    # RFS and CIR are measured from CR, only for patients in CR.
    assert out["rfs_days"].tolist()[0] == 319 and pd.isna(out["rfs_days"].iloc[1])
    assert out["rfs_days"].iloc[2:].tolist() == [1422, 611]
    assert out["rfs_event"].iloc[[0, 2, 3]].tolist() == [1, 0, 1]
    assert out["cir_status"].iloc[[0, 2, 3]].tolist() == [1, 0, 2]
    assert out["cir_days"].equals(out["rfs_days"])
    assert str(out["os_days"].dtype) == "Float64" and str(out["cir_status"].dtype) == "Int64"


def test_cr_column_overrides_missing_cr_date():
    d = dates(diagnosis=["2020-01-01", "2020-01-01"], cr=[None, None],
              death=[None, None], last_followup=["2021-01-01", "2021-01-01"])  # fmt: skip
    out = endpoints_from_dates(d, cr=pd.Series([True, pd.NA], dtype="boolean"))
    # In CR without a CR date: EFS from diagnosis is known, RFS/CIR (from CR) are not.
    assert out["efs_days"].tolist() == [366, 1] and out["efs_event"].tolist() == [0, 1]
    assert out["rfs_days"].isna().all()


def test_hsct_date_gives_hsct_and_timing():
    d = dates(diagnosis=["2020-01-01", "2020-01-01"], hsct=["2020-05-01", None],
              last_followup=["2021-01-01", "2021-01-01"])  # fmt: skip
    out = endpoints_from_dates(d)
    assert out["hsct"].tolist() == [True, False]
    assert out["hsct_days"].iloc[0] == 121


def test_load_derives_endpoints_from_fixture_file():
    c = cohort.load(DATA / "dates_cohort.csv", DATA / "dates_mapping.yaml", today=TODAY)
    d = c.data.set_index("patient_id")
    assert d.loc["P01", ["os_days", "efs_days", "rfs_days", "cir_status"]].tolist() == [
        508,
        360,
        319,
        1,
    ]
    assert d.loc["P05", ["cr", "efs_days", "efs_event", "os_event"]].tolist() == [False, 1, 1, 0]
    assert d.loc["P04", "cir_status"] == 2
    assert [e["column"] for e in c.report["derived"] if e["from"] == "dates"][:3] == [
        "cr", "cr_days", "os_days",
    ]  # fmt: skip
    # The date columns are outside the schema and are kept unchanged.
    assert d.loc["P01", "Dx"] == "2015-01-10"


def load_dates(rows: list[str], today=TODAY, **extra):
    header = "id,dx,cr,rel,death,lfu"
    df = pd.DataFrame([r.split(",") for r in rows], columns=header.split(","))
    mapping = {
        "columns": {"id": "patient_id"},
        "dates": {"diagnosis": "dx", "cr": "cr", "relapse": "rel", "death": "death",
                  "last_followup": "lfu"},
        **extra,
    }  # fmt: skip
    return cohort.load(df, mapping, today=today)


def one_problem(rows, **kw):
    with pytest.raises(CohortValidationError) as err:
        load_dates(rows, **kw)
    [p] = err.value.problems
    return p


def test_unparseable_date_exact_text():
    p = one_problem(["A,2020-01-01,,,,2021-02-30"])
    assert p.describe() == (
        "column 'lfu (last_followup date)', row 0, value '2021-02-30': this date does not parse "
        "as an ISO date (YYYY-MM-DD). Fix: Write dates as YYYY-MM-DD, or declare the format in the "
        "mapping (date_format: '%d.%m.%Y')."
    )


def test_future_date_exact_text():
    p = one_problem(["A,2020-01-01,,,2031-05-01,"])
    assert (p.reason, p.value) == ("future_date", "2031-05-01")
    assert p.message == "this date lies in the future (after 2024-06-30)."


def test_relapse_after_death():
    p = one_problem(["A,2020-01-01,2020-02-01,2020-09-01,2020-08-01,"])
    assert p.reason == "relapse_after_death"
    assert p.value == "diagnosis=2020-01-01, cr=2020-02-01, relapse=2020-09-01, death=2020-08-01"
    assert p.message == "the relapse date is after death."


def test_relapse_before_cr_and_without_cr():
    p = one_problem(["A,2020-01-01,2020-03-01,2020-02-01,,2021-01-01"])
    assert (p.reason, p.column) == ("relapse_before_cr", "rel (relapse date)")
    p = one_problem(["A,2020-01-01,,2020-02-01,,2021-01-01"])
    assert p.reason == "relapse_without_cr"
    assert p.message == (
        "a relapse date is given for a patient without CR; relapse requires a prior remission."
    )


def test_date_before_diagnosis_and_missing_dates():
    assert one_problem(["A,2020-01-01,2019-12-01,,,2021-01-01"]).reason == "date_before_diagnosis"
    p = one_problem(["A,2020-01-01,,,,"])
    assert (p.reason, p.message) == (
        "missing_date",
        "neither a death nor a last follow-up date is given, so OS cannot be computed.",
    )
    p = one_problem(["A,,,,,2021-01-01"])
    assert p.message == "the diagnosis date is missing, so no endpoint can be computed."


def test_excluded_date_rows_keep_the_invariant():
    df = pd.DataFrame(
        [["A", "2020-01-01", "", "", "", "2021-01-01"],
         ["B", "2020-01-01", "2020-02-01", "2020-09-01", "2020-08-01", ""],
         ["C", "2020-01-01", "", "", "2020-03-01", ""]],
        columns=["id", "dx", "cr", "rel", "death", "lfu"],
    )  # fmt: skip
    mapping = {"columns": {"id": "patient_id"},
               "dates": {"diagnosis": "dx", "cr": "cr", "relapse": "rel", "death": "death",
                         "last_followup": "lfu"}}  # fmt: skip
    c = cohort.load(df, mapping, on_error="exclude", today=TODAY)
    assert c.data["patient_id"].tolist() == ["A", "C"]
    assert c.exclusions["reason"].tolist() == ["relapse_after_death"]
    assert c.data["os_days"].tolist() == [366, 60]


def test_date_format_and_dayfirst():
    c = load_dates(["A,01.02.2020,,,,01.02.2021"], date_format="%d.%m.%Y")
    assert c.data["os_days"].iloc[0] == 366
    c = load_dates(["A,01/02/2020,,,,01/03/2020"], dayfirst=True)
    assert c.data["os_days"].iloc[0] == 29


def test_dates_mapping_needs_diagnosis_and_existing_columns():
    with pytest.raises(MappingError, match="'dates' needs a 'diagnosis' column"):
        cohort.load(pd.DataFrame({"patient_id": ["a"]}), {"dates": {"death": "d"}})
    with pytest.raises(MappingError) as err:
        cohort.load(pd.DataFrame({"patient_id": ["a"], "dx": ["2020-01-01"]}),
                    {"dates": {"diagnosis": "dx", "death": "DoD"}})  # fmt: skip
    assert str(err.value) == (
        "mapping 'dict': date column(s) death: DoD not found in <DataFrame>. Its columns are: "
        "patient_id, dx."
    )


def test_given_endpoints_win_over_dates_and_disagreements_are_reported():
    df = pd.DataFrame({"patient_id": ["A", "B"], "os_days": [400, None], "dx": ["2020-01-01"] * 2,
                       "lfu": ["2021-01-01"] * 2})  # fmt: skip
    mapping = {"dates": {"diagnosis": "dx", "last_followup": "lfu"}}
    with pytest.warns(DataQualityWarning, match="os_days in 1 row"):
        c = cohort.load(df, mapping, today=TODAY)
    assert c.data["os_days"].tolist() == [400, 366]
    assert c.report["endpoint_disagreements"] == {"os_days": 1}


def test_cr_after_death_and_cr_inconsistent_exact_text():
    p = one_problem(["A,2020-01-01,2020-09-01,,2020-08-01,"])
    assert p.describe() == (
        "column 'cr (cr date)', row 0, value 'diagnosis=2020-01-01, cr=2020-09-01, death=2020-08-01': "
        "the CR date is after death. Fix: Correct the dates in the input (check day/month order "
        "and the year)."
    )
    df = pd.DataFrame({"id": ["A"], "CR": ["no"], "dx": ["2020-01-01"], "crd": ["2020-02-01"],
                       "lfu": ["2020-06-01"]})  # fmt: skip
    mapping = {"columns": {"id": "patient_id", "CR": "cr"},
               "dates": {"diagnosis": "dx", "cr": "crd", "last_followup": "lfu"}}  # fmt: skip
    with pytest.raises(CohortValidationError) as err:
        cohort.load(df, mapping, today=TODAY)
    [p] = err.value.problems
    assert (p.reason, p.column, p.message) == (
        "cr_inconsistent",
        "CR (cr)",
        "a CR date is given but cr is False.",
    )


def test_date_column_named_like_a_canonical_column_is_kept_renamed():
    c = load_dates(["A,2020-01-01,2020-02-01,,,2020-06-01"])
    assert c.data["cr"].tolist() == [True]
    assert c.data["cr_date"].tolist() == ["2020-02-01"]
    assert "cr_date" in c.report["extra_columns"]
