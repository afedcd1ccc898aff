"""Hand-built patients for the classification tests (imported by test_explain and test_needs)."""

from __future__ import annotations

import pandas as pd

from cohort.schema import CYTOGENETIC_FLAGS, GENES, apply_dtypes

KARYOTYPE = (*CYTOGENETIC_FLAGS, "complex_karyotype_2022")


def patients(*rows: dict) -> pd.DataFrame:
    """Patients with every genotype and flag known absent unless given (None = unknown); the
    karyotype is normal unless a cytogenetic flag is given."""
    out = []
    for i, values in enumerate(rows):
        row = {g: False for g in GENES} | {f: False for f in KARYOTYPE}
        row |= {"flt3_itd_ar": 0.0, "tp53_vaf": 0.0, "patient_id": f"P{i}"}
        row["normal_karyotype"] = not any(values.get(f) for f in CYTOGENETIC_FLAGS)
        out.append(row | values)
    return apply_dtypes(pd.DataFrame(out))
