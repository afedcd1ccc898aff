"""Inputs that raised raw Python exceptions (csv.Error, TypeError, EOFError, RecursionError,
MemoryError, FileExistsError) now raise a named CohortError, and the CLI exits 2 with one paragraph
(never a traceback or a bare "Aborted.")."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cohort
from cohort.cli import app
from cohort.errors import LoadError

runner = CliRunner()
DATES = {"dates": {"diagnosis": "dx", "death": "death", "last_followup": "lfu"}}


def test_cell_over_the_csv_field_limit_names_the_unclosed_quote(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('patient_id,note,os_days,os_event\nP1,"started,10,1\n' + "x" * 140_000 + "\n")
    with pytest.raises(LoadError, match="closing quote") as info:
        cohort.load(path)
    assert "row 2" in str(info.value) and "quote.csv" in str(info.value)


def test_timezone_aware_parquet_dates_load(tmp_path):
    frame = pd.DataFrame(
        {
            "patient_id": ["A", "B"],
            "dx": pd.to_datetime(["2016-01-01 23:00", "2016-02-01 00:00"]).tz_localize(
                "US/Eastern"
            ),
            "death": pd.to_datetime(["2017-01-01", None]).tz_localize("UTC"),
            "lfu": pd.to_datetime([None, "2018-02-01"]).tz_localize("UTC"),
        }
    )
    frame.to_parquet(tmp_path / "tz.parquet")
    c = cohort.load(tmp_path / "tz.parquet", mapping=DATES)
    assert c.data["os_days"].tolist() == [366, 731]
    assert c.data["os_event"].tolist() == [1, 0]


def test_parquet_with_an_unknown_pandas_dtype_in_its_metadata(tmp_path):
    table = pa.Table.from_pandas(pd.DataFrame({"patient_id": ["A"], "os_days": [1.0]}))
    meta = json.loads(table.schema.metadata[b"pandas"])
    meta["columns"][1]["numpy_type"] = "weird64"
    table = table.replace_schema_metadata({b"pandas": json.dumps(meta).encode()})
    pq.write_table(table, tmp_path / "weird.parquet")
    with pytest.raises(LoadError, match="metadata asks for a pandas column type") as info:
        cohort.load(tmp_path / "weird.parquet")
    assert "weird.parquet" in str(info.value) and "weird64" in str(info.value)


@pytest.mark.parametrize(
    "exc, says",
    [
        (MemoryError(), "too large for this machine's memory"),
        (RecursionError(), "nested too deeply"),
    ],
)
def test_cli_turns_memory_and_recursion_errors_into_exit_2(monkeypatch, tmp_path, exc, says):
    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(cohort, "load", boom)
    path = tmp_path / "t.csv"
    path.write_text("patient_id\nP1\n")
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output and "Aborted" not in result.output


def test_cli_classify_out_that_is_a_folder_exits_2(tmp_path):
    result = runner.invoke(app, ["classify", "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "OutputError" in result.output and "cannot be written" in result.output
