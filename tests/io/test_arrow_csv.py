"""The pyarrow reading of plain CSVs (cohort.io.arrow_csv) gives the cohort pandas' reading gives:
the same frames, exclusions, report, warnings and error messages, on random messy files and on
every text file of tests/data and tests/bad_inputs/files."""

from __future__ import annotations

import io
import random
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cohort
import cohort.io.reading as reading
from cohort.errors import CohortError
from cohort.io.arrow_csv import read_plain_text

TESTS = Path(__file__).resolve().parents[1]
TEXT_FILES = sorted(
    p
    for folder in (TESTS / "data", TESTS / "bad_inputs" / "files")
    for p in folder.rglob("*")
    if p.is_file()
    and any(p.name.lower().endswith(s) for s in (".csv", ".tsv", ".txt", ".maf", ".tab", ".gz"))
)

# Cell texts both readers must pass through unchanged: spaces, missing tokens, codes with leading
# zeros or trailing decimals, quoted separators, doubled quotes, quoted line breaks, non-ASCII.
CELLS = {
    "patient_id": ["P1", " P2", "p3 ", "P-4", '"P,5"', "NA", "", "\u00c9va", '"P""6"', "007"],
    "sex": ["m", "F", " female", "Male ", "NA", "", "x", "1", '"f"', "\u00a0m", "n/a", "?"],
    "npm1": ["1", "0", "yes", "No", "mut", "wt", "", "NA", "2", "TRUE", '"pos"', "1.0", "+"],
    "age": ["61", "61.0", " 45.5", "01", "1e2", "", "NA", "abc", "-3", "inf", "70,5", '"50"'],
    "os_days": ["100", "100.0", "0", "", "NA", "-5", "3650", "12 days", '"12\n3"', "nan"],
    "os_event": ["1", "0", "dead", "alive", "2", "", "NA", "yes", "1.5", '"1"', "Died"],
}


def _outcome(path: Path, *, pandas_only: bool, **options) -> tuple:
    """cohort.load's result (or error) in comparable form, with every warning it gave."""
    original = reading.read_plain_text
    if pandas_only:
        reading.read_plain_text = lambda *a, **k: None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                c = cohort.load(path, **options)
            except CohortError as exc:
                return ("error", type(exc).__name__, str(exc), [str(w.message) for w in caught])
    finally:
        reading.read_plain_text = original
    return ("ok", c.data, c.exclusions, c.report, [str(w.message) for w in caught])


def _assert_same(a: tuple, b: tuple, label: str) -> None:
    assert a[0] == b[0], (label, a[:3], b[:3])
    if a[0] == "error":
        assert a == b, label
        return
    pd.testing.assert_frame_equal(a[1], b[1], obj=f"{label} data")
    pd.testing.assert_frame_equal(a[2], b[2], obj=f"{label} exclusions")
    assert a[3] == b[3], label
    assert a[4] == b[4], label


def _random_csv(rng: random.Random) -> str:
    columns = ["patient_id", *rng.sample(list(CELLS)[1:], rng.randint(1, 5))]
    if rng.random() < 0.1:
        columns.append("extra_notes")  # a column pandas reads with type inference: pandas path
    sep = rng.choice([",", ",", ";", "\t"])
    head = [f'"{c}"' if rng.random() < 0.2 else c for c in columns]
    lines = [sep.join(head)]
    for i in range(rng.randint(1, 12)):
        cells = [rng.choice(CELLS.get(c, ["a", "1", ""])) for c in columns]
        if rng.random() < 0.6:
            cells[0] = f"P{i}"
        if sep != "," and rng.random() < 0.5:  # a ";" or tab file: commas are plain text
            cells = [cell.replace('"P,5"', "P,5") for cell in cells]
        lines.append(sep.join(cells))
        if rng.random() < 0.05:
            lines.append(rng.choice(["", " ", sep * (len(columns) - 1)]))
    newline = rng.choice(["\n", "\n", "\r\n"])
    text = newline.join(lines) + rng.choice(["", newline])
    return ("\ufeff" if rng.random() < 0.1 else "") + text


