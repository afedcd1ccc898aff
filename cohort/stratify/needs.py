"""What to test next: the missing inputs that would decide an undetermined patient.

For a patient whose category the available data cannot decide, :func:`needed_tests` finds the
smallest sets of *tests* (unknown input columns, the cytogenetic flags grouped as one test,
``"karyotype"``) such that, whatever the tests show, the category is decided. It answers the
question "which missing test decides this patient?" with the classifier itself: every possible
result of the candidate tests is written into a copy of the patient and classified again with the
same system and options (the classifier then still completes every other unknown input exactly).

Possible results of a test:

- a True/False column: True and False;
- a number compared with a threshold (``flt3_itd_ar``, ``tp53_vaf``, ``bm_blasts_pct``): a value
  below and one above every threshold the systems use (0 and 1; 0 and 100 for a percentage);
- ``mr_genes`` (the ELN 2022 myelodysplasia-related genes, when two or more are unknown): none
  mutated, or exactly one of them;
- ``karyotype`` (every cytogenetic flag the patient lacks): a normal karyotype, an abnormal
  karyotype with none of the listed lesions, or exactly one of the listed lesions (a complex
  karyotype sets both complex-karyotype flags). Karyotypes with two listed lesions are not tried,
  so a karyotype can be reported as deciding a patient whom a rare combination (e.g. t(8;21) with
  -7 under the option ``cbf_with_adverse_cytogenetics="adverse"``) would leave open.

``needs`` is written ``"karyotype|flt3_itd_ar"`` (either test alone decides) or
``"karyotype+tp53_vaf"`` (both are needed); it is missing for a determined patient. When no set
of at most :data:`MAX_SET` tests decides, the set of all the patient's missing tests is reported if
it decides (it is then the smallest set found, not proven the smallest), else ``needs`` is
missing.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cohort.schema import CYTOGENETIC_FLAGS
from cohort.stratify.inputs import recording_columns

#: The flags completed together as the test ``"karyotype"``.
KARYOTYPE_COLUMNS: tuple[str, ...] = (*CYTOGENETIC_FLAGS, "complex_karyotype_2022")
#: Largest set of tests tried one combination at a time; beyond it only the set of all the
#: patient's missing tests is tried, when it has at most :data:`MAX_FULL_SET_RESULTS` results.
MAX_SET = 3
MAX_FULL_SET_RESULTS = 1024
#: Sets of tests with more possible results than this are not tried (a karyotype has about 18).
MAX_SET_RESULTS = 400
#: Numeric inputs the classifiers compare with a threshold (read for de-duplication).
NUMERIC_INPUTS = ("flt3_itd_ar", "tp53_vaf", "bm_blasts_pct", "age")
_NOT_READ = ("patient_id", "karyotype", "karyotype_note", "karyotype_status")
_UNKNOWN = re.compile(r"undetermined, unknown: ([^;]+)$")


def blocking_columns(notes: pd.Series) -> pd.Series:
    """The unknown columns named in each ``notes`` entry (``"undetermined, unknown: a, b"``)."""
    text = notes.astype("object")
    out = []
    for value in text:
        m = _UNKNOWN.search(value) if isinstance(value, str) else None
        out.append(tuple(c.strip() for c in m.group(1).split(",")) if m else ())
    return pd.Series(out, index=notes.index, dtype="object")


#: A mutation flag and the quantity measured with it: one test when both are unknown.
PAIRED: dict[str, str] = {"tp53_vaf": "tp53", "flt3_itd_ar": "flt3_itd"}


#: ELN 2022 myelodysplasia-related genes (Table 6 row A9): one panel test when two or more are
#: unknown ("mr_genes"; results tried: none mutated, or exactly one of them).
MR_GENES: tuple[str, ...] = (
    "asxl1", "bcor", "ezh2", "runx1", "sf3b1", "srsf2", "stag2", "u2af1", "zrsr2",
)  # fmt: skip


def test_of(column: str, unknown: Sequence[str] = ()) -> str:
    """The test that measures ``column``: a cytogenetic flag -> ``"karyotype"``; a VAF or allelic
    ratio whose mutation flag is also in ``unknown`` -> the mutation (one assay gives both); an MR
    gene when another MR gene is also unknown -> ``"mr_genes"``."""
    if column in KARYOTYPE_COLUMNS:
        return "karyotype"
    if column in MR_GENES and sum(g in unknown for g in MR_GENES) >= 2:
        return "mr_genes"
    if column in PAIRED and PAIRED[column] in unknown:
        return PAIRED[column]
    return column


def _outcomes(test: str, row: pd.Series, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The possible results of ``test`` for one patient, as column -> value completions."""
    if test == "karyotype":
        unknown = [c for c in KARYOTYPE_COLUMNS if c in frame.columns and pd.isna(row[c])]
        lesions = [c for c in unknown if c not in ("normal_karyotype", "complex_karyotype_2022")]
        none = dict.fromkeys(unknown, False)
        normal = none | ({"normal_karyotype": True} if "normal_karyotype" in unknown else {})
        out = [normal, none]
        for c in lesions:
            one = none | {c: True}
            if c == "complex_karyotype" and "complex_karyotype_2022" in unknown:
                one["complex_karyotype_2022"] = True
            out.append(one)
        return out
    if test == "mr_genes":
        unknown = [g for g in MR_GENES if g not in frame.columns or pd.isna(row[g])]
        none = dict.fromkeys(unknown, False)
        return [none, *({**none, g: True} for g in unknown)]
    quantity = {v: k for k, v in PAIRED.items()}.get(test)
    if quantity is not None and quantity in frame.columns and pd.isna(row[quantity]):
        high = _outcomes(quantity, row, frame)[1][quantity]
        return [{test: False, quantity: 0.0}, {test: True, quantity: 0.0},
                {test: True, quantity: high}]  # fmt: skip
    if test in frame.columns and pd.api.types.is_bool_dtype(frame[test].dtype):
        return [{test: True}, {test: False}]
    if test in frame.columns and pd.api.types.is_numeric_dtype(frame[test].dtype):
        high = 100.0 if test.endswith("_pct") else 1.0
        return [{test: 0.0}, {test: high}]
    return [{test: True}, {test: False}]  # an absent column is read as a flag by the classifiers


