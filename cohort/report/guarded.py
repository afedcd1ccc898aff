"""Survival blocks that check group sizes first: a subset with too few patients or events is
reported as such in the text and in a table, and left out of the comparison, instead of producing an
unstable estimate or an error (:func:`guarded_km`, :func:`guarded_cuminc`, :func:`guarded_cox`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from cohort.errors import CohortError
from cohort.report.blocks import cox_block, cuminc_block, km_block
from cohort.report.document import Report
from cohort.report.needs import has, join, lacking

MIN_PATIENTS = 10
"""Groups with fewer patients are reported but not estimated."""
MIN_EVENTS = 5
"""Comparisons (and models) with fewer events in total are reported but not estimated."""


def _sizes(data: pd.DataFrame, by: str, event: pd.Series) -> pd.DataFrame:
    known = data[by].notna() & event.notna()
    g = data.loc[known, by].astype("object")
    e = event[known].astype(float) > 0
    out = pd.DataFrame({"n": g.value_counts(), "events": e.groupby(g).sum()}).fillna(0)
    return out.astype(int).rename_axis("group").reset_index()


def _usable(
    report: Report, name: str, data: pd.DataFrame, by: str, event: pd.Series, what: str, min_n: int
) -> pd.DataFrame | None:
    """Rows of the groups with >= ``min_n`` patients (the others reported); None: no comparison."""
    if by not in data.columns:
        report.text(f"{what}: not estimated, the data have no column {by!r}.")
        return None
    sizes = _sizes(data, by, event)
    small = sizes[sizes["n"] < min_n]
    if len(small):
        report.table(
            f"{name}_too_small",
            small.assign(minimum_n=min_n),
            f"{what}: groups with fewer than {min_n} patients (reported, not estimated)",
        )
        report.text(
            f"{what}: "
            + "; ".join(f"{r.group} has {r.n} patient(s)" for r in small.itertuples())
            + f", too few to estimate (minimum {min_n}); left out of this comparison."
        )
    keep_groups = set(sizes.loc[sizes["n"] >= min_n, "group"])
    if len(keep_groups) < 2:
        report.text(
            f"{what}: not compared, {len(keep_groups)} group(s) with {min_n} or more patients "
            "(two are needed)."
        )
        return None
    rows = data[data[by].astype("object").isin(keep_groups) | data[by].isna()]
    total_events = int(sizes.loc[sizes["group"].isin(keep_groups), "events"].sum())
    if total_events < MIN_EVENTS:
        report.text(
            f"{what}: not estimated, only {total_events} event(s) among the patients with a known "
            f"group (minimum {MIN_EVENTS})."
        )
        return None
    return rows


def _endpoint_event(data: pd.DataFrame, endpoint: str) -> pd.Series:
    from cohort.schema import ENDPOINTS

    tcol, ecol = ENDPOINTS[endpoint]
    if tcol not in data.columns or ecol not in data.columns:
        return pd.Series(pd.NA, index=data.index, dtype="Float64")
    ev = pd.to_numeric(data[ecol], errors="coerce").astype("Float64")
    if endpoint == "cir":
        ev = (ev == 1).astype("Float64").where(ev.notna())
    return ev.where(pd.to_numeric(data[tcol], errors="coerce").notna())


def _lacks(report: Report, data: pd.DataFrame, what: str, needs: Sequence[str]) -> bool:
    """Say (and return True) when the cohort or ``data`` lacks a column or endpoint of ``needs``.

    A need the whole cohort lacks is named as such ("this cohort lacks event-free survival
    (efs_days and efs_event)"), never reported as "0 events".
    """
    missing = lacking(report.cohort, needs) or [n for n in needs if not has(data, n)]
    if not missing:
        return False
    if lacking(report.cohort, needs):
        report.text(f"{what}: left out, this cohort lacks {join(missing)}.")
    else:
        report.text(f"{what}: not estimated, no patient of this subset has {join(missing)}.")
    return True


def _formula_columns(data: pd.DataFrame, formula: str) -> list[str]:
    """Canonical columns named in a model formula (derived columns of ``data`` left aside)."""
    from cohort.schema import COLUMNS

    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))
    return sorted(n for n in names if n in COLUMNS)


def guarded_km(
    report: Report,
    name: str,
    data: pd.DataFrame,
    by: str,
    *,
    endpoint: str = "os",
    title: str = "",
    min_n: int = MIN_PATIENTS,
) -> Any:
    """:func:`km_block` on the groups of ``by`` large enough to estimate; None with fewer than two."""
    what = title or f"{endpoint.upper()} by {by}"
    if _lacks(report, data, what, (endpoint,)):
        return None
    rows = _usable(report, name, data, by, _endpoint_event(data, endpoint), what, min_n)
    if rows is None:
        return None
    try:
        return km_block(report, name, rows, by, endpoint=endpoint, title=title)
    except CohortError as exc:
        report.text(f"{what}: not estimated ({exc}).")
        return None


def guarded_cuminc(
    report: Report,
    name: str,
    data: pd.DataFrame,
    by: str,
    *,
    title: str = "",
    min_n: int = MIN_PATIENTS,
) -> Any:
    """:func:`cuminc_block` (relapse, death in remission competing) on the groups large enough."""
    what = title or f"Cumulative incidence of relapse by {by}"
    if _lacks(report, data, what, ("cir",)):
        return None
    rows = _usable(report, name, data, by, _endpoint_event(data, "cir"), what, min_n)
    if rows is None:
        return None
    try:
        res = cuminc_block(report, name, rows, by, title=title)
    except CohortError as exc:
        report.text(f"{what}: not estimated ({exc}).")
        return None
    if res.excluded and any(res.excluded.values()):
        report.table(
            f"{name}_excluded",
            pd.DataFrame([{"reason": k, "n": v} for k, v in res.excluded.items() if v]),
            f"{what}: patients left out (no relapse time: not in remission, or group unknown)",
        )
    return res


def guarded_cox(
    report: Report,
    name: str,
    data: pd.DataFrame,
    formula: str,
    *,
    endpoint: str = "os",
    title: str = "",
    min_events: int = MIN_EVENTS,
) -> Any:
    """:func:`cox_block`, or a sentence saying why the model was not fitted."""
    what = title or f"Cox model {formula}"
    if _lacks(report, data, what, (endpoint, *_formula_columns(data, formula))):
        return None
    events = _endpoint_event(data, endpoint)
    n_events = int((events.fillna(0) > 0).sum())
    if n_events < min_events:
        report.text(f"{what}: not fitted, {n_events} event(s) (minimum {min_events}).")
        return None
    try:
        return cox_block(report, name, data, formula, endpoint=endpoint, title=title)
    except CohortError as exc:
        report.text(f"{what}: not fitted ({exc}).")
        return None


def guarded_outcomes(
    report: Report, data: pd.DataFrame, by: str, *, name: str, title: str
) -> tuple[Any, Any, Any]:
    """Overall and event-free survival (:func:`guarded_km`) and cumulative incidence of relapse
    (:func:`guarded_cuminc`) by ``by``.

    Parameters
    ----------
    report : Report
    data : pandas.DataFrame
    by : str
        The group column.
    name : str
        Block names with ``{}`` for the endpoint, e.g. ``"{}_by_itd"`` (``os_by_itd``, ...).
    title : str
        Titles with ``{}`` for the outcome, e.g. ``"{} of NPM1-mutated AML by FLT3-ITD group"``.

    Returns
    -------
    tuple
        The OS, EFS and relapse results (each None when not estimated).
    """
    os_res = guarded_km(
        report, name.format("os"), data, by, endpoint="os", title=title.format("Overall survival")
    )
    efs_res = guarded_km(
        report, name.format("efs"), data, by, endpoint="efs",
        title=title.format("Event-free survival"),
    )  # fmt: skip
    cir_res = guarded_cuminc(
        report, name.format("cir"), data, by, title=title.format("Cumulative incidence of relapse")
    )
    return os_res, efs_res, cir_res
