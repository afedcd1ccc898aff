"""Mapping mistakes are errors: a mapped column absent from the file names the closest actual
header; an endpoint time without its event (or the reverse) names both."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import cohort
from cohort.errors import MappingError

USER = Path(__file__).parents[1] / "data" / "user_cohort"


def _mapping(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load((USER / "my_cohort.yaml").read_text(encoding="utf-8"))
    edit(doc)
    path = tmp_path / "my.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_absent_column_names_the_closest_header(tmp_path):
    def typo(doc):
        doc["columns"]["Dead(Y/N)"] = doc["columns"].pop("Dead (Y/N)")

    with pytest.raises(MappingError) as err:
        cohort.load(USER / "my_cohort.csv", mapping=_mapping(tmp_path, typo), on_error="exclude")
    msg = str(err.value)
    assert "'Dead(Y/N)' (mapped to 'os_event') is not a column of my_cohort.csv" in msg
    assert "did you mean 'Dead (Y/N)'?" in msg


def test_absent_column_far_from_every_header_lists_the_columns(tmp_path):
    def stray(doc):
        doc["columns"]["Relapse date"] = "rfs_days"

    with pytest.raises(MappingError) as err:
        cohort.load(USER / "my_cohort.csv", mapping=_mapping(tmp_path, stray), on_error="exclude")
    msg = str(err.value)
    assert "'Relapse date' (mapped to 'rfs_days') is not a column" in msg
    assert "did you mean" not in msg and "'OS (months)'" in msg


@pytest.mark.parametrize(("drop", "have", "lack"), [("Dead (Y/N)", "os_days", "os_event"),
                                                    ("OS (months)", "os_event", "os_days")])  # fmt: skip
def test_endpoint_half_mapped_is_an_error_naming_both(tmp_path, drop, have, lack):
    table = tmp_path / "my_cohort.csv"
    shutil.copy(USER / "my_cohort.csv", table)

    def half(doc):
        del doc["columns"][drop]
        doc["values"].pop("os_event") if have == "os_days" else None

    with pytest.raises(MappingError) as err:
        cohort.load(table, mapping=_mapping(tmp_path, half), on_error="exclude")
    msg = str(err.value)
    assert f"gives {have} but no column gives {lack}" in msg
    assert "needs both os_days (time) and os_event (event)" in msg


def test_endpoint_pair_checked_for_mapped_columns_only(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("patient_id,EFS,os_days,os_event\nP1,10,20,1\n", encoding="utf-8")
    with pytest.raises(
        MappingError, match="column 'EFS' gives efs_days but no column gives efs_event"
    ):
        cohort.load(table, mapping={"columns": {"EFS": "efs_days"}})
    # a canonical table without a mapping loads; its analyses say the endpoint is lacking
    table.write_text("patient_id,efs_days,os_days,os_event\nP1,10,20,1\n", encoding="utf-8")
    assert len(cohort.load(table).data) == 1


def test_reason_an_endpoint_is_not_estimated_is_the_real_one(tmp_path):
    """An endpoint never mapped is 'lacks', not '0 events'."""
    from cohort.report.runner import run_analysis

    c = cohort.load(USER / "my_cohort.csv", mapping=USER / "my_cohort.yaml", on_error="exclude")
    report = run_analysis("overview", c)
    texts = "\n".join(s.body for s in report.sections if s.kind == "text")
    assert "this cohort lacks event-free survival (efs_days and efs_event)" in texts
    assert "this cohort lacks relapse incidence (cir_days and cir_status)" in texts
    assert "0 event" not in texts
