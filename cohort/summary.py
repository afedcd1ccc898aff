"""A short account of a loaded cohort: size, exclusions, genotype frequencies, follow-up, events.

Median follow-up is estimated by the reverse Kaplan-Meier method (Schemper & Smith, Control Clin
Trials 1996;17:343): the OS data with censoring treated as the event, fitted by lifelines.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cohort.cohort import Cohort, as_frame
from cohort.io.normalise import DAYS_PER_UNIT
from cohort.schema import ENDPOINTS, GENES

# R's survival (print.survfit, survmean's ``minmin``) compares survival with 0.5 using this tolerance.
_R_TOLERANCE = np.sqrt(np.finfo(float).eps)


def km_median(times: pd.Series, events: pd.Series) -> float | None:
    """Median of a Kaplan-Meier curve fitted by lifelines, with R ``survfit``'s rule for ties at 0.5.

    lifelines reports the first time the curve is <= 0.5; R averages that time with the next drop
    when the curve sits exactly at 0.5, so the R rule is applied to lifelines' curve here.

    Returns ``None`` when the curve never falls to 0.5.
    """
    from lifelines import KaplanMeierFitter

    t = pd.to_numeric(times, errors="coerce").astype(float)
    e = pd.to_numeric(events, errors="coerce").astype(float)
    ok = t.notna() & e.notna()
    if not ok.any():
        return None
    kmf = KaplanMeierFitter().fit(t[ok].to_numpy(), event_observed=e[ok].to_numpy())
    sf = kmf.survival_function_.iloc[:, 0]
    x = sf.index.to_numpy(dtype=float)
    y = sf.to_numpy(dtype=float)
    keep = y < 0.5 + _R_TOLERANCE
    if not keep.any():
        return None
    x, y = x[keep], y[keep]
    lower = np.flatnonzero(y < y[0])
    if abs(y[0] - 0.5) < _R_TOLERANCE and lower.size:
        return float((x[0] + x[lower[0]]) / 2)
    return float(x[0])


def summarise(cohort: Cohort | pd.DataFrame) -> dict[str, Any]:
    """Summarise a cohort.

    Parameters
    ----------
    cohort : Cohort or pandas.DataFrame

    Returns
    -------
    dict
        ``n``, ``n_input``, ``n_excluded``, ``endpoints_blanked`` (endpoint -> kept patients whose
        time and event were blanked at load), ``exclusions_by_reason`` (reason -> rows; a row with two
        reasons counts under both), ``genotypes`` (gene -> ``n_tested``, ``n_mutated``,
        ``frequency``), ``follow_up`` (reverse Kaplan-Meier median in days and months, with the
        number of patients), ``endpoints`` (per endpoint: ``n`` with a time and event, ``events``;
        for CIR ``relapses`` and ``competing_deaths``), ``derived`` and ``warnings`` from the load
        report. No patient identifiers.
    """
    frame = as_frame(cohort, what="summarise")
    is_cohort = isinstance(cohort, Cohort)
    excl = cohort.excluded_patients() if is_cohort else pd.DataFrame()
    blanked: dict[str, int] = {}
    if is_cohort and "scope" in cohort.exclusions.columns:
        scoped = cohort.exclusions[cohort.exclusions["scope"].isin(list(ENDPOINTS))]
        blanked = {str(k): int(v) for k, v in scoped.groupby("scope")["row"].nunique().items()}
    by_reason: dict[str, int] = {}
    for reasons in excl.get("reason", pd.Series(dtype=object)).dropna():
        for r in str(reasons).split("; "):
            by_reason[r] = by_reason.get(r, 0) + 1
    n_excluded = int(excl["row"].nunique()) if len(excl) else 0

    genotypes = {}
    for g in GENES:
        if g in frame.columns:
            s = frame[g].astype("boolean")
            tested = int(s.notna().sum())
            mutated = int(s.fillna(False).sum())
            genotypes[g] = {
                "n_tested": tested,
                "n_mutated": mutated,
                "frequency": mutated / tested if tested else None,
            }

    follow_up: dict[str, Any] = {"method": "reverse Kaplan-Meier on OS", "n": 0,
                                 "median_days": None, "median_months": None}  # fmt: skip
    if {"os_days", "os_event"} <= set(frame.columns):
        ok = frame["os_days"].notna() & frame["os_event"].notna()
        follow_up["n"] = int(ok.sum())
        med = km_median(frame.loc[ok, "os_days"], 1 - frame.loc[ok, "os_event"].astype(float))
        follow_up["median_days"] = med
        follow_up["median_months"] = None if med is None else med / DAYS_PER_UNIT["months"]

    endpoints: dict[str, dict[str, int]] = {}
    for name, (tcol, ecol) in ENDPOINTS.items():
        if tcol not in frame.columns or ecol not in frame.columns:
            continue
        ok = frame[tcol].notna() & frame[ecol].notna()
        ev = frame.loc[ok, ecol].astype(int)
        entry = {"n": int(ok.sum()), "events": int((ev > 0).sum())}
        if name == "cir":
            entry["relapses"] = int((ev == 1).sum())
            entry["competing_deaths"] = int((ev == 2).sum())
        endpoints[name] = entry

    report = cohort.report if is_cohort else {}
    return {
        "n": len(frame),
        "n_input": cohort.n_input if is_cohort else len(frame),
        "n_excluded": n_excluded,
        "exclusions_by_reason": dict(sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))),
        "endpoints_blanked": blanked,
        "genotypes": genotypes,
        "follow_up": follow_up,
        "endpoints": endpoints,
        "extra_columns": list(report.get("extra_columns", [])),
        "derived": list(report.get("derived", [])),
        "warnings": list(report.get("warnings", [])),
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as plain text (no patient identifiers)."""
    lines = [
        f"Patients: {summary['n']} kept of {summary['n_input']} input rows "
        f"({summary['n_excluded']} excluded)."
    ]
    if summary["exclusions_by_reason"]:
        lines.append("Exclusions by reason (a row may have several):")
        lines += [f"  {r}: {n}" for r, n in summary["exclusions_by_reason"].items()]
    for endpoint, n in summary.get("endpoints_blanked", {}).items():
        lines.append(f"{endpoint.upper()} blanked for {n} kept patient(s) (see .exclusions).")
    fu = summary["follow_up"]
    if fu["median_days"] is not None:
        lines.append(
            f"Median follow-up (reverse Kaplan-Meier, n={fu['n']}): {fu['median_days']:.0f} days "
            f"({fu['median_months']:.1f} months)."
        )
    elif fu["n"]:
        lines.append(f"Median follow-up not reached (reverse Kaplan-Meier, n={fu['n']}).")
    if summary["endpoints"]:
        lines.append("Endpoints (patients with time and status; events):")
        for name, e in summary["endpoints"].items():
            extra = ""
            if name == "cir":
                extra = (
                    f" ({e['relapses']} relapses, {e['competing_deaths']} deaths without relapse)"
                )
            lines.append(f"  {name.upper()}: n={e['n']}, events={e['events']}{extra}")
    if summary["genotypes"]:
        lines.append("Genotypes (mutated / tested):")
        for g, v in summary["genotypes"].items():
            pct = "" if v["frequency"] is None else f" ({100 * v['frequency']:.1f}%)"
            lines.append(f"  {g}: {v['n_mutated']}/{v['n_tested']}{pct}")
    if summary["derived"]:
        lines.append("Derived values:")
        for d in summary["derived"]:
            lines.append(f"  {d['column']} from {d['from']} ({d['rule']}): {d['n']}")
    if summary["extra_columns"]:
        lines.append(
            f"Columns outside the schema, kept unchanged: {_first(summary['extra_columns'])}."
        )
    if summary["warnings"]:
        lines.append("Warnings:")
        lines += [f"  {w}" for w in summary["warnings"]]
    return "\n".join(lines)


SHOWN_NAMES = 12
"""How many extra column names the text summary lists before "... and N more"."""


def _first(names: list[str], n: int = SHOWN_NAMES) -> str:
    """The first ``n`` names, then how many more (a file may carry thousands of extra columns)."""
    shown = ", ".join(names[:n])
    return shown + (f", ... and {len(names) - n} more" if len(names) > n else "")
