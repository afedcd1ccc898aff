"""Yes/no and category codes written as 1.0/0.0 in a CSV (a float column exported as text) load as
they do from Excel and Parquet, where the same cells are numbers."""

from __future__ import annotations

import pandas as pd

import cohort

FRAME = pd.DataFrame(
    {
        "patient_id": ["P1", "P2", "P3"],
        "npm1": [1.0, 0.0, 1.0],
        "flt3_itd": [0.0, 1.0, None],
        "sex": [1.0, 2.0, 1.0],
        "os_days": [100.0, 200.0, 300.0],
        "os_event": [1.0, 0.0, 1.0],
    }
)
MAPPING = {"values": {"sex": {1: "male", 2: "female"}}}


def test_csv_float_codes_equal_excel_and_parquet(tmp_path):
    FRAME.to_csv(tmp_path / "t.csv", index=False)
    assert "1.0,0.0" in (tmp_path / "t.csv").read_text()
    FRAME.to_excel(tmp_path / "t.xlsx", index=False)
    FRAME.to_parquet(tmp_path / "t.parquet")
    loaded = [
        cohort.load(tmp_path / f"t.{s}", mapping=MAPPING).data for s in ("csv", "xlsx", "parquet")
    ]
    assert loaded[0]["npm1"].tolist() == [True, False, True]
    assert loaded[0]["sex"].tolist() == ["male", "female", "male"]
    cols = ["npm1", "flt3_itd", "sex", "os_event"]
    for other in loaded[1:]:
        pd.testing.assert_frame_equal(loaded[0][cols], other[cols])


def test_non_whole_decimal_code_is_still_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("patient_id,npm1\nP1,1.5\n")
    try:
        cohort.load(path)
    except cohort.CohortValidationError as err:
        assert err.problems[0].value == "1.5"
    else:  # pragma: no cover
        raise AssertionError("1.5 is not a yes/no code")
