"""More report blocks for the scripts in ``analyses/``: patient flow by group, guarded survival blocks,
reclassification, discrimination, co-mutations, MRD and time-dependent exposures.

The guarded blocks (:func:`guarded_km`, :func:`guarded_cuminc`, :func:`guarded_cox`) check group sizes
first: a subset with too few patients or events is reported as such in the text and in a table, and
left out of the comparison, instead of producing an unstable estimate or an error. The ``describe_*``
functions write the interpretation sentences from the computed results, so that no number in a
report's prose is typed by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cohort.errors import CohortError
from cohort.numbers import fmt_ci
from cohort.numbers import fmt_p as fmt_p_short
from cohort.report.blocks import (
    YEARS,
    _p_words,
    cox_block,
    cuminc_block,
    cuminc_headline,
    km_block,
    km_headline,
)
from cohort.report.display import term_label
from cohort.report.document import Report
from cohort.report.needs import has, join, lacking

MIN_PATIENTS = 10
"""Groups with fewer patients are reported but not estimated."""
MIN_EVENTS = 5
"""Comparisons (and models) with fewer events in total are reported but not estimated."""
UNDETERMINED = "undetermined"

__all__ = [
    "MIN_EVENTS",
    "MIN_PATIENTS",
    "classification",
    "compare_systems_block",
    "comutation_block",
    "describe_cox",
    "describe_cuminc",
    "describe_km",
    "fmt_p",
    "group_flow",
    "guarded_cox",
    "guarded_cuminc",
    "guarded_km",
    "landmark_block",
    "mrd_block",
    "npm1_mutated",
    "ordered",
    "reclassification_block",
    "simon_makuch_block",
    "time_varying_block",
]


# ------------------------------------------------------------------------------------ formatting
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


# ------------------------------------------------------------------------------------ flow
def group_flow(
    report: Report,
    labels: pd.Series,
    *,
    order: Sequence[str] | None = None,
    prefix: str = "",
    undetermined_note: str = "data cannot decide the group; counted, not analysed",
) -> pd.DataFrame:
    """Add one flow step per group of ``labels`` (missing = undetermined); return the counts.

    Every patient of ``labels`` appears in exactly one step, so the steps sum to ``len(labels)``.
    """
    lab = labels.astype("object").where(labels.notna(), UNDETERMINED)
    counts = lab.value_counts()
    names = (
        list(order) if order is not None else sorted(k for k in counts.index if k != UNDETERMINED)
    )
    names += [k for k in counts.index if k not in names and k != UNDETERMINED]
    rows = []
    for name in [*names, UNDETERMINED]:
        n = int(counts.get(name, 0))
        if name == UNDETERMINED and n == 0:
            continue
        report.flow(f"{prefix}{name}", n, undetermined_note if name == UNDETERMINED else "")
        rows.append({"group": name, "n": n})
    return pd.DataFrame(rows, columns=["group", "n"])


# ------------------------------------------------------------------------------------ guards
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


# ------------------------------------------------------------------------------------ prose
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


# ------------------------------------------------------------------------------------ other figures
def reclassification_block(
    report: Report, name: str, recl: Any, *, title: str = ""
) -> pd.DataFrame:
    """Heat map of a :func:`cohort.reclassify` result, its counts and row percentages."""
    from cohort.plots import reclassification_plot

    title = title or f"Reclassification from {recl.from_system} to {recl.to_system}"
    counts = recl.counts
    fig = reclassification_plot(counts, title=title)
    tidy = counts.stack().rename("n").reset_index()
    tidy.columns = ["from_category", "to_category", "n"]
    pct = recl.row_percent.stack(future_stack=True).rename("row_percent").reset_index()
    tidy["row_percent"] = pct["row_percent"].to_numpy()
    summary = pd.DataFrame(
        [
            {
                "from_system": recl.from_system,
                "to_system": recl.to_system,
                "n_compared": recl.n_compared,
                "n_moved": recl.n_moved,
                "percent_moved": recl.percent_moved,
            }
        ]
    )
    report.figure(name, fig, title, {"counts": tidy, "summary": summary})
    report.method(
        "reclassify",
        "Reclassification tables cross the categories of two classifications for the same patients; "
        "patients undetermined in either are shown in their own row or column and not counted as moved.",
    )
    return tidy


def compare_systems_block(
    report: Report,
    name: str,
    data: Any,
    systems: Sequence[str],
    *,
    endpoint: str = "os",
    n_boot: int = 200,
    seed: int = 2020,
    title: str = "",
) -> Any:
    """Discrimination of classifications on the same patients (:func:`cohort.compare_systems`)."""
    from cohort.discrimination import compare_systems

    try:
        res = compare_systems(data, list(systems), endpoint, n_boot=n_boot, seed=seed, n_jobs=1)
    except CohortError as exc:
        report.text(f"{title or 'Discrimination'}: not estimated ({exc}).")
        return None
    caption = title or f"Discrimination of {', '.join(systems)} for {endpoint.upper()}"
    report.table(f"{name}_metrics", res.metrics, caption)
    report.table(
        f"{name}_differences",
        res.differences,
        f"{caption}: difference in Harrell's C from {systems[0]} (percentile bootstrap)",
    )
    excluded = res.excluded.rename_axis("reason").reset_index(name="n")
    if len(excluded):
        report.table(f"{name}_excluded", excluded, f"{caption}: patients left out")
    report.method(
        "compare_systems",
        "Classifications were compared on the same patients (those with a determined category in every "
        "system) by Harrell's concordance with its standard error (as R survival::concordance), Uno's "
        "concordance (scikit-survival), time-dependent AUC and integrated Brier score (as R "
        "riskRegression::Score) and the AIC of a Cox model with the classification as a factor; differences in "
        f"Harrell's C have percentile bootstrap intervals ({n_boot} paired resamples, numpy Generator "
        f"seed {seed}). These are apparent (in-sample) measures.",
    )
    return res


def comutation_block(
    report: Report, name: str, data: pd.DataFrame, genes: Sequence[str], *, title: str = ""
) -> pd.DataFrame:
    """Co-mutation matrix within NPM1-mutated patients, with the counts as a table."""
    from cohort.plots import comutation_plot, comutation_table

    present = [g for g in genes if g in data.columns]
    sub = data[data["npm1"].astype("boolean").fillna(False)]
    fig = comutation_plot(data, present, within="npm1", title=title or None)
    table = comutation_table(sub, present).rename_axis("gene").reset_index()
    known = pd.DataFrame(
        {
            "gene": present,
            "n_known": [int(sub[g].notna().sum()) for g in present],
            "n_mutated": [int(sub[g].astype("boolean").fillna(False).sum()) for g in present],
        }
    )
    report.figure(
        name,
        fig,
        title or "Co-mutations within NPM1-mutated AML (diagonal: mutated patients)",
        {"pairs": table, "tested": known},
    )
    return table


def mrd_block(
    report: Report,
    name: str,
    mrd: pd.DataFrame,
    outcome: pd.Series,
    *,
    sample: str = "PB",
    max_patients: int = 60,
    seed: int = 2020,
    title: str = "",
) -> None:
    """MRD trajectories coloured by ``outcome`` (indexed by patient id); numbers per outcome group.

    The table summarises the drawn samples by group (no patient identifiers).
    """
    from cohort.plots import mrd_plot

    fig = mrd_plot(
        mrd,
        outcome=outcome,
        sample=sample,
        max_patients=max_patients,
        seed=seed,
        title=title or None,
    )
    table = mrd[mrd["sample"] == sample] if sample else mrd
    grp = table["patient_id"].map(outcome).astype("object").fillna(UNDETERMINED)
    summary = (
        table.assign(group=grp.to_numpy())
        .groupby("group")
        .agg(
            patients=("patient_id", "nunique"),
            samples=("npm1_abl1_pct", "size"),
            median_pct=("npm1_abl1_pct", "median"),
        )
        .reset_index()
    )
    report.figure(
        name,
        fig,
        title
        or f"NPM1 MRD (NPM1mut/ABL1 %) in {sample}, at most {max_patients} patients drawn at random "
        f"(seed {seed})",
        {"samples_by_group": summary},
    )


def simon_makuch_block(
    report: Report,
    name: str,
    res: Any,
    *,
    title: str = "",
    times: Sequence[float] = YEARS,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Simon-Makuch curves (Kaplan-Meier by current exposure) and survival at ``times``.

    ``labels`` renames the curves (e.g. ``{"hsct_in_cr1": "after allo-HSCT in CR1"}``).
    """
    from cohort.plots import simon_makuch_plot

    labels = labels or {}
    fig = simon_makuch_plot(
        res, labels=labels or None, title=title or None, time_unit=report.time_unit
    )
    caption = title or "Simon-Makuch curves (Kaplan-Meier by current exposure)"
    at = res.survival_at(list(times))
    at["group"] = at["group"].replace(labels)
    report.figure(name, fig, caption, {"survival_at": at})
    report.method(
        "simon_makuch",
        "Simon-Makuch curves are Kaplan-Meier estimates by current exposure: patients contribute to the "
        "unexposed curve until transplant and enter the transplanted curve at transplant (delayed entry), "
        "as R survfit(Surv(start, stop, event) ~ exposed) on the split data.",
    )
    return at


