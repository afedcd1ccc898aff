"""Genomic classes of Papaemmanuil et al., NEJM 2016;374:2209 (AMLSG, 1,540 patients).

Eleven classes: eight defined by one lesion (NPM1, biallelic CEBPA, inv(16), t(15;17), t(8;21),
t(6;9), inv(3), MLL/KMT2A fusions) and three by a set of lesions (chromatin-spliceosome,
TP53-aneuploidy, provisional IDH2 R172), plus "no class" (drivers but no class-defining lesion),
"no drivers" and "ambiguous" (two or more of the eight single-lesion classes).

The authors assigned classes after a Bayesian clustering, not from a published rule table; this
module states the rules as we read them, and ``docs/diagnostic_classes.md`` reports the agreement
with the authors' own labels for the AMLSG patients (a test holds a floor on it). Decisions taken
from that comparison (each a documented option or constant below):

- one single-lesion class wins over the set-defined classes (the authors' labels do so for 95% of
  such patients);
- TP53-aneuploidy by a TP53 mutation or a complex karyotype wins over chromatin-spliceosome, while
  aneuploidies alone (>= 2 of the listed copy-number changes) yield to chromatin-spliceosome;
- IDH2 R172 counts only without any other class-defining lesion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cohort.cohort import as_frame
from cohort.errors import ClassificationError
from cohort.schema import CYTOGENETIC_FLAGS, GENES
from cohort.stratify.inputs import Inputs
from cohort.stratify.logic import Tri
from cohort.stratify.rule_table import RESULT_COLUMNS

# Single-lesion classes in the order the paper lists them: (category, rule id, input columns).
SINGLE_LESION_CLASSES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("NPM1", "P16-NPM1", ("npm1",)),
    ("biallelic CEBPA", "P16-CEBPA", ("cebpa_biallelic",)),
    ("inv(16)", "P16-inv16", ("inv_16",)),
    ("t(15;17)", "P16-t15_17", ("t_15_17",)),
    ("t(8;21)", "P16-t8_21", ("t_8_21",)),
    ("t(6;9)", "P16-t6_9", ("t_6_9",)),
    ("inv(3)", "P16-inv3", ("inv_3",)),
    ("MLL fusion", "P16-MLL", ("t_9_11", "kmt2a_r")),
)
CHROMATIN_SPLICEOSOME_GENES = (
    "srsf2", "sf3b1", "u2af1", "zrsr2", "asxl1", "stag2", "bcor", "kmt2a_ptd", "ezh2", "phf6",
    "runx1",
)  # fmt: skip
"""Chromatin-spliceosome class genes (PHF6 is not a schema gene: used when a ``phf6`` column exists)."""

ANEUPLOIDY_COLUMNS = ("del_5q", "minus_7", "del_7q", "plus_8", "del_12p", "abn_17p", "del_20q")
"""Copy-number changes counted for TP53-aneuploidy by default. The paper also counts -9q, +11,
+13, -18, +21, +22, -Y, 4q and other 3q changes; pass extra boolean columns through
``aneuploidy_columns`` when a table carries them."""

# --- ordered rules under three-valued logic ---------------------------------------------------------
# The shared engine (cohort.stratify.walk.walk) packs categories into 8 bits; this system has 14,
# so it keeps its own first-match walk with the same semantics.


@dataclass(frozen=True)
class _Row:
    rule_id: str
    category: str
    when: Tri


def _count_at_least(items: Sequence[Tri], k: int, n: int) -> Tri:
    """True when at least ``k`` items are known True, False when fewer than ``k`` are possible."""
    n_true = np.zeros(n, int)
    n_possible = np.zeros(n, int)
    for t in items:
        n_true += t.true
        n_possible += t.possible
    return Tri(n_true >= k, n_possible < k)


def _join(masks: dict[str, np.ndarray], n: int, sep: str) -> pd.Series:
    """Per row, the labels whose mask is True joined by ``sep`` (missing when none).

    Vectorised through the distinct combinations, so no Python work per patient.
    """
    labels = list(masks)
    bits = np.zeros(n, dtype=np.int64)
    for i, lab in enumerate(labels):
        bits |= masks[lab].astype(np.int64) << i
    codes, inverse = np.unique(bits, return_inverse=True)
    texts = [
        sep.join(lab for i, lab in enumerate(labels) if code >> i & 1) or None for code in codes
    ]
    return pd.Series(np.asarray(texts, dtype=object)[inverse.reshape(-1)], dtype="string")


def _first_match(rows: Sequence[_Row], index: pd.Index) -> pd.DataFrame:
    """A row is possible when its condition is not False and no earlier condition is True; the
    category is set when every possible row shares it."""
    n = len(index)
    blocked = np.zeros(n, bool)
    all_false_before = np.ones(n, bool)
    certain_rule = np.full(n, -1)
    cat_masks: dict[str, np.ndarray] = {}
    rule_masks: dict[str, np.ndarray] = {}
    for i, r in enumerate(rows):
        poss = r.when.possible & ~blocked
        certain_rule[r.when.true & all_false_before & (certain_rule < 0)] = i
        blocked |= r.when.true
        all_false_before &= r.when.false
        cat_masks[r.category] = cat_masks.get(r.category, np.zeros(n, bool)) | poss
        rule_masks[r.rule_id] = rule_masks.get(r.rule_id, np.zeros(n, bool)) | poss
    n_cats = np.sum(list(cat_masks.values()), axis=0)
    candidates = _join(cat_masks, n, "|")
    category = candidates.where(pd.Series(n_cats == 1), pd.NA)
    ids = pd.Series(np.asarray([r.rule_id for r in rows] + [""], dtype=object)[certain_rule])
    rule = ids.where(pd.Series(certain_rule >= 0), _join(rule_masks, n, "|"))
    out = pd.DataFrame({"category": category, "rule": rule, "candidates": candidates})
    out = out.astype("string")
    out.index = index
    return out


ALL_CATEGORIES = (
    *(c for c, _, _ in SINGLE_LESION_CLASSES),
    "chromatin-spliceosome", "TP53-aneuploidy", "IDH2 R172", "no class", "no drivers", "ambiguous",
)  # fmt: skip

CATEGORIES = ALL_CATEGORIES
"""Read by :func:`cohort.stratify.categories`."""

OPTION_NAMES = (
    "aneuploidy_columns",
    "min_aneuploidies",
    "idh2_r172_column",
    "other_driver_column",
    "primary_wins",
    "driver_columns",
)


def classify_papaemmanuil2016(
    frame: pd.DataFrame,
    *,
    aneuploidy_columns: Sequence[str] = ANEUPLOIDY_COLUMNS,
    min_aneuploidies: int = 2,
    idh2_r172_column: str = "idh2_r172",
    other_driver_column: str = "other_driver",
    primary_wins: bool = True,
    driver_columns: Sequence[str] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Papaemmanuil 2016 genomic class of each patient.

    Parameters
    ----------
    frame : pandas.DataFrame or Cohort
        Canonical table; absent columns are unknown.
    aneuploidy_columns : sequence of str
        Boolean columns counted as copy-number changes for TP53-aneuploidy.
    min_aneuploidies : int
        Copy-number changes needed for TP53-aneuploidy without a TP53 mutation or complex
        karyotype (a single +8 or -7 does not make the class in the authors' labels).
    idh2_r172_column : str
        Boolean column "IDH2 mutation at R172" (not a schema column: the schema's ``idh2`` pools
        R140 and R172). When absent, an IDH2-mutated patient without another class is undetermined
        between "IDH2 R172" and "no class".
    other_driver_column : str
        Boolean column "a driver outside the schema's genes" (e.g. CBL, NF1, GATA2), needed to tell
        "no class" from "no drivers"; when absent, a patient with no schema lesion is undetermined
        between the two.
    driver_columns : sequence of str or None
        Boolean columns whose True value is a driver (with ``phf6`` and ``other_driver_column``).
        Default: every schema gene and recurrent cytogenetic lesion flag. A panel that did not
        test a gene should leave it out, or every patient without drivers stays undetermined.
    primary_wins : bool
        True (default): one single-lesion class wins over chromatin-spliceosome/TP53-aneuploidy.
        False: such patients are "ambiguous".

    Returns
    -------
    pandas.DataFrame
        Indexed like ``frame``; columns ``category``, ``rule``, ``candidates``, ``notes``.
    """
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise ClassificationError(
            f"Unknown option(s) {', '.join(map(repr, unknown))} for 'papaemmanuil2016'. "
            f"Options: {', '.join(OPTION_NAMES)}."
        )
    if isinstance(aneuploidy_columns, str) or int(min_aneuploidies) < 1:
        raise ClassificationError(
            "aneuploidy_columns must be a list of column names and min_aneuploidies >= 1 "
            f"(got {aneuploidy_columns!r}, {min_aneuploidies!r})."
        )
    frame = as_frame(frame, what="classify_papaemmanuil2016")
    n = len(frame)
    flag = Inputs(frame).flag

    singles = [
        (cat, rid, Tri.any_of([flag(c) for c in cols], n))
        for cat, rid, cols in SINGLE_LESION_CLASSES
    ]
    single_tris = [t for _, _, t in singles]
    ambiguous = _count_at_least(single_tris, 2, n)
    no_single = Tri.all_of([~t for t in single_tris], n)

    tp53 = flag("tp53")
    ck = flag("complex_karyotype")
    strong_tp53 = tp53 | ck
    aneuploid = _count_at_least([flag(c) for c in aneuploidy_columns], int(min_aneuploidies), n)
    cs = Tri.any_of(
        [flag(g) for g in CHROMATIN_SPLICEOSOME_GENES if g != "phf6"]
        + ([flag("phf6")] if "phf6" in frame.columns else []),
        n,
    )
    idh2_r172 = flag(idh2_r172_column)
    if idh2_r172_column not in frame.columns:
        # Without the codon, only a known IDH2 wild type rules the class out.
        idh2_r172 = Tri(np.zeros(n, bool), flag("idh2").false)

    secondary = strong_tp53 | cs | aneuploid
    rules: list[_Row] = [_Row("P16-ambiguous", "ambiguous", ambiguous)]
    for cat, rid, t in singles:
        others = Tri.all_of([~o for o in single_tris if o is not t], n)
        cond = t & others
        if not primary_wins:
            cond = cond & ~secondary
        rules.append(_Row(rid, cat, cond))
    if not primary_wins:
        rules.append(_Row("P16-ambiguous-secondary", "ambiguous", ~no_single & secondary))
    rules += [
        _Row("P16-TP53-aneuploidy", "TP53-aneuploidy", no_single & strong_tp53),
        _Row("P16-chromatin-spliceosome", "chromatin-spliceosome", no_single & cs),
        _Row("P16-aneuploidy", "TP53-aneuploidy", no_single & aneuploid),
        _Row("P16-IDH2-R172", "IDH2 R172", no_single & idh2_r172),
    ]
    drivers = _any_driver(frame, flag, other_driver_column, driver_columns)
    rules += [
        _Row("P16-no-class", "no class", no_single & drivers),
        _Row("P16-no-drivers", "no drivers", no_single & ~drivers),
    ]
    out = _first_match(rules, frame.index)
    notes = {
        "TP53 mutation or complex karyotype with a chromatin-spliceosome lesion (TP53-aneuploidy "
        "wins)": no_single.true & strong_tp53.true & cs.true,
        "aneuploidies with a chromatin-spliceosome lesion (chromatin-spliceosome wins)": no_single.true
        & strong_tp53.false
        & aneuploid.true
        & cs.true,
        "single-lesion class with TP53-aneuploidy or chromatin-spliceosome lesions": (
            ~no_single
        ).true
        & ambiguous.false
        & secondary.true,
    }
    out["notes"] = _join(notes, n, "; ").to_numpy()
    out["notes"] = out["notes"].astype("string")
    return out[list(RESULT_COLUMNS)]


