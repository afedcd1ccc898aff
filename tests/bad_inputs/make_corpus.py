"""Regenerate the bad-input corpus: ``python tests/bad_inputs/make_corpus.py``.

Each file reproduces one way real cohort files arrive broken (see ``cases.yaml`` for what each one
is and what the loader must do with it). The files are committed; this script documents exactly
how each was made, byte for byte, so that a reviewer can see that a case tests what it claims.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
FILES = HERE / "files"

HEADER = ["patient_id", "age", "sex", "npm1", "flt3_itd", "flt3_itd_ar", "os_days", "os_event"]
ROWS = [
    ["P001", "54", "female", "mut", "wt", "0", "412", "1"],
    ["P002", "61", "male", "wt", "ITD", "0.62", "1034", "0"],
    ["P003", "47", "female", "mut", "ITD", "0.31", "730", "0"],
    ["P004", "70", "male", "mut", "wt", "0", "98", "1"],
]


def table(rows=ROWS, header=HEADER, sep=",") -> str:
    return "\n".join(sep.join(r) for r in [header, *rows]) + "\n"


def edit(col: str, row: int, value: str, rows=ROWS) -> list[list[str]]:
    out = [list(r) for r in rows]
    out[row][HEADER.index(col)] = value
    return out


def write(name: str, content: str | bytes) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    (FILES / name).write_bytes(data)


def main() -> None:
    FILES.mkdir(exist_ok=True)
    # --- encodings, delimiters, line endings (recoverable: must load with the right values)
    write("utf8_bom.csv", b"\xef\xbb\xbf" + table().encode())
    latin = table(edit("patient_id", 1, "Köln-02"))
    write("latin1_ids.csv", latin.encode("latin-1"))
    write("utf16_excel_unicode.txt", table(sep="\t").encode("utf-16"))
    write("semicolon_in_csv.csv", table(sep=";"))
    write("tab_in_csv.csv", table(sep="\t"))
    write("crlf_line_endings.csv", table().replace("\n", "\r\n"))
    write("cr_only_line_endings.csv", table().replace("\n", "\r"))
    write("padded_codes.csv", table(edit("npm1", 0, "  MUT  ", edit("sex", 1, " Male"))))
    write("dead_alive_words.csv", table(edit("os_event", 0, "dead", edit("os_event", 1, "alive"))))
    write("gzip_ok.csv.gz", gzip.compress(table().encode(), mtime=0))
    # --- unreadable files
    write("empty.csv", b"")
    write("whitespace_only.csv", "  \n\n \t\n")
    write("header_only.csv", ",".join(HEADER) + "\n")
    write("not_gzip.csv.gz", table())
    write("unknown_format.sav", b"$FL2@(#) SPSS DATA FILE" + bytes(range(64)))
    write("png_named_csv.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    write("corrupt.parquet", b"PAR1" + b"\x00" * 64 + b"not really parquet")
    write("corrupt.xlsx", b"PK\x03\x04" + b"\x00" * 100)
    write("json_object_not_records.json", '{"patient_id": "P001", "age": 54')
    write("duplicate_column_names.csv", table(header=HEADER[:-1] + ["os_days"]))
    write(
        "two_columns_same_target.csv",
        table(header=HEADER[:3] + ["NPM1", "flt3_itd", "flt3_itd_ar", "os_days", "npm1"]),
    )
    ragged = table().splitlines()
    ragged[2] = ragged[2] + ",46,XY"
    write("ragged_row.csv", "\n".join(ragged) + "\n")
    kary = table(header=HEADER + ["karyotype"], rows=[r + ["46,XX"] for r in ROWS])
    write("unquoted_karyotype_comma.csv", kary)
    # --- header problems
    write("missing_patient_id.csv", table(header=["id"] + HEADER[1:]))
    wide_header = [f"lab_{i:03d}" for i in range(192)] + [
        "patiend_id",
        "age_yrs",
        "sex",
        "npm1_mut",
        "flt3itd",
        "os_dayz",
        "os_evnt",
        "vital",
    ]
    wide_rows = [[str(i)] * 192 + r[:1] + r[1:] for i, r in enumerate(ROWS)]
    write("wide_200_misspelled.csv", table(rows=wide_rows, header=wide_header))
    wide_ok_id = ["patient_id" if h == "patiend_id" else h for h in wide_header]
    write("wide_200_misspelled_outcomes.csv", table(rows=wide_rows, header=wide_ok_id))
    two_row = io.BytesIO()
    top = pd.DataFrame([["Patient", "", "", "Genetics", "", "", "Outcome", ""], HEADER, *ROWS])
    top.to_excel(two_row, header=False, index=False)
    write("excel_two_row_header.xlsx", two_row.getvalue())
    # --- row-level problems (must raise CohortValidationError naming column, row and value)
    write("duplicate_ids.csv", table(edit("patient_id", 2, "P001")))
    write("missing_id.csv", table(edit("patient_id", 1, "")))
    write("negative_time.csv", table(edit("os_days", 2, "-30")))
    write("os_event_2.csv", table(edit("os_event", 3, "2")))
    write("os_event_text.csv", table(edit("os_event", 0, "relapsed")))
    write(
        "mixed_time_units.csv", table(edit("os_days", 1, "34 months", edit("os_days", 3, "2.1y")))
    )
    write("time_with_unit_suffix.csv", table(edit("os_days", 0, "412d")))
    write("decimal_comma.csv", table(edit("flt3_itd_ar", 1, "0,62"), sep=";"))
    write("infinite_time.csv", table(edit("os_days", 0, "inf")))
    write("overflow_time.csv", table(edit("os_days", 0, "1e400")))
    write("event_without_time.csv", table(edit("os_days", 0, "")))
    write("age_is_a_date.csv", table(edit("age", 2, "1961-04-07")))
    write("age_in_days.csv", table(edit("age", 0, "19710")))
    write("sex_numeric.csv", table(edit("sex", 1, "1")))
    write("genotype_free_text.csv", table(edit("npm1", 2, "see molecular report")))
    write("genotype_number_2.csv", table(edit("npm1", 0, "2")))
    write("ar_percent_sign.csv", table(edit("flt3_itd_ar", 1, "62%")))
    write("itd_negative_with_ratio.csv", table(edit("flt3_itd_ar", 0, "0.4")))
    write("excel_error_cell.csv", table(edit("os_days", 3, "#DIV/0!")))
    vaf_header = HEADER + ["npm1_vaf"]
    write(
        "vaf_percent_undeclared.csv",
        table(
            header=vaf_header,
            rows=[r + [v] for r, v in zip(ROWS, ["41", "", "38.5", "44"], strict=True)],
        ),
    )
    write(
        "vaf_above_100.csv",
        table(
            header=vaf_header,
            rows=[r + [v] for r, v in zip(ROWS, ["41", "", "138", "44"], strict=True)],
        ),
    )
    write("trailing_empty_rows.csv", table() + ",,,,,,,\n,,,,,,,\n")
    efs = table(
        header=HEADER + ["efs_days", "efs_event"],
        rows=[
            r + e
            for r, e in zip(
                ROWS, [["200", "1"], ["1034", "0"], ["900", "1"], ["98", "1"]], strict=True
            )
        ],
    )
    write("efs_after_os.csv", efs)
    # --- dates (with a mapping that derives OS from dates)
    dheader = ["patient_id", "age", "npm1", "dx_date", "death_date", "lfu_date"]
    drows = [
        ["P001", "54", "mut", "2015-03-02", "2016-04-18", ""],
        ["P002", "61", "wt", "2016-11-20", "", "2019-09-30"],
    ]
    write(
        "dates_unparseable.csv",
        table(rows=[drows[0], drows[1][:3] + ["20/13/2016", "", "2019-09-30"]], header=dheader),
    )
    write(
        "dates_in_future.csv", table(rows=[drows[0], drows[1][:5] + ["2099-01-01"]], header=dheader)
    )
    write(
        "death_before_diagnosis.csv",
        table(rows=[drows[0][:4] + ["2014-01-01", ""], drows[1]], header=dheader),
    )
    write(
        "dates_mapping.yaml",
        "dates:\n  diagnosis: dx_date\n  death: death_date\n  last_followup: lfu_date\n",
    )
    # --- mapping files
    write(
        "mapping_python_object.yaml",
        "columns: !!python/object/apply:os.system ['echo pwned > /tmp/cohort_pwned']\n",
    )
    write("mapping_python_name.yaml", "columns:\n  id: !!python/name:os.system\n")
    write("mapping_not_yaml.yaml", "columns:\n  id: patient_id\n   bad indent: [\n")
    write("mapping_unknown_key.yaml", "colums:\n  id: patient_id\n")
    write("mapping_unknown_target.yaml", "columns:\n  id: patient_identifier\n")
    write("mapping_bad_unit.yaml", "columns:\n  id: patient_id\nunits:\n  time: fortnights\n")
    write("vaf_percent_mapping.yaml", "units:\n  vaf: percent\n")
    write("id_mapping.yaml", "columns:\n  id: patient_id\n")
    hardening()


def hardening() -> None:
    """Cases of issue 18: inputs that ran, blew up memory, changed silently or raised raw errors."""
    # A YAML "billion laughs": 9 levels of 9 aliases, under 500 bytes, expands to 387 million items.
    laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        laughs.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    write("mapping_alias_bomb.yaml", "\n".join(laughs) + "\n")
    write("mapping_deep_nesting.yaml", "columns: " + "[" * 5000 + "]" * 5000 + "\n")
    write("mapping_bad_date_format.yaml", "columns:\n  id: patient_id\ndate_format: '%d.%m.%q'\n")
    write("mapping_list_where_scalar.yaml", "columns:\n  id: [patient_id, pid]\n")
    whole = gzip.compress(table().encode(), mtime=0)
    write("truncated_gzip.csv.gz", whole[: len(whole) * 2 // 3])
    silent_changes()


def silent_changes() -> None:
    """Inputs that pandas reads without a word but wrongly (issue 18, "silent changes")."""
    write("nul_in_cell.csv", table(edit("os_days", 1, "10\x0034")))
    write("nul_in_id.csv", table(edit("patient_id", 2, "P0\x0003")))
    write("row_cut_short.csv", table()[:-6])  # the download stopped inside the last row
    mixed = table(edit("patient_id", 1, "Köln-02")).encode()
    write("stray_latin1_byte.csv", mixed.replace(b"P004", b"P\xe904"))
    lines = table().splitlines()
    lines[3] = "\ufeff" + lines[3]  # a second export appended, its BOM kept
    write("bom_before_data_row.csv", "\n".join(lines) + "\n")
    lines = table(edit("os_days", 3, "-5")).splitlines()
    write("blank_lines_before_row.csv", "\n".join(lines[:3] + ["", ""] + lines[3:]) + "\n")
    write("utf16_without_bom.csv", table().encode("utf-16-le"))
    write("utf32.csv", table().encode("utf-32"))
    records = [dict(zip(HEADER, r, strict=True)) for r in ROWS]
    text = json.dumps(records)
    write("json_duplicate_key.json", text.replace('"age": "61"', '"age": "61", "age": "16"'))
    dheader = ["patient_id", "age", "npm1", "dx_date", "death_date", "lfu_date"]
    write(
        "partial_dates.csv",
        table(
            rows=[
                ["P001", "54", "mut", "2015-03", "2016-04-18", ""],
                ["P002", "61", "wt", "2016", "", "2019-09-30"],
            ],
            header=dheader,
        ),
    )
    zoned = [
        ["P001", "54", "mut", "2015-03-02T09:00:00+01:00", "2016-04-18", ""],
        ["P002", "61", "wt", "2016-11-20T23:30:00-05:00", "", "2019-09-30T00:00:00Z"],
        ["P003", "47", "mut", "2016-01-05", "", "2017-01-05"],
        ["P004", "70", "mut", "2017-06-01T12:00Z", "2017-09-08", ""],
    ]
    write("timezone_dates.csv", table(rows=zoned, header=dheader))
    write("xlsx_second_sheet.xlsx", _workbook(second_sheet=True))
    write("xlsx_formula_without_value.xlsx", _workbook(formula="=C2*2"))


def _workbook(second_sheet: bool = False, formula: str | None = None) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "cohort"
    sheet.append(HEADER)
    for r in ROWS:
        sheet.append(r)
    if formula:
        sheet.cell(row=3, column=HEADER.index("os_days") + 1, value=formula)
    if second_sheet:
        more = book.create_sheet("cohort (2)")
        more.append(HEADER)
        more.append(["P005", "66", "male", "mut", "wt", "0", "300", "1"])
        more.append(["P006", "59", "female", "wt", "wt", "0", "820", "0"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


if __name__ == "__main__":
    main()
