"""cohort.load: file formats, mappings, round trip, provenance, integration with other modules."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import warnings
from pathlib import Path

import pandas as pd
import pytest

import cohort
from cohort.errors import CohortValidationError, LoadError, MappingError, SchemaError
from cohort.schema import CYTOGENETIC_FLAGS

DATA = Path(__file__).parents[1] / "data" / "loading"
REPO = Path(__file__).parents[2]
AMLSG = REPO / "cohort" / "datasets" / "amlsg"
TODAY = pd.Timestamp("2024-06-30")

MESSY = (
    "ID\tAOD\tgender\tNPM1\tFLT3\tOS_months\tDead\textra_note\n"
    "A01\t54\t1\tmut\tITD+\t12.5\tyes\tfirst\n"
    "A02\t61\t2\twt\tNo_ITD\t40\tno\t\n"
    "A03\tNA\t2\tn/a\tneg\t3\t1\tthird\n"
)
MESSY_MAPPING = {
    "columns": {"ID": "patient_id", "AOD": "age", "gender": "sex", "NPM1": "npm1",
                "FLT3": "flt3_itd", "OS_months": "os_days", "Dead": "os_event"},
    "values": {"sex": {1: "male", 2: "female"}},
    "units": {"time": "months"},
}  # fmt: skip


def check_messy(c: cohort.Cohort) -> None:
    d = c.data
    assert d["patient_id"].tolist() == ["A01", "A02", "A03"]
    assert d["sex"].tolist() == ["male", "female", "female"]
    assert d["npm1"].tolist() == [True, False, pd.NA]
    assert d["flt3_itd"].tolist() == [True, False, False]
    assert d["os_days"].tolist() == [12.5 * 30.4375, 40 * 30.4375, 3 * 30.4375]
    assert d["os_event"].tolist() == [1, 0, 1]
    assert pd.isna(d["age"].iloc[2])
    assert str(d["npm1"].dtype) == "boolean" and str(d["os_event"].dtype) == "Int64"


@pytest.mark.parametrize("fmt", ["tsv", "txt_cr", "csv", "xlsx", "parquet", "json", "tsv_gz"])
def test_formats_give_the_same_cohort(tmp_path, fmt):
    raw = pd.read_csv(pd.io.common.StringIO(MESSY), sep="\t", dtype=str, keep_default_na=False)
    path = tmp_path / f"messy.{fmt.split('_')[0]}"
    if fmt == "tsv":
        path.write_text(MESSY)
    elif fmt == "txt_cr":  # old-Mac line endings, as in the AMLSG files
        path.write_bytes(MESSY.replace("\n", "\r").encode())
    elif fmt == "csv":
        raw.to_csv(path, index=False)
    elif fmt == "xlsx":
        raw.to_excel(path, index=False)
    elif fmt == "parquet":
        raw.to_parquet(path)
    elif fmt == "json":
        raw.to_json(path, orient="records")
    elif fmt == "tsv_gz":
        path = tmp_path / "messy.tsv.gz"
        path.write_bytes(gzip.compress(MESSY.encode()))
    c = cohort.load(path, MESSY_MAPPING)
    check_messy(c)
    assert c.report["extra_columns"] == ["extra_note"]
    assert c.provenance["files"][0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_mapping_file_and_provenance(tmp_path):
    (tmp_path / "m.yaml").write_text(
        "columns: {ID: patient_id, AOD: age, gender: sex, NPM1: npm1, FLT3: flt3_itd,\n"
        "          OS_months: os_days, Dead: os_event}\n"
        "values: {sex: {1: male, 2: female}}\nunits: {time: months}\n"
    )
    (tmp_path / "t.tsv").write_text(MESSY)
    c = cohort.load(tmp_path / "t.tsv", tmp_path / "m.yaml")
    check_messy(c)
    prov = c.provenance
    assert prov["mapping"]["name"] == "m"
    assert (
        prov["mapping"]["sha256"] == hashlib.sha256((tmp_path / "m.yaml").read_bytes()).hexdigest()
    )
    assert prov["package_version"] == cohort.__version__
    assert prov["files"] == [
        {"path": "t.tsv", "role": "cohort",
         "sha256": hashlib.sha256((tmp_path / "t.tsv").read_bytes()).hexdigest()}
    ]  # fmt: skip
    assert prov["row_numbering"] == "file row (header = row 1)"
    assert c.report["renamed"]["AOD"] == "age"


def test_canonical_csv_round_trips(tmp_path):
    c = cohort.load(DATA / "dates_cohort.csv", DATA / "dates_mapping.yaml", today=TODAY)
    c.data.to_csv(tmp_path / "canonical.csv", index=False)
    again = cohort.load(tmp_path / "canonical.csv", today=TODAY)
    pd.testing.assert_frame_equal(again.data, c.data)
    assert again.report["renamed"] == {}


def test_real_amlsg_table_round_trips(tmp_path):
    with pytest.warns(cohort.DataQualityWarning, match="11 patient"):
        c = cohort.load(AMLSG / "AMLSG_Clinical_Anon.tsv", DATA / "amlsg_outcomes.yaml",
                        on_error="exclude")  # fmt: skip
    c.data.to_csv(tmp_path / "amlsg.csv", index=False)
    with pytest.warns(cohort.DataQualityWarning, match="11 patient"):
        again = cohort.load(tmp_path / "amlsg.csv")
    pd.testing.assert_frame_equal(again.data, c.data)
    # Published-table facts (SOURCE.md): 1,540 patients, 341 FLT3-ITD positive in the clinical table.
    assert c.n_input == 1540
    assert int(c.data["flt3_itd"].sum()) == 341 - int(
        c.exclusions["row"].map(lambda r: _flt3_in_row(r)).sum()
    )


def _flt3_in_row(row: int) -> int:
    raw = pd.read_csv(AMLSG / "AMLSG_Clinical_Anon.tsv", sep="\t", usecols=["FLT3_ITD"])
    return int(raw["FLT3_ITD"].iloc[row - 2])


def test_extra_columns_are_kept_unchanged():
    df = pd.DataFrame({"patient_id": ["a", "b"], "center": [7, 9], "note": ["x", None]})
    c = cohort.load(df)
    assert c.data["center"].tolist() == [7, 9] and c.data["center"].dtype == "int64"
    assert c.data["note"].tolist() == ["x", None]
    assert c.report["extra_columns"] == ["center", "note"]


def test_case_insensitive_canonical_names_are_accepted():
    c = cohort.load(pd.DataFrame({"Patient_ID": ["a"], "NPM1": ["mut"], " Age ": ["40"]}))
    assert list(c.data.columns[:3]) == ["patient_id", "age", "npm1"]
    assert c.report["renamed"] == {"Patient_ID": "patient_id", "NPM1": "npm1", " Age ": "age"}


def test_missing_patient_id_column():
    with pytest.raises(SchemaError) as err:
        cohort.load(pd.DataFrame({"PDID": ["a"], "AOD": [50]}))
    assert str(err.value) == (
        "<DataFrame> has no patient_id column (its columns are: PDID, AOD). Name the identifier "
        "column patient_id, or map it in the mapping file: columns: {YourIdColumn: patient_id}."
    )


def test_two_columns_for_one_target():
    with pytest.raises(MappingError) as err:
        cohort.load(
            pd.DataFrame({"patient_id": ["a"], "age": [1], "AOD": [2]}), {"columns": {"AOD": "age"}}
        )
    assert str(err.value) == (
        "<DataFrame>: columns 'age', 'AOD' would all become 'age'. Map only one of them to 'age' "
        "(rename or drop the other)."
    )


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("colums: {a: patient_id}\n", "mapping file bad.yaml: unknown top-level key 'colums'. Allowed keys: "
         "name, description, columns, values, units, dates, date_format, dayfirst, missing, decimal, extra_columns."),
        ("columns: {AOD: age_years}\n", "mapping file bad.yaml: column 'AOD' is mapped to 'age_years', "
         "which is not a canonical column. See docs/schema.md for the canonical names (e.g. "
         "patient_id, age, os_days)."),
        ("units: {time: fortnights}\n", "mapping file bad.yaml: units.time is 'fortnights'; allowed: "
         "days, weeks, months, years."),
        ("units: {flt3_itd: AR}\n", "mapping file bad.yaml: units.flt3_itd is 'AR'; allowed: ratio, "
         "percent_ratio, vaf, vaf_percent."),
        ("values: {sex: {1: man}}\n", "mapping file bad.yaml: values.sex maps code 1 to 'man', which "
         "is not a valid sex value; use female, male."),
        ("dates: {diagnosis: dx, progression: p}\n", "mapping file bad.yaml: unknown date "
         "'progression' under 'dates'. Allowed: diagnosis, cr, relapse, death, last_followup, hsct."),
        ("- a\n- b\n", "mapping file bad.yaml must be a YAML mapping with keys such as 'columns' and "
         "'units', got list."),
        ("columns: {a: !!python/object:os.system x}\n", "Mapping file bad.yaml is not valid YAML"),
    ],
)  # fmt: skip
def test_bad_mapping_files(tmp_path, yaml_text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(MappingError) as err:
        cohort.load(pd.DataFrame({"patient_id": ["a"]}), path)
    assert str(err.value).startswith(message)


def test_unknown_preset_and_missing_mapping_file():
    with pytest.raises(MappingError, match=r"^Unknown mapping 'no_such_preset': it is neither"):
        cohort.load(pd.DataFrame({"patient_id": ["a"]}), "no_such_preset")
    with pytest.raises(MappingError, match=r"^Mapping file 'nowhere.yaml' does not exist"):
        cohort.load(pd.DataFrame({"patient_id": ["a"]}), "nowhere.yaml")


def test_generic_preset_is_bundled():
    from cohort.io.mapping import available_presets

    assert "eln_dates" in available_presets()
    df = pd.DataFrame({"patient_id": ["a"], "diagnosis_date": ["2020-01-01"], "cr_date": [""],
                       "relapse_date": [""], "death_date": ["2020-03-01"],
                       "last_followup_date": [""]})  # fmt: skip
    c = cohort.load(df, "eln_dates", today=TODAY)
    assert c.data[["os_days", "os_event", "efs_days", "efs_event"]].iloc[0].tolist() == [
        60,
        1,
        1,
        1,
    ]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "File 'x.csv' does not exist."),
        (lambda p: p.write_text(""), "File x.csv is empty."),
        (lambda p: p.write_text("patient_id,age\n"), "File x.csv has a header but no data rows."),
        (lambda p: p.write_text("patient_id,age,age\na,1,2\n"),
         "x.csv: column name 'age' appears more than once in the header."),
    ],
)  # fmt: skip
def test_unreadable_files(tmp_path, monkeypatch, setup, message):
    monkeypatch.chdir(tmp_path)
    setup(tmp_path / "x.csv")
    with pytest.raises(LoadError) as err:
        cohort.load("x.csv")
    assert str(err.value).startswith(message)


def test_unknown_format_and_bad_on_error(tmp_path):
    (tmp_path / "x.sav").write_text("data")
    with pytest.raises(LoadError, match=r"unknown format '\.sav'"):
        cohort.load(tmp_path / "x.sav")
    with pytest.raises(LoadError, match="on_error must be 'raise' or 'exclude', got 'drop'"):
        cohort.load(pd.DataFrame({"patient_id": ["a"]}), on_error="drop")


def test_codes_read_as_text_keep_leading_zeros(tmp_path):
    (tmp_path / "t.csv").write_text("patient_id,center\n007,01\n010,02\n")
    c = cohort.load(tmp_path / "t.csv")
    assert c.data["patient_id"].tolist() == ["007", "010"]
    assert c.data["center"].tolist() == [1, 2]  # outside the schema: pandas' usual reading


def test_file_rows_are_spreadsheet_rows(tmp_path):
    (tmp_path / "t.csv").write_text("patient_id,age\na,50\nb,500\n")
    with pytest.raises(CohortValidationError) as err:
        cohort.load(tmp_path / "t.csv")
    assert err.value.problems[0].row == 3


# ---------------------------------------------------------------------------------- integration


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


@pytest.mark.skipif(not _has("cohort.cytogenetics"), reason="cohort.cytogenetics not written yet")
def test_karyotype_fills_missing_flags_and_reports_disagreements():
    df = pd.DataFrame(
        {"patient_id": ["a", "b", "c"],
         "karyotype": ["46,XX,t(8;21)(q22;q22)[20]", "46,XY[20]", "46,XY,inv(16)(p13q22)[20]"],
         "t_8_21": ["no", "no", "no"]}
    )  # fmt: skip
    with pytest.warns(cohort.DataQualityWarning, match="t_8_21 in 1 row"):
        c = cohort.load(df)
    assert c.data["t_8_21"].tolist() == [False, False, False]  # the given flags win
    assert c.data["inv_16"].tolist() == [False, False, True]
    assert c.data["normal_karyotype"].tolist()[1] is True or bool(
        c.data["normal_karyotype"].iloc[1]
    )
    assert c.report["karyotype_disagreements"]["t_8_21"] == {"n": 1, "rows": [0]}
    assert set(CYTOGENETIC_FLAGS) <= set(c.data.columns)


def test_karyotype_without_cytogenetics_module_is_reported(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "cohort.cytogenetics", None)
    with pytest.warns(cohort.DataQualityWarning, match="cytogenetic flags were not derived"):
        c = cohort.load(pd.DataFrame({"patient_id": ["a"], "karyotype": ["46,XX[20]"]}))
    assert "inv_16" not in c.data.columns


@pytest.mark.skipif(not _has("cohort.io.mutations"), reason="cohort.io.mutations not written yet")
def test_variant_table_is_pivoted_and_table_genotypes_win():
    variants = pd.DataFrame(
        {"Tumor_Sample_Barcode": ["a", "a", "b"], "Hugo_Symbol": ["NPM1", "DNMT3A", "TP53"],
         "t_vaf": [0.41, 0.45, 0.3], "HGVSp_Short": ["p.W288fs", "p.R882H", "p.R273H"]}
    )  # fmt: skip
    df = pd.DataFrame({"patient_id": ["a", "b", "c"], "npm1": ["wt", "wt", pd.NA]})
    with pytest.warns(cohort.DataQualityWarning, match="npm1 in 1 row"):
        c = cohort.load(df, mutations=variants)
    d = c.data.set_index("patient_id")
    assert d.loc["a", "npm1"] == False  # noqa: E712 - the main table wins
    assert d.loc["a", "dnmt3a"] == True  # noqa: E712
    assert c.report["genotype_disagreements"]["npm1"]["n"] == 1


def test_variant_table_without_mutations_module_is_a_load_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "cohort.io.mutations", None)
    with pytest.raises(LoadError, match="mutations= needs cohort.io.mutations.pivot_variants"):
        cohort.load(pd.DataFrame({"patient_id": ["a"]}), mutations=pd.DataFrame({"x": [1]}))


def test_folder_source(tmp_path, monkeypatch):
    import sys

    if not _has("cohort.datasets") or not hasattr(
        __import__("cohort.datasets", fromlist=["x"]), "read_folder"
    ):
        monkeypatch.setitem(sys.modules, "cohort.datasets", None)
        with pytest.raises(LoadError, match="reading dataset folders needs"):
            cohort.load(tmp_path)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cohort.DataQualityWarning)
        c = cohort.load(AMLSG, on_error="exclude")
    assert c.n_input == 1540
    assert {f["path"] for f in c.provenance["files"]} >= {"AMLSG_Clinical_Anon.tsv"}


# ---------------------------------------------------------------------------------- MRD


def test_load_mrd_and_attach(tmp_path):
    (tmp_path / "mrd.csv").write_text(
        "Patient,Week,Material,Ratio\nA01,8,peripheral blood,0.0012\nA01,16,BM,0\nA02,8,PB,0.5\n"
        "A09,8,pb,0.1\n"
    )
    mapping = {"columns": {"Patient": "patient_id", "Week": "days", "Material": "sample",
                           "Ratio": "npm1_abl1_pct"},
               "units": {"time": "weeks", "npm1_abl1": "ratio"}}  # fmt: skip
    mrd = cohort.load_mrd(tmp_path / "mrd.csv", mapping)
    assert mrd["sample"].tolist() == ["PB", "BM", "PB", "PB"]
    assert mrd["days"].tolist() == [56, 112, 56, 56]
    assert mrd["npm1_abl1_pct"].tolist() == pytest.approx([0.12, 0, 50, 10])
    (tmp_path / "t.tsv").write_text(MESSY)
    with pytest.warns(cohort.DataQualityWarning, match="1 MRD sample"):
        c = cohort.load(
            tmp_path / "t.tsv", MESSY_MAPPING, mrd=tmp_path / "mrd.csv", mrd_mapping=mapping
        )
    assert len(c.mrd) == 4 and c.provenance["files"][1]["role"] == "mrd"


def test_mrd_problems(tmp_path):
    (tmp_path / "mrd.csv").write_text(
        "patient_id,days,sample,npm1_abl1_pct\nA,30,blood,1\nB,x,PBMC,-1\n"
    )
    with pytest.raises(CohortValidationError) as err:
        cohort.load_mrd(tmp_path / "mrd.csv")
    assert [p.reason for p in err.value.problems] == [
        "not_a_number", "unknown_code", "missing_time", "out_of_range",
    ]  # fmt: skip
    assert err.value.problems[1].describe() == (
        "column 'sample', row 3, value 'PBMC': 'PBMC' is not a sample type; use PB (peripheral "
        "blood) or BM (bone marrow). Fix: Correct the cell; MRD thresholds differ between blood "
        "and marrow."
    )
    mrd = cohort.load_mrd(tmp_path / "mrd.csv", on_error="exclude")
    assert len(mrd) == 1 and mrd.attrs["exclusions"]["row"].tolist() == [3]
    with pytest.raises(SchemaError, match="MRD table mrd2.csv lacks column"):
        (tmp_path / "mrd2.csv").write_text("patient_id,days\nA,1\n")
        cohort.load_mrd(tmp_path / "mrd2.csv")


def test_semicolon_txt_in_windows_1252(tmp_path):
    # A European spreadsheet export: semicolons, Windows-1252 text, CRLF line endings.
    text = "patient_id;sex;aml_type;Zentrum\r\nP1;female;sAML;Universitätsklinik\r\nP2;m;de novo;Ulm\r\n"
    (tmp_path / "export.txt").write_bytes(text.encode("cp1252"))
    c = cohort.load(tmp_path / "export.txt")
    assert c.data["aml_type"].tolist() == ["secondary", "de_novo"]
    assert c.data["Zentrum"].tolist() == ["Universitätsklinik", "Ulm"]
