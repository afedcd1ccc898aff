"""Which test must a laboratory not skip? Hide each test in turn and count the calls it costs.

:func:`missing_test_impact` takes the patients a system classifies from the data (their category is
decided), hides one test at a time (its columns set missing) and classifies them again, once per
way of handling the missing test:

- ``"undetermined"``: the toolkit's default; a missing value is never guessed, so a patient whose
  category depends on it becomes undetermined;
- ``"assume_negative"``: what a chart review often does, reading an untested gene as wild type and
  a missing karyotype as normal;
- for the FLT3-ITD allelic ratio under ELN 2017, ``"assume_low"`` and ``"assume_high"`` (option
  ``unknown_ar``).

A call "changes" when the patient gets a different category than with the test; "undetermined"
when no category can be given. The design follows the Beat AML question of how ELN calls go wrong
when a test is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cohort._counts import counts_by_frequency
from cohort.cohort import Cohort, as_frame
from cohort.errors import ClassificationError
from cohort.stratify.needs import KARYOTYPE_COLUMNS, MR_GENES

#: Test name -> the columns it fills.
TESTS: dict[str, tuple[str, ...]] = {
    "karyotype": (*KARYOTYPE_COLUMNS, "karyotype"),
    "flt3_itd_ar": ("flt3_itd_ar",),
    "npm1": ("npm1", "npm1_vaf", "npm1_type"),
    "cebpa": ("cebpa_biallelic", "cebpa_bzip"),
    "tp53": ("tp53", "tp53_vaf"),
    "mr_genes": MR_GENES,
}


def _hide(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in columns:
        if c in out.columns:
            dtype = out[c].dtype
            if pd.api.types.is_bool_dtype(dtype):
                dtype = "boolean"
            elif pd.api.types.is_numeric_dtype(dtype):
                dtype = "Float64"
            else:
                dtype = "object"
            out[c] = pd.Series(pd.NA, index=out.index, dtype=dtype)
    return out


def _assume_negative(frame: pd.DataFrame, test: str, columns: Sequence[str]) -> pd.DataFrame:
    """Fill a hidden test as negative: genes wild type, quantities 0, karyotype normal."""
    out = frame.copy()
    for c in columns:
        if c not in out.columns or c == "karyotype":
            continue
        dtype = out[c].dtype
        if pd.api.types.is_bool_dtype(dtype):
            out[c] = pd.array([c == "normal_karyotype"] * len(out), dtype=dtype)
        elif pd.api.types.is_numeric_dtype(dtype):
            out[c] = pd.array([0.0] * len(out), dtype=dtype)
    return out


def _handlings(system: str, test: str) -> list[tuple[str, dict[str, Any], bool]]:
    """(name, extra options, fill as negative) for each way of handling the missing test."""
    out = [("undetermined", {}, False), ("assume_negative", {}, True)]
    if test == "flt3_itd_ar" and system in ("eln2017", "eln2017_eisfeld2020"):
        out += [("assume_low", {"unknown_ar": "low"}, False),
                ("assume_high", {"unknown_ar": "high"}, False)]  # fmt: skip
    return out


def missing_test_impact(
    data: Cohort | pd.DataFrame,
    system: str = "eln2017",
    tests: Mapping[str, Sequence[str]] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """How many calls become undetermined or change when each test is missing.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        Canonical table; only the patients ``system`` classifies from the data are used.
    system : str
        A risk system of :data:`cohort.stratify.SYSTEMS`.
    tests : mapping, optional
        Test name -> columns to hide (default :data:`TESTS`: karyotype, FLT3-ITD allelic ratio,
        NPM1, CEBPA, TP53, the ELN 2022 myelodysplasia-related genes).
    **options
        Options of ``system``.

    Returns
    -------
    pandas.DataFrame
        One row per test and handling: ``test``, ``handling``, ``n_patients`` (classified with
        every test), ``n_undetermined``, ``n_changed``, ``percent_undetermined``,
        ``percent_changed`` and ``changes`` (e.g. ``"favorable->adverse 3; adverse->intermediate
        1"``).

    Raises
    ------
    ClassificationError
        For an unknown system or option, or a test naming no column of the table.
    """
    from cohort.stratify import classify

    frame = as_frame(data, what="missing_test_impact")
    tests = dict(TESTS if tests is None else tests)
    base = classify(frame, system, needs=False, **options)
    keep = base["category"].notna().to_numpy()
    frame, base_cat = frame[keep], base["category"].astype("object")[keep]
    rows = []
    for test, columns in tests.items():
        present = [c for c in columns if c in frame.columns]
        if not present:
            raise ClassificationError(
                f"missing_test_impact: test {test!r} names no column of the table "
                f"({', '.join(columns)}); give tests= with the columns your table uses."
            )
        for handling, extra, negative in _handlings(system, test):
            hidden = _hide(frame, present)
            if negative:
                hidden = _assume_negative(hidden, test, present)
            res = classify(hidden, system, needs=False, **{**options, **extra})
            cat = res["category"].astype("object")
            undetermined = cat.isna()
            changed = cat.notna() & (cat != base_cat)
            moves = counts_by_frequency(base_cat[changed] + "->" + cat[changed])
            n = len(frame)
            rows.append({
                "test": test,
                "handling": handling,
                "n_patients": n,
                "n_undetermined": int(undetermined.sum()),
                "n_changed": int(changed.sum()),
                "percent_undetermined": 100 * undetermined.mean() if n else 0.0,
                "percent_changed": 100 * changed.mean() if n else 0.0,
                "changes": "; ".join(f"{k} {v}" for k, v in moves.items()),
            })  # fmt: skip
    return pd.DataFrame(rows)


__all__ = ["TESTS", "missing_test_impact"]