def _key_columns(frame: pd.DataFrame, read: set[str]) -> list[str]:
    """Columns a classifier may read (identical values -> identical needs): those it read through
    :class:`~cohort.stratify.inputs.Inputs`, the numeric inputs, and low-cardinality text columns
    (such as ``aml_type``, read directly by the diagnostic systems)."""
    out = []
    for c in frame.columns:
        if c in _NOT_READ:
            continue
        dtype = frame[c].dtype
        if c in read or c in NUMERIC_INPUTS:
            out.append(c)
        elif (
            not pd.api.types.is_bool_dtype(dtype)
            and not pd.api.types.is_numeric_dtype(dtype)
            and frame[c].nunique(dropna=True) <= 50
        ):
            out.append(c)
    return out


def needed_tests(
    frame: pd.DataFrame,
    result: pd.DataFrame,
    classify_fn: Callable[[pd.DataFrame], pd.DataFrame],
    max_profiles: int | None = None,
    max_set: int = MAX_SET,
) -> pd.Series:
    """The smallest sets of missing tests that would decide each undetermined patient.

    Parameters
    ----------
    frame : pandas.DataFrame
        The canonical table that was classified.
    result : pandas.DataFrame
        Its classification (``category``, ``rule``, ``candidates``, ``notes``).
    classify_fn : callable
        ``classify_fn(frame) -> result`` with the same system and options.
    max_profiles : int, optional
        Skip the search (with a warning; ``needs`` stays missing) when the undetermined patients
        have more distinct input profiles than this, or are more than 20 times as many. None: no
        limit.
    max_set : int
        Largest set of tests tried combination by combination (then only the set of all the
        patient's missing tests).

    Returns
    -------
    pandas.Series
        ``"string"`` dtype, indexed like ``frame``: ``"a|b"`` (either test decides),
        ``"a+b"`` (both needed); missing for determined patients.
    """
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    open_ = result["candidates"].notna().to_numpy() & result["category"].isna().to_numpy()
    if not open_.any():
        return out
    positions = np.flatnonzero(open_)
    if max_profiles is not None and len(positions) > 20 * max_profiles:
        _skip_warning(f"{len(positions)} undetermined patients", max_profiles)
        return out
    blocking = blocking_columns(result["notes"])
    with recording_columns() as read:
        classify_fn(frame.iloc[positions[:1]])
    keys = _key_columns(frame, read)
    sub = frame.iloc[positions]
    key = pd.util.hash_pandas_object(sub[keys], index=False)
    key = key.astype(str) + "/" + blocking.iloc[positions].map(str).to_numpy()
    codes = pd.factorize(key)[0]
    firsts = pd.Series(positions).groupby(codes).first().to_numpy()
    if max_profiles is not None and len(firsts) > max_profiles:
        _skip_warning(f"{len(firsts)} distinct undetermined patient profiles", max_profiles)
        return out
    answers = _search(frame[keys], [int(p) for p in firsts], blocking, classify_fn, max_set)
    out.iloc[positions] = [answers[int(firsts[c])] for c in codes]
    return out


def _skip_warning(what: str, max_profiles: int) -> None:
    warnings.warn(
        f"needs not computed: {what} (the default searches at most {max_profiles} distinct "
        "profiles); pass needs=True to cohort.classify to compute it anyway (slow).",
        UserWarning,
        stacklevel=4,
    )