def time_varying_block(
    report: Report,
    name: str,
    data: Any,
    *,
    exposure: str,
    exposure_days: str = "hsct_days",
    covariates: Sequence[str] = (),
    endpoint: str = "os",
    title: str = "",
    min_events: int = MIN_EVENTS,
) -> tuple[Any, Any]:
    """Time-dependent Cox model and Mantel-Byar test of ``exposure``; (cox, mantel_byar) or Nones."""
    from cohort.time_varying import cox_time_varying, mantel_byar

    what = title or f"{exposure} as a time-dependent exposure"
    report.endpoints_used.add(endpoint)
    try:
        mb = mantel_byar(data, endpoint, exposure=exposure, exposure_days=exposure_days)
    except CohortError as exc:
        report.text(f"{what}: Mantel-Byar test not computed ({exc}).")
        mb = None
    events = int(mb.split.intervals["event"].sum()) if mb is not None else 0
    if mb is not None and events < min_events:
        report.text(f"{what}: not estimated, {events} event(s) (minimum {min_events}).")
        return None, None
    try:
        tv = cox_time_varying(
            data, tuple(covariates), endpoint, exposure=exposure, exposure_days=exposure_days
        )
    except CohortError as exc:
        report.text(f"{what}: time-dependent Cox model not fitted ({exc}).")
        tv = None
    if tv is not None:
        fit = pd.DataFrame([{"n": tv.n, "events": tv.events}])
        report.table(f"{name}_cox", tv.summary, f"{what}: time-dependent Cox model")
        r = tv.summary.iloc[0]
        mb_p = f"; Mantel-Byar p {_p_words(fmt_p_short(mb.p_value))}" if mb is not None else ""
        report.result(
            f"{what}: HR for {term_label(tv.summary.index[0])} "
            f"{fmt_ci(r['hr'], r['hr_lower'], r['hr_upper'])}, p {_p_words(fmt_p_short(r['p_value']))}"
            f"{mb_p} ({tv.n:,} patients, {tv.events:,} events).",
            tv.n,
        )
        report.table(
            f"{name}_cox_fit", fit, f"{what}: patients and events in the model", show=False
        )
        excluded = tv.split.excluded_counts.rename_axis("reason").reset_index(name="n")
        if len(excluded):
            report.table(f"{name}_excluded", excluded, f"{what}: patients left out")
    if mb is not None:
        report.table(
            f"{name}_mantel_byar",
            pd.DataFrame(
                [
                    {
                        "statistic": mb.statistic,
                        "dof": mb.dof,
                        "p_value": mb.p_value,
                        "observed_exposed": mb.observed_exposed,
                        "expected_exposed": mb.expected_exposed,
                    }
                ]
            ),
            f"{what}: Mantel-Byar test",
        )
    report.method(
        "time_varying",
        "Transplant was analysed as a time-dependent exposure to avoid immortal-time bias: follow-up was "
        "split at the transplant date (as R survival::tmerge), the Cox model was fitted on the start-stop "
        "intervals (Efron ties, equal to R coxph(Surv(start, stop, event) ~ ...)) "
        "and tested with the Mantel-Byar test (log-rank with patients moving to the exposed risk set at "
        "transplant).",
    )
    return tv, mb