def _any_driver(
    frame: pd.DataFrame,
    flag: Callable[[str], Tri],
    other_driver_column: str,
    driver_columns: Sequence[str] | None,
) -> Tri:
    """Any schema gene mutated, any recurrent cytogenetic lesion flag, or a driver outside the schema.

    An abnormal karyotype without a named lesion (e.g. a single +8 or -Y) is not a driver here: the
    authors label such patients "no drivers".
    """
    n = len(frame)
    if driver_columns is None:
        lesion_flags = [f for f in CYTOGENETIC_FLAGS if f != "normal_karyotype"]
        driver_columns = (*GENES, *lesion_flags)
    parts = [flag(c) for c in driver_columns]
    if "phf6" in frame.columns:
        parts.append(flag("phf6"))
    parts.append(flag(other_driver_column))
    return Tri.any_of(parts, n)


def explain_patient(row: pd.Series | dict, **options: Any) -> list[str]:
    """The Papaemmanuil 2016 class-defining lesions of one patient, in the order they are weighed."""
    one = pd.DataFrame([dict(row)])
    flag = Inputs(one).flag

    def state(t: Tri) -> str:
        return t.value_at(0)

    lines = ["single-lesion classes (two or more: ambiguous):"]
    for cat, rid, cols in SINGLE_LESION_CLASSES:
        lines.append(
            f"  {rid} {cat} ({', '.join(cols)}): {state(Tri.any_of([flag(c) for c in cols], 1))}"
        )
    columns = options.get("aneuploidy_columns", ANEUPLOIDY_COLUMNS)
    present = [c for c in columns if flag(c).true[0]]
    unknown = [c for c in columns if flag(c).unknown[0]]
    r172 = options.get("idh2_r172_column", "idh2_r172")
    lines += [
        "then, without a single-lesion class:",
        f"  TP53 mutated: {state(flag('tp53'))}; complex karyotype: {state(flag('complex_karyotype'))}",
        "  chromatin-spliceosome genes mutated: "
        + (", ".join(g for g in CHROMATIN_SPLICEOSOME_GENES if flag(g).true[0]) or "none known"),
        f"  copy-number changes: {', '.join(present) or 'none known'}"
        + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
        f"  IDH2 R172 ({r172}): {state(flag(r172))}",
    ]
    return lines


__all__ = ["ALL_CATEGORIES", "CATEGORIES", "classify_papaemmanuil2016", "explain_patient"]