def _search(
    frame: pd.DataFrame,
    positions: Sequence[int],
    blocking: pd.Series,
    classify_fn: Callable[[pd.DataFrame], pd.DataFrame],
    max_set: int,
) -> dict[int, Any]:
    """Level by level (1, 2, ... tests), classify every result of every candidate set at once."""
    tests = {
        p: list(dict.fromkeys(test_of(c, blocking.iloc[p]) for c in blocking.iloc[p]))
        for p in positions
    }
    answers: dict[int, Any] = {p: pd.NA for p in positions}
    todo = [p for p in positions if tests[p]]
    results = {}  # (patient, test) -> its possible results
    for p in todo:
        row = frame.iloc[p]
        for t in tests[p]:
            results[p, t] = _outcomes(t, row, frame)
    for size in range(1, max_set + 2):
        rows, owners = [], []
        for p in todo:
            if size > max_set:  # last resort: all the patient's tests together, if few results
                subsets = [tuple(tests[p])]
                n = np.prod([len(results[p, t]) for t in tests[p]])
                if n > MAX_FULL_SET_RESULTS:
                    continue
            else:
                subsets = [
                    c
                    for c in itertools.combinations(tests[p], size)
                    if np.prod([len(results[p, t]) for t in c]) <= MAX_SET_RESULTS
                ]
            for subset in subsets:
                for parts in itertools.product(*(results[p, t] for t in subset)):
                    values = {k: v for part in parts for k, v in part.items()}
                    rows.append((p, values))
                    owners.append((p, subset))
        if not rows:
            break
        decided = _decided(frame, rows, classify_fn)
        ok: dict[int, list[tuple[str, ...]]] = {}
        verdict: dict[tuple[int, tuple[str, ...]], bool] = {}
        for owner, d in zip(owners, decided, strict=True):
            verdict[owner] = verdict.get(owner, True) and bool(d)
        for (p, subset), good in verdict.items():
            if good:
                ok.setdefault(p, []).append(subset)
        for p, subsets in ok.items():
            answers[p] = "|".join("+".join(s) for s in subsets)
        todo = [p for p in todo if p not in ok and len(tests[p]) > size]
        if not todo:
            break
    return answers


def _decided(
    frame: pd.DataFrame,
    rows: list[tuple[int, dict[str, Any]]],
    classify_fn: Callable[[pd.DataFrame], pd.DataFrame],
) -> np.ndarray:
    """Whether each completed patient copy gets a decided result (no candidates left)."""
    copies = frame.iloc[[p for p, _ in rows]].reset_index(drop=True)
    filled = pd.DataFrame.from_records([values for _, values in rows])
    for col in filled.columns:
        given = filled[col]
        mask = given.notna().to_numpy()
        if col not in copies.columns:
            copies[col] = pd.Series(pd.NA, index=copies.index, dtype="boolean")
        target = copies[col].array.copy()
        target[np.flatnonzero(mask)] = pd.array(given[mask].tolist(), dtype=target.dtype)
        copies[col] = target
    res = classify_fn(copies)
    return res["candidates"].isna().to_numpy()


def needs_summary(result: pd.DataFrame) -> pd.DataFrame:
    """Cohort-level table: how many patients are undetermined and which missing test decides most.

    Parameters
    ----------
    result : pandas.DataFrame
        A :func:`cohort.classify` result with its ``needs`` column.

    Returns
    -------
    pandas.DataFrame
        One row per test: ``test``, ``decides_alone`` (undetermined patients that this test alone
        would decide), ``in_a_deciding_set`` (patients for whom it belongs to a smallest deciding
        set), ``percent_of_undetermined``; most decisive first. ``attrs["n_undetermined"]`` and
        ``attrs["n_no_set"]`` (undetermined with no deciding set of at most :data:`MAX_SET`
        tests) give the totals.
    """
    undetermined = result["category"].isna() & result["candidates"].notna()
    needs = result.loc[undetermined, "needs"].astype("object")
    alone: dict[str, int] = {}
    anyset: dict[str, int] = {}
    for value in needs.dropna():
        sets = [s.split("+") for s in value.split("|")]
        for t in {s[0] for s in sets if len(s) == 1}:
            alone[t] = alone.get(t, 0) + 1
        for t in {t for s in sets for t in s}:
            anyset[t] = anyset.get(t, 0) + 1
    n = int(undetermined.sum())
    table = pd.DataFrame(
        {
            "test": list(anyset),
            "decides_alone": [alone.get(t, 0) for t in anyset],
            "in_a_deciding_set": list(anyset.values()),
        }
    )
    table["percent_of_undetermined"] = (100 * table["decides_alone"] / n) if n else 0.0
    table = table.sort_values(["decides_alone", "in_a_deciding_set", "test"],
                              ascending=[False, False, True]).reset_index(drop=True)  # fmt: skip
    table.attrs["n_undetermined"] = n
    table.attrs["n_no_set"] = int(needs.isna().sum())
    return table


__all__ = ["KARYOTYPE_COLUMNS", "blocking_columns", "needed_tests", "needs_summary", "test_of"]
