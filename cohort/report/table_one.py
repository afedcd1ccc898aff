"""Table 1: patient characteristics by group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cohort.schema import COLUMNS

DEFAULT_VARIABLES: tuple[str, ...] = (
    "age", "sex", "aml_type", "wbc", "bm_blasts_pct", "npm1", "flt3_itd", "flt3_tkd", "dnmt3a", "idh1",
    "idh2", "nras", "kras", "wt1", "tet2", "rad21", "tp53", "runx1", "asxl1", "normal_karyotype",
    "complex_karyotype", "intensive", "venetoclax", "flt3_inhibitor", "hsct", "cr",
)  # fmt: skip


def _fmt_median(x: pd.Series) -> str:
    x = pd.to_numeric(x, errors="coerce").dropna()
    if x.empty:
        return "-"
    q1, med, q3 = np.percentile(x.astype(float), [25, 50, 75])
    return f"{med:.1f} ({q1:.1f}-{q3:.1f})"


def _fmt_count(k: int, n: int) -> str:
    return f"{k} ({100 * k / n:.1f}%)" if n else "-"


def table_one(
    data: pd.DataFrame,
    by: str | None = None,
    variables: Sequence[str] = DEFAULT_VARIABLES,
    *,
    tests: bool = True,
) -> pd.DataFrame:
    """Descriptive table of patient characteristics, overall and by group.

    Continuous variables: median (interquartile range), Kruskal-Wallis test across groups.
    Boolean and categorical variables: n (% of those with a known value), chi-square test (Fisher's
    exact test for a 2x2 table with an expected count below 5). The ``missing`` column counts
    unknown values, which are never folded into the "no" category.

    Returns
    -------
    pandas.DataFrame
        Columns ``variable``, ``level``, ``overall``, one column per group, ``missing``, ``p_value``.
    """
    frame = data
    groups: list = []
    if by is not None:
        g = frame[by].astype("object")
        groups = [v for v in pd.unique(g.dropna())]
        try:
            groups = sorted(groups)
        except TypeError:
            pass
    rows = []
    for var in variables:
        if var == by or var not in frame.columns or frame[var].isna().all():
            continue
        col = frame[var]
        kind = (
            COLUMNS[var].kind
            if var in COLUMNS
            else ("float" if pd.api.types.is_numeric_dtype(col) else "category")
        )
        missing = int(col.isna().sum())
        parts = {grp: frame.loc[frame[by] == grp, var] for grp in groups} if by else {}
        if kind in ("float", "integer"):
            row = {"variable": var, "level": "median (IQR)", "overall": _fmt_median(col)}
            for grp, x in parts.items():
                row[str(grp)] = _fmt_median(x)
            p = np.nan
            samples = [
                pd.to_numeric(x, errors="coerce").dropna().astype(float) for x in parts.values()
            ]
            samples = [s for s in samples if len(s)]
            if tests and len(samples) > 1:
                p = float(stats.kruskal(*samples).pvalue)
            rows.append({**row, "missing": missing, "p_value": p})
            continue
        if kind == "boolean":
            levels = [True]
        else:
            levels = sorted(pd.unique(col.dropna().astype(str)))
        values = col.astype("object").where(col.notna())
        known = values.dropna()
        p = np.nan
        if tests and by and len(groups) > 1:
            ct = pd.crosstab(frame.loc[known.index, by], known.astype(str))
            if ct.shape[0] > 1 and ct.shape[1] > 1:
                if (
                    ct.shape == (2, 2)
                    and (stats.contingency.expected_freq(ct.to_numpy()) < 5).any()
                ):
                    p = float(stats.fisher_exact(ct.to_numpy())[1])
                else:
                    p = float(stats.chi2_contingency(ct.to_numpy())[1])
        for i, lv in enumerate(levels):
            label = "yes" if kind == "boolean" else str(lv)
            hit = known.astype(str) == str(lv)
            row = {
                "variable": var,
                "level": label,
                "overall": _fmt_count(int(hit.sum()), len(known)),
            }
            for grp, x in parts.items():
                xk = x.dropna().astype("object").astype(str)
                row[str(grp)] = _fmt_count(int((xk == str(lv)).sum()), len(xk))
            rows.append(
                {
                    **row,
                    "missing": missing if i == 0 else np.nan,
                    "p_value": p if i == 0 else np.nan,
                }
            )
    header = pd.DataFrame(
        [
            {
                "variable": "patients",
                "level": "n",
                "overall": str(len(frame)),
                **{str(g): str(int((frame[by] == g).sum())) for g in groups},
                "missing": np.nan,
                "p_value": np.nan,
            }
        ]
    )
    cols = ["variable", "level", "overall", *[str(g) for g in groups], "missing", "p_value"]
    return pd.concat([header, pd.DataFrame(rows)], ignore_index=True).reindex(columns=cols)
