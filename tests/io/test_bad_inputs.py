"""The bad-input corpus (tests/bad_inputs): every malformed file fails with a clear CohortError
naming the column, row and value (and the CLI exits 2 with the same message), or, where the input
is recoverable, loads with the right values."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import cohort
import cohort.errors
from cohort.cli import app

CORPUS = Path(__file__).parents[1] / "bad_inputs"
FILES = CORPUS / "files"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
ERRORS = [c for c in CASES if c["expect"] == "error"]
LOADS = [c for c in CASES if c["expect"] == "loads"]


def _paths(case: dict) -> tuple[Path, Path | None]:
    if case["file"].endswith(".yaml"):
        return FILES / case["data"], FILES / case["file"]
    mapping = case.get("mapping")
    return FILES / case["file"], (FILES / mapping if mapping else None)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_corpus_is_large_and_complete():
    on_disk = {p.name for p in FILES.iterdir()}
    listed = {c["file"] for c in CASES}
    helpers = {c["mapping"] for c in CASES if c.get("mapping")} | {"id_mapping.yaml"}
    assert len(CASES) >= 40
    assert listed <= on_disk
    assert on_disk - listed - helpers == set(), "every corpus file is described in cases.yaml"


@pytest.mark.parametrize("case", ERRORS, ids=[c["file"] for c in ERRORS])
def test_bad_input_raises_named_error(case):
    data, mapping = _paths(case)
    expected = getattr(cohort.errors, case["error"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cohort.errors.CohortWarning)
        with pytest.raises(cohort.errors.CohortError) as info:
            cohort.load(data, mapping=mapping)
    assert type(info.value) is expected, (
        f"{case['file']}: {type(info.value).__name__}: {info.value}"
    )
    message = str(info.value)
    for text in case["contains"]:
        assert text in message, f"{case['file']}: {text!r} not in message:\n{message}"


@pytest.mark.parametrize("case", ERRORS, ids=[c["file"] for c in ERRORS])
def test_cli_exits_2_with_the_message(case):
    data, mapping = _paths(case)
    args = ["load", str(data)] + (["--mapping", str(mapping)] if mapping else [])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    output = _flat(result.output)
    assert "Traceback" not in output
    assert case["error"] in output
    for text in case["contains"]:
        assert _flat(text) in output, f"{case['file']}: {text!r} not in CLI output:\n{output}"


@pytest.mark.parametrize("case", LOADS, ids=[c["file"] for c in LOADS])
def test_recoverable_input_loads_correctly(case):
    data, mapping = _paths(case)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = cohort.load(data, mapping=mapping)
    assert c.n_input == len(c.data) == 4
    for column, values in case["values"].items():
        got = c.data[column].astype(object).where(c.data[column].notna(), None).tolist()
        assert got == pytest.approx(values) if isinstance(values[0], float) else got == values, (
            column,
            got,
        )
    messages = [str(w.message) for w in caught if issubclass(w.category, cohort.CohortWarning)]
    if case.get("warns"):
        assert any(case["warns"] in m for m in messages), messages
    else:
        assert messages == [], messages


def test_excluding_keeps_every_row_accounted_for():
    """on_error='exclude' moves the offending rows and keeps the others; none vanishes."""
    c = cohort.load(FILES / "mixed_time_units.csv", on_error="exclude")
    assert c.n_input == 4
    assert sorted(c.exclusions["row"]) == [3, 5]
    # an unreadable OS time costs the patient's OS only: kept, with OS blanked
    assert set(c.exclusions["scope"]) == {"os"} and len(c.data) == 4
    blank = c.data.set_index("patient_id").loc[["P002", "P004"], ["os_days", "os_event"]]
    assert blank.isna().all().all()
    assert "'34 months'" in " ".join(c.exclusions["message"])


def test_mapping_can_declare_an_odd_genotype_code(tmp_path):
    """The fix that the free-text message proposes works: declaring the code loads the file."""
    m = tmp_path / "m.yaml"
    m.write_text("missing: ['see molecular report']\n")
    c = cohort.load(FILES / "genotype_free_text.csv", mapping=m)
    assert c.data["npm1"].isna().tolist() == [False, False, True, False]


def test_semicolon_file_with_decimal_comma_is_not_misread_as_numbers():
    """0,62 must not become 0 or 62: it is refused, naming the cell."""
    with pytest.raises(cohort.CohortValidationError) as info:
        cohort.load(FILES / "decimal_comma.csv")
    problem = info.value.problems[0]
    assert (problem.column, problem.row, problem.value) == ("flt3_itd_ar", 3, "0,62")


def test_python_tag_in_mapping_never_runs(tmp_path):
    marker = Path("/tmp/cohort_pwned")
    marker.unlink(missing_ok=True)
    with pytest.raises(cohort.MappingError):
        cohort.load(FILES / "missing_patient_id.csv", mapping=FILES / "mapping_python_object.yaml")
    assert not marker.exists()


def test_corpus_files_are_what_make_corpus_writes(tmp_path, monkeypatch):
    """The committed corpus equals the generator's output byte for byte (xlsx holds a timestamp)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "FILES", tmp_path)
    module.main()
    for made in tmp_path.iterdir():
        if made.suffix == ".xlsx":
            continue
        assert made.read_bytes() == (FILES / made.name).read_bytes(), made.name


def test_dataframe_input_with_object_garbage_names_the_cell():
    frame = pd.DataFrame(
        {"patient_id": ["A", "B"], "os_days": [10.0, object()], "os_event": [1, 0]}
    )
    with pytest.raises(cohort.CohortValidationError) as info:
        cohort.load(frame)
    assert info.value.problems[0].column == "os_days"
    assert info.value.problems[0].row == 1


def test_cli_shows_bracketed_cell_values(tmp_path):
    """A cell such as '[see report]' must not be swallowed as rich markup."""
    path = tmp_path / "brackets.csv"
    path.write_text("patient_id,npm1,os_days,os_event\nP1,[see report],10,1\n")
    result = CliRunner().invoke(app, ["load", str(path)])
    assert result.exit_code == 2
    assert "'[see report]'" in result.output