# ------------------------------------------------------------------------------------ subsets
def npm1_mutated(report: Report, data: pd.DataFrame) -> pd.DataFrame:
    """Flow steps 'NPM1 status known' and 'NPM1-mutated'; returns the NPM1-mutated rows."""
    npm1 = data["npm1"].astype("boolean") if "npm1" in data.columns else None
    if npm1 is None:
        report.flow("NPM1 status known", 0, "the data have no npm1 column")
        return data.iloc[0:0]
    report.flow("NPM1 status known", int(npm1.notna().sum()), f"{int(npm1.isna().sum())} unknown")
    mutated = data[npm1.fillna(False).to_numpy(dtype=bool)]
    report.flow("NPM1-mutated", len(mutated))
    return mutated


def ordered(labels: pd.Series, order: Sequence[str]) -> pd.Series:
    """``labels`` as a Categorical in ``order`` (other values missing), for the order of tables and plots."""
    return pd.Series(
        pd.Categorical(labels.astype("object"), categories=list(order)), index=labels.index
    )


def classification(data: Any, system: str, **options: Any) -> pd.Series:
    """The category of every patient under ``system`` (missing = undetermined), as a string Series."""
    from cohort.stratify import classify

    return classify(data, system, **options)["category"].astype("string")


def landmark_block(
    report: Report, name: str, lm: Any, *, title: str, times: Sequence[float] = YEARS
) -> None:
    """Figure and tables of a :func:`cohort.landmark` result: attrition, curves, model."""
    from cohort.plots import cuminc_plot, km_plot

    report.endpoints_used.add(lm.endpoint)
    tables: dict[str, pd.DataFrame] = {"attrition": lm.attrition()}
    if lm.km is not None:
        fig = km_plot(lm.km, title=title, time_unit=report.time_unit)
        tables["medians"] = lm.km.table
        tables["survival_at"] = lm.km.survival_at(list(times))
        if lm.km.test is not None:
            test = lm.km.test
            tables["log_rank"] = pd.DataFrame(
                [{"statistic": test.statistic, "dof": test.dof, "p_value": test.p_value}]
            )
    else:
        fig = cuminc_plot(lm.cuminc, event=1, title=title, time_unit=report.time_unit)
        tables["incidence_at"] = lm.cuminc.at(list(times))
        if lm.cuminc.test is not None:
            tables["grays_test"] = lm.cuminc.test
    model = lm.cox if lm.cox is not None else lm.finegray
    if model is not None:
        tables["model"] = model.summary.reset_index()
    report.figure(name, fig, f"{title} (time from the landmark at day {lm.at_days:g})", tables)
    if lm.km is not None:
        report.result(km_headline(lm.km, report.time_unit, title), int(lm.km.table["n"].sum()))
    else:
        n = int(lm.cuminc.table.loc[lm.cuminc.table["event"] == 1, "n"].sum())
        report.result(cuminc_headline(lm.cuminc, title), n)
    for note in lm.notes:
        report.text(f"{title}: {note}")
    report.method(
        "landmark",
        "Landmark analysis (Anderson, Cain & Gelber 1983): only patients alive, event-free and under "
        "follow-up just after the landmark were analysed, grouped by their status at the landmark, "
        "with time measured from the landmark (as R: subset(d, time > L); time - L).",
    )
