"""The design matrix of a Dask cohort, built once per partition and persisted on the workers.

Categorical levels come from the whole cohort (:func:`global_levels`), so every partition encodes
a factor the same way; the time, event (and case-weight) columns travel with the covariates under
names no formula can use. The distributed Cox (:mod:`cohort.scale.cox`) and Fine-Gray
(:mod:`cohort.scale.finegray`) fits run their Newton passes over this persisted matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cohort.errors import ModelError
from cohort.survival.formula import Formula, _is_categorical, design_matrix

TIME, EVENT = "_ time", "_ event"  # formula names are identifiers: these cannot clash
WEIGHTS = "_ weights"  # the case weights carried in the persisted design


def _categorical(parsed: Formula, meta: pd.DataFrame) -> list[str]:
    out = []
    for term in parsed.terms:
        for f in term:
            if (f.categorical or _is_categorical(meta[f.name])) and f.name not in out:
                out.append(f.name)
    return out


def _design_template(rows: pd.DataFrame, parsed: Formula, levels: dict[str, list]) -> pd.DataFrame:
    """Rows holding every level of every categorical covariate (0 for the others)."""
    k = max((len(v) for v in levels.values()), default=1)
    return pd.DataFrame(
        {
            c: pd.Series(
                [levels[c][min(i, len(levels[c]) - 1)] for i in range(k)]
                if c in levels
                else [0] * k,
                dtype=rows[c].dtype,
            )
            for c in parsed.variables
        }
    )


def _design_part(
    part: pd.DataFrame,
    parsed: Formula,
    levels: dict[str, list],
    tcol: str,
    ecol: str,
    strata: list[str],
    times: tuple[np.ndarray, np.ndarray] | None,
    names: list[str],
) -> pd.DataFrame:
    """Complete rows of one partition as stratum columns, time, event and the design matrix.

    Categorical levels come from the whole cohort: a template row per level is put in front of the
    partition's rows so that :func:`cohort.survival.formula.design_matrix` makes the same columns in every
    partition (a partition may lack a level, or even the reference level), then dropped.
    """
    cols = list(parsed.variables)
    keep = part[tcol].notna() & part[ecol].notna()
    for c in cols + strata:
        keep &= part[c].notna()
    rows = part.loc[keep]
    template = _design_template(rows, parsed, levels)
    k = len(template)
    x, _ = design_matrix(parsed, pd.concat([template, rows[cols]], ignore_index=True))
    x = x.iloc[k:]
    if list(x.columns) != names:  # pragma: no cover - guarded by the global levels
        raise ModelError(f"cohort.cox: partition design columns {list(x.columns)} != {names}.")
    t = rows[tcol].to_numpy(dtype=float)
    if times is not None:  # R's aeqSurv merge, decided on the cohort's distinct times
        t = times[1][np.searchsorted(times[0], t)]
    out = pd.DataFrame({c: rows[c].to_numpy() for c in strata})
    out[TIME] = t
    out[EVENT] = rows[ecol].to_numpy(dtype=np.int64)
    for j in range(len(names)):
        out[f"_ x{j}"] = x.iloc[:, j].to_numpy(dtype=float)
    return out


def global_levels(frame: Any, cats: list[str], uniques: list) -> dict[str, list]:
    """The levels of each categorical covariate in the whole cohort, in the in-memory order."""
    from cohort.survival.formula import _levels

    levels = {}
    for c, values in zip(cats, uniques, strict=True):
        ser = pd.Series(values, dtype=frame._meta[c].dtype)
        if isinstance(ser.dtype, pd.CategoricalDtype) and not ser.cat.known:  # pragma: no cover
            ser = ser.astype(object)
        levels[c] = _levels(ser)
    return levels


def persisted_design(frame, parsed, levels, tcol, ecol, carry, times):
    """The complete rows as carried columns, time, event and design matrix, persisted on the
    workers; with the design's column names and term assignment (from the template rows)."""
    empty = frame._meta.iloc[:0]
    names_x, assign = design_matrix(parsed, _design_template(empty, parsed, levels))
    names = list(names_x.columns)
    meta = _design_part(empty, parsed, levels, tcol, ecol, carry, None, names)
    design = frame.map_partitions(
        _design_part, parsed, levels, tcol, ecol, carry, times, names, meta=meta
    ).persist()
    return design, names, assign
