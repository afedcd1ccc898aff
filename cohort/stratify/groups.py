"""Molecular and age subsets compared in the NPM1-mutated AML literature.

:func:`genotype_groups` labels every patient in each grouping (NPM1 x FLT3-ITD allelic ratio,
NPM1/FLT3-ITD/DNMT3A triple mutation, NPM1 with each co-mutation, NPM1 mutation type, age band).
A label is missing only when the inputs cannot decide it: an unknown genotype is never read as
wild type, and an ITD with no allelic ratio is its own group rather than a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cohort.cohort import Cohort, as_frame
from cohort.errors import ClassificationError
from cohort.scale.dispatch import scales
from cohort.stratify.inputs import Inputs
from cohort.stratify.logic import Tri

CO_MUTATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "npm1_dnmt3a": ("DNMT3A", ("dnmt3a",)),
    "npm1_nras": ("NRAS", ("nras",)),
    "npm1_kras": ("KRAS", ("kras",)),
    "npm1_wt1": ("WT1", ("wt1",)),
    "npm1_rad21": ("RAD21", ("rad21",)),
    "npm1_flt3_tkd": ("FLT3-TKD", ("flt3_tkd",)),
    "npm1_idh1": ("IDH1", ("idh1",)),
    "npm1_idh2": ("IDH2", ("idh2",)),
    "npm1_idh": ("IDH1/2", ("idh1", "idh2")),
}
"""Grouping column -> (label of the co-mutated gene, input columns pooled with OR)."""

UNDETERMINED = "undetermined"


class _SizesFrame(pd.DataFrame):
    """A DataFrame that compares as one bool, so that it can live in ``DataFrame.attrs``.

    pandas compares ``attrs`` dicts with ``==`` when it concatenates (e.g. to print a wide frame);
    a plain DataFrame value there raises "truth value ... is ambiguous". pandas deep-copies attrs
    through ``_constructor``, so derived frames keep the class; only ``frame == frame`` differs.
    """

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return _SizesFrame

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return isinstance(other, pd.DataFrame) and self.equals(other)

    def __ne__(self, other: object) -> bool:  # type: ignore[override]
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]


def _labels(conditions: list[tuple[np.ndarray, str]], n: int) -> pd.Series:
    out = np.full(n, None, dtype=object)
    for mask, label in conditions:
        out[mask & (out == None)] = label  # noqa: E711 (element-wise comparison)
    return pd.Series(out, dtype="string")


def _npm1_x(npm1: Tri, other: Tri, name: str, n: int) -> pd.Series:
    return _labels(
        [
            (npm1.true & other.true, f"NPM1mut/{name}mut"),
            (npm1.true & other.false, f"NPM1mut/{name}wt"),
            (npm1.false & other.true, f"NPM1wt/{name}mut"),
            (npm1.false & other.false, f"NPM1wt/{name}wt"),
        ],
        n,
    )


@scales("genotype_groups")
def genotype_groups(
    data: Cohort | pd.DataFrame,
    *,
    ar_cutoff: float = 0.5,
    age_breaks: Sequence[float] = (60, 65),
    min_n: int = 20,
) -> pd.DataFrame:
    """The literature's NPM1 genotype subsets and age bands, one column per grouping.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        Canonical table; needs ``npm1``. Other absent inputs leave their grouping missing.
    ar_cutoff : float
        FLT3-ITD allelic ratio at or above which the ITD is "high" (ELN 2017: 0.5, ITD/wild type).
    age_breaks : sequence of float
        Upper bounds (inclusive) of the age bands; the default gives "<=60", "61-65", ">65".
    min_n : int
        Groups with fewer patients than this are flagged ``flagged_small`` in
        ``.attrs["group_sizes"]`` (kept, not hidden).

    Returns
    -------
    pandas.DataFrame
        Indexed like the input, string columns ``npm1_flt3_itd`` ("NPM1mut/ITD-neg",
        "NPM1mut/ITD-low", "NPM1mut/ITD-high", "NPM1mut/ITD-unknown-ratio" and the same for
        "NPM1wt"), ``triple_mutated`` ("NPM1/FLT3-ITD/DNMT3A" or "not triple-mutated"),
        ``npm1_dnmt3a``, ``npm1_nras``, ``npm1_kras``, ``npm1_wt1``, ``npm1_rad21``,
        ``npm1_flt3_tkd``, ``npm1_idh1``, ``npm1_idh2``, ``npm1_idh`` (e.g. "NPM1mut/NRASmut"),
        ``npm1_type`` ("type A", "type B", "type D", "other type", "NPM1wt") and ``age_band``.
        ``.attrs["group_sizes"]`` is a DataFrame (grouping, group, n, flagged_small) with one row
        per group and one "undetermined" row per grouping; ``.attrs["min_n"]`` records the
        threshold.
    """
    frame = as_frame(data, required=("npm1",), what="genotype_groups")
    breaks = [float(b) for b in age_breaks]
    if not breaks or sorted(breaks) != breaks or len(set(breaks)) != len(breaks):
        raise ClassificationError(
            f"age_breaks must be increasing numbers, e.g. (60, 65); got {tuple(age_breaks)!r}."
        )
    if not np.isfinite(ar_cutoff) or ar_cutoff <= 0:
        raise ClassificationError(f"ar_cutoff must be a positive number, got {ar_cutoff!r}.")
    n = len(frame)
    flag = Inputs(frame).flag
    npm1 = flag("npm1")
    itd = flag("flt3_itd")
    if "flt3_itd_ar" in frame.columns:
        ar = pd.to_numeric(frame["flt3_itd_ar"], errors="coerce").astype("Float64")
        ar_v = ar.fillna(np.nan).to_numpy(dtype=float)
    else:
        ar_v = np.full(n, np.nan)
    ar_known = ~np.isnan(ar_v)
    with np.errstate(invalid="ignore"):
        high = ar_known & (ar_v >= ar_cutoff)
        low = ar_known & (ar_v < ar_cutoff)

    out = pd.DataFrame(index=frame.index)
    itd_parts: list[tuple[np.ndarray, str]] = []
    for state, mask in (("mut", npm1.true), ("wt", npm1.false)):
        itd_parts += [
            (mask & itd.false, f"NPM1{state}/ITD-neg"),
            (mask & itd.true & low, f"NPM1{state}/ITD-low"),
            (mask & itd.true & high, f"NPM1{state}/ITD-high"),
            (mask & itd.true & ~ar_known, f"NPM1{state}/ITD-unknown-ratio"),
        ]
    out["npm1_flt3_itd"] = _labels(itd_parts, n).to_numpy()

    triple = npm1 & itd & flag("dnmt3a")
    out["triple_mutated"] = _labels(
        [(triple.true, "NPM1/FLT3-ITD/DNMT3A"), (triple.false, "not triple-mutated")], n
    ).to_numpy()
    for column, (label, inputs) in CO_MUTATIONS.items():
        other = Tri.any_of([flag(c) for c in inputs], n)
        out[column] = _npm1_x(npm1, other, label, n).to_numpy()

    mtype = (
        frame["npm1_type"].astype("string")
        if "npm1_type" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    type_label = ("type " + mtype).where(mtype != "other", "other type").to_numpy(dtype=object)
    npm1_type = np.full(n, None, dtype=object)
    typed = npm1.true & mtype.notna().to_numpy()
    npm1_type[typed] = type_label[typed]
    npm1_type[npm1.false] = "NPM1wt"
    out["npm1_type"] = pd.array(npm1_type, dtype="string")

    out["age_band"] = _age_bands(frame.get("age"), breaks, n).to_numpy()
    out = out.astype("string")
    out.attrs["group_sizes"] = _SizesFrame(group_sizes(out, min_n=min_n))
    out.attrs["min_n"] = int(min_n)
    return out


def _age_bands(age: pd.Series | None, breaks: list[float], n: int) -> pd.Series:
    if age is None or len(age) == 0:
        return pd.Series(pd.NA, index=range(n), dtype="string")
    v = pd.to_numeric(age, errors="coerce").astype("Float64").fillna(np.nan).to_numpy(dtype=float)
    edges = [-np.inf, *breaks, np.inf]
    labels = [f"<={_fmt(breaks[0])}"]
    labels += [f"{_fmt(lo + 1)}-{_fmt(hi)}" for lo, hi in zip(breaks[:-1], breaks[1:], strict=True)]
    labels.append(f">{_fmt(breaks[-1])}")
    # Right-closed bands: 60.0 is "<=60", 60.5 is "61-65" (ages in whole years are the norm; the
    # label names whole years, the cut is exact).
    codes = pd.cut(v, bins=edges, right=True, labels=False)
    codes = np.asarray(codes, dtype=float)
    out = np.full(n, None, dtype=object)
    ok = ~np.isnan(codes)
    out[ok] = np.asarray(labels, dtype=object)[codes[ok].astype(int)]
    return pd.Series(out, dtype="string")


def _fmt(x: float) -> str:
    return f"{x:g}"


def group_sizes(groups: pd.DataFrame, *, min_n: int = 20) -> pd.DataFrame:
    """Patients per group of every grouping column, flagging groups smaller than ``min_n``.

    Returns
    -------
    pandas.DataFrame
        Columns ``grouping``, ``group``, ``n``, ``flagged_small``; an ``"undetermined"`` row per
        grouping counts the patients the inputs could not place (never flagged).
    """
    rows: list[dict[str, Any]] = []
    for col in groups.columns:
        counts = groups[col].value_counts(dropna=True).sort_index()
        for group, count in counts.items():
            rows.append(
                {
                    "grouping": col,
                    "group": str(group),
                    "n": int(count),
                    "flagged_small": count < min_n,
                }
            )
        rows.append(
            {
                "grouping": col,
                "group": UNDETERMINED,
                "n": int(groups[col].isna().sum()),
                "flagged_small": False,
            }
        )
    return pd.DataFrame(rows, columns=["grouping", "group", "n", "flagged_small"])


__all__ = ["CO_MUTATIONS", "genotype_groups", "group_sizes"]