def test_arrow_and_pandas_paths_give_the_same_cohort_on_random_messy_csvs(tmp_path):
    rng = random.Random(14)
    used = []
    original = reading.read_plain_text

    def counting(*args, **kwargs):
        out = original(*args, **kwargs)
        used.append(out is not None)
        return out

    reading.read_plain_text = counting
    decided = 0
    try:
        for k in range(100):
            path = tmp_path / f"f{k}.csv"
            path.write_bytes(_random_csv(rng).encode("utf-8"))
            for on_error in ("raise", "exclude"):
                used.clear()
                fast = _outcome(path, pandas_only=False, on_error=on_error)
                reference = _outcome(path, pandas_only=True, on_error=on_error)
                _assert_same(fast, reference, f"{path.read_bytes()!r} on_error={on_error}")
                decided += on_error == "exclude" and any(used)
    finally:
        reading.read_plain_text = original
    assert decided >= 40  # the arrow path decided most files, not only trivial ones


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_arrow_and_pandas_paths_give_the_same_cohort_on_every_test_file(path):
    for on_error in ("raise", "exclude"):
        fast = _outcome(path, pandas_only=False, on_error=on_error)
        reference = _outcome(path, pandas_only=True, on_error=on_error)
        _assert_same(fast, reference, f"{path.name} on_error={on_error}")


def test_plain_reader_equals_pandas_text_reading_and_its_codes_rebuild_each_column():
    rng = random.Random(3)
    pool = ["", " ", "a", "NA", "null", "1", "01", "1.50", '"x,y"', '"q""q"', '"l\nm"', "\u00e9 "]
    for _ in range(300):
        sep = rng.choice([",", ";", "\t"])
        header = [f"c{i}" for i in range(rng.randint(1, 4))]
        rows = [sep.join(rng.choice(pool) for _ in header) for _ in range(rng.randint(1, 30))]
        body = "\n".join(rows) + rng.choice(["", "\n"])
        got = read_plain_text(body, sep, header, set(header), len(rows))
        if got is None:  # a row of one empty cell is a blank line for pandas: never plain
            continue
        frame, codes = got
        expected = pd.read_csv(
            io.StringIO(sep.join(header) + "\n" + body),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
        )
        if len(expected) != len(rows):
            continue  # pandas skipped a blank row: the record check never calls this file plain
        pd.testing.assert_frame_equal(frame, expected.astype(object))
        for name, (row_codes, texts) in codes.items():
            assert np.array_equal(texts[row_codes], frame[name].to_numpy())


def test_plain_reader_declines_what_it_does_not_decide():
    assert read_plain_text("1|2\n", "|", ["a", "b"], {"a", "b"}, 1) is None  # other separator
    assert read_plain_text("1,2\n", ",", ["a", "b"], {"a"}, 1) is None  # a column for pandas
    assert read_plain_text("1,2\n", ",", ["a", ""], {"a", ""}, 1) is None  # unnamed column
    assert read_plain_text("1,2\n", ",", ["a", "b"], {"a", "b"}, 2) is None  # row count differs


@pytest.mark.parametrize(
    "text",
    [
        'patient_id,"os\n_days"\nP1,5\n',  # a quoted line break in the header: pandas reads it
        '"patient_id","os_days"\n"P1","5"\n"P2",""\n',  # R's write.csv quotes every text
        "patient_id;os_days;sex\nP1;5,5;m\nP2;6;f\n",  # a European Excel ";" file
    ],
)
def test_arrow_and_pandas_paths_agree_on_header_and_quoting_cases(tmp_path, text):
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    for on_error in ("raise", "exclude"):
        fast = _outcome(path, pandas_only=False, on_error=on_error)
        _assert_same(fast, _outcome(path, pandas_only=True, on_error=on_error), repr(text))
