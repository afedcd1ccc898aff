from pathlib import Path

import pandas as pd

from cohort import schema


def test_docs_schema_md_is_generated_from_schema():
    doc = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
    assert doc.read_text() == schema.to_markdown(), (
        "regenerate: python -m cohort.schema > docs/schema.md"
    )


def test_issue_contract_columns_present():
    required = [
        "patient_id", "age", "sex", "aml_type", "prior_mds", "bm_blasts_pct", "wbc",
        "npm1", "flt3_itd", "flt3_tkd", "dnmt3a", "cebpa_biallelic", "cebpa_bzip", "kmt2a_ptd",
        "flt3_itd_ar", "npm1_vaf", "tp53_vaf", "npm1_type", "karyotype", "t_8_21", "inv_16",
        "complex_karyotype", "monosomal_karyotype", "normal_karyotype", "intensive", "hsct_days",
        "hsct_in_cr1", "cr", "cr_days", "os_days", "os_event", "efs_days", "efs_event", "rfs_days",
        "rfs_event", "cir_days", "cir_status",
    ]  # fmt: skip
    missing = [c for c in required if c not in schema.COLUMNS]
    assert missing == []
    assert list(schema.MRD_COLUMNS) == ["patient_id", "days", "sample", "npm1_abl1_pct"]


def test_empty_frame_dtypes():
    frame = schema.empty_cohort_frame(3)
    assert len(frame) == 3
    assert str(frame["npm1"].dtype) == "boolean"
    assert str(frame["os_event"].dtype) == "Int64"
    assert str(frame["age"].dtype) == "Float64"
    assert frame["npm1"].isna().all()


def test_apply_dtypes_keeps_extra_columns():
    frame = pd.DataFrame({"npm1": [1, 0, None], "site": ["a", "b", "c"]})
    out = schema.apply_dtypes(frame)
    assert str(out["npm1"].dtype) == "boolean"
    assert out["site"].tolist() == ["a", "b", "c"]


def test_derived_karyotype_columns_are_what_cytogenetics_adds():
    from cohort.cytogenetics import flags

    out = flags(["46,XY[20]"])
    added = set(out.columns) - set(schema.CYTOGENETIC_FLAGS)
    assert added == set(schema.DERIVED_COLUMNS)
