"""Blocks for exposures and measurements over time: NPM1 MRD trajectories (:func:`mrd_block`),
transplant as a time-dependent exposure (:func:`simon_makuch_block`, :func:`time_varying_block`)
and landmark analyses (:func:`landmark_block`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from cohort.errors import CohortError
from cohort.numbers import fmt_ci
from cohort.numbers import fmt_p as fmt_p_short
from cohort.report.blocks import YEARS, _p_words, cuminc_headline, km_headline
from cohort.report.display import term_label
from cohort.report.document import Report
from cohort.report.guarded import MIN_EVENTS
from cohort.report.subsets import UNDETERMINED


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
    from cohort.survival.time_varying import cox_time_varying, mantel_byar

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
