"""Result sentences written from computed results, so that no number in a report's prose is typed
by hand: ``describe_km``, ``describe_cuminc``, ``describe_cox`` and the p-value as a paragraph
writes it (:func:`fmt_p`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cohort.report.blocks import YEARS


def fmt_p(p: float | None) -> str:
    """A p-value as written in a results paragraph ("p = 0.012", "p < 0.001", "p not estimable")."""
    if p is None or not np.isfinite(p):
        return "p not estimable"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def _pct(x: float) -> str:
    return "not estimable" if x is None or not np.isfinite(x) else f"{100 * x:.0f}%"


def _years(days: float) -> str:
    y = days / 365.25
    return f"{y:g}-year" if float(y).is_integer() else f"{days:g}-day"


def _strip(label: str) -> str:
    """'itd_group=ITD-low' -> 'ITD-low' (group labels of cohort.km are 'column=value')."""
    return label.split("=", 1)[1] if "=" in label else label


def describe_km(res: Any, times: Sequence[float] = (YEARS[1],), *, endpoint: str = "OS") -> str:
    """One sentence per time point with each group's estimate and CI, then the log-rank test."""
    if res is None:
        return ""
    at = res.survival_at(list(times))
    parts = []
    for t, tab in at.groupby("time", sort=True):
        items = [
            f"{_strip(r.group)} {_pct(r.survival)} (95% CI {_pct(r.lower)}-{_pct(r.upper)})"
            for r in tab.itertuples()
        ]
        parts.append(f"{_years(float(t))} {endpoint}: " + ", ".join(items) + ".")
    n = ", ".join(
        f"{_strip(r.group)} n = {r.n} ({r.events} events)" for r in res.table.itertuples()
    )
    text = f"Patients: {n}. " + " ".join(parts)
    if res.test is not None:
        t = res.test
        text += f" Log-rank test: chi-square {t.statistic:.2f} on {t.dof} df, {fmt_p(t.p_value)}."
    return text


def describe_cuminc(res: Any, times: Sequence[float] = (YEARS[1],)) -> str:
    """Cumulative incidence of relapse per group at ``times`` and Gray's test."""
    if res is None:
        return ""
    at = res.at(list(times))
    at = at[at["event"] == 1]
    parts = []
    for t, tab in at.groupby("time", sort=True):
        items = [
            f"{_strip(r.group)} {_pct(r.cif)} (95% CI {_pct(r.lower)}-{_pct(r.upper)})"
            for r in tab.itertuples()
        ]
        parts.append(
            f"{_years(float(t))} cumulative incidence of relapse: " + ", ".join(items) + "."
        )
    text = " ".join(parts)
    if res.test is not None:
        row = res.test[res.test["event"] == 1]
        if len(row):
            text += f" Gray's test for relapse: {fmt_p(float(row['p_value'].iloc[0]))}."
    return text


def describe_cox(res: Any, term: str, label: str | None = None) -> str:
    """'<label>: HR 1.52 (95% CI 1.21-1.90), p = 0.001 (n = 512, 230 events).' for one term."""
    if res is None:
        return ""
    if term not in res.summary.index:
        return f"{label or term}: not in the model."
    r = res.summary.loc[term]
    return (
        f"{label or term}: HR {r['hr']:.2f} (95% CI {r['hr_lower']:.2f}-{r['hr_upper']:.2f}), "
        f"{fmt_p(r['p_value'])} (n = {res.n}, {res.events} events)."
    )
