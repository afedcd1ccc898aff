"""Mapping YAML is read by a restricted SafeLoader: anchors and aliases are refused before any
expansion, nesting is capped, names and codes must be scalars, and `date_format` is checked when
the mapping is read (not when the first date fails to parse)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from cohort.errors import MappingError
from cohort.io.mapping import MAX_DEPTH, MAX_MAPPING_BYTES, read_mapping

FILES = Path(__file__).parents[1] / "bad_inputs" / "files"


def _write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_alias_bomb_is_refused_without_expanding():
    path = FILES / "mapping_alias_bomb.yaml"
    assert path.stat().st_size < 500
    tracemalloc.start()
    with pytest.raises(MappingError, match=r"anchor \(&a\)"):
        read_mapping(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5_000_000


@pytest.mark.parametrize(
    "text, word",
    [
        ("columns: &c {id: patient_id}\n", "anchor (&c)"),
        ("columns:\n  id: &x patient_id\n  pid: *x\n", "anchor (&x)"),
        ("columns:\n  id: *undefined\n", "alias (*undefined)"),
        ("values:\n  sex: &s {1: male}\n  other: {<<: *s}\n", "anchor (&s)"),
    ],
)
def test_any_anchor_or_alias_is_refused_with_its_line(tmp_path, text, word):
    with pytest.raises(MappingError) as info:
        read_mapping(_write(tmp_path, text))
    assert word in str(info.value)
    assert "m.yaml, line" in str(info.value)


def test_nesting_is_capped_below_the_recursion_limit(tmp_path):
    with pytest.raises(MappingError, match=f"nested more than {MAX_DEPTH} levels"):
        read_mapping(FILES / "mapping_deep_nesting.yaml")
    deep_maps = "values:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(12)) + "      x\n"
    with pytest.raises(MappingError, match="nested more than"):
        read_mapping(_write(tmp_path, deep_maps))


def test_ordinary_mappings_and_presets_still_read(tmp_path):
    m = read_mapping(
        _write(
            tmp_path,
            "name: trial\ncolumns: {PID: patient_id, Age: age}\nvalues:\n  sex: {1: male, 2: female}\n"
            "units: {time: months}\nmissing: ['-99', ND, 999]\ndate_format: '%d.%m.%Y'\n",
        )
    )
    assert m.columns == {"PID": "patient_id", "Age": "age"}
    assert m.missing == ("-99", "ND", "999")
    assert m.date_format == "%d.%m.%Y"
    for preset in ("amlsg", "beataml", "tcga", "eln_dates"):
        assert read_mapping(preset).name


def test_oversized_mapping_file_is_refused(tmp_path):
    path = _write(tmp_path, "# " + "x" * MAX_MAPPING_BYTES + "\n")
    with pytest.raises(MappingError, match="a mapping is a few kilobytes"):
        read_mapping(path)


@pytest.mark.parametrize(
    "doc, where",
    [
        ({"columns": {"id": ["patient_id"]}}, "columns.id"),
        ({"columns": {"id": {"a": "b"}}}, "columns.id"),
        ({"units": {"time": ["days"]}}, "units.time"),
        ({"dates": {"diagnosis": ["dx"]}}, "dates.diagnosis"),
        ({"values": {"sex": {1: ["male"]}}}, "values.sex.1"),
        ({"missing": [["ND"]]}, "missing[0]"),
        ({"name": {"a": 1}}, "'name'"),
    ],
)
def test_collections_where_scalars_are_expected_are_refused(doc, where):
    with pytest.raises(MappingError) as info:
        read_mapping(doc)
    assert where in str(info.value)


@pytest.mark.parametrize(
    "fmt, says",
    [
        ("%d.%m.%q", "%q, which is not a date directive"),
        ("dd.mm.yyyy", "no % directive"),
        ("%d.%m", "has no year"),
        ("%Y-%m", "has no day"),
        ("%Y %", "%, which is not"),
    ],
)
def test_bad_date_format_is_refused_when_the_mapping_is_read(fmt, says):
    with pytest.raises(MappingError) as info:
        read_mapping({"date_format": fmt})
    assert says in str(info.value)
    assert repr(fmt) in str(info.value)


@pytest.mark.parametrize("fmt", ["%d.%m.%Y", "%d/%m/%y", "%Y%m%d", "%d %b %Y", "%Y-%m-%dT%H:%M"])
def test_good_date_formats_are_accepted(fmt):
    assert read_mapping({"date_format": fmt}).date_format == fmt
