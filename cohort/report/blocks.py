"""Report blocks: one call adds an analysis (figure + its numbers + a methods sentence) to a Report.

These are what the scripts in ``analyses/`` use, so that each script reads as a list of questions
and comparisons rather than plotting code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cohort.report.document import Report

YEARS = (365.25, 730.5, 1826.25)
_ENDPOINT_NAME = {"os": "overall survival", "efs": "event-free survival", "rfs": "relapse-free survival",
                  "cir": "cumulative incidence of relapse"}  # fmt: skip


def km_block(
    report: Report,
    name: str,
    data: pd.DataFrame,
    by: str | list[str] | None,
    *,
    endpoint: str = "os",
    title: str = "",
    times: Sequence[float] = YEARS,
    pairwise: bool = True,
) -> Any:
    """Kaplan-Meier figure with risk table, medians, survival at 1/2/5 years, log-rank (and pairwise)."""
    import cohort
    from cohort.plots import at_risk_table, km_plot

    report.endpoints_used.add(endpoint)
    res = cohort.km(data, endpoint=endpoint, by=by)
    fig = km_plot(res, title=title or None)
    tables = {"medians": res.table, "survival_at": res.survival_at(list(times))}
    ticks = np.arange(0, float(res.curves["time"].max()) + 1, 365.25)
    tables["number_at_risk"] = at_risk_table(res, ticks)
    if res.test is not None:
        tables["log_rank"] = pd.DataFrame(
            [{"statistic": res.test.statistic, "dof": res.test.dof, "p_value": res.test.p_value}]
        )
        if pairwise and len(res.table) > 2:
            tables["pairwise_log_rank_holm"] = res.pairwise("holm")
    if res.excluded and any(res.excluded.values()):
        tables["excluded"] = pd.DataFrame(
            [{"reason": k, "n": v} for k, v in res.excluded.items() if v]
        )
    report.figure(
        name,
        fig,
        title or f"Kaplan-Meier estimate of {_ENDPOINT_NAME.get(endpoint, endpoint)}",
        tables,
    )
    report.method(
        "km",
        "Survival was estimated by the Kaplan-Meier method with Greenwood variance and log-log confidence "
        "intervals (as R survfit(conf.type = 'log-log')); medians and their confidence intervals follow R's "
        "print.survfit rule. Groups were compared with the log-rank test (R survdiff); pairwise comparisons "
        "were adjusted for multiplicity by Holm's method. Median follow-up was estimated by reverse Kaplan-Meier.",
    )
    return res


def cox_block(
    report: Report,
    name: str,
    data: pd.DataFrame,
    formula: str,
    *,
    endpoint: str = "os",
    title: str = "",
    strata: str | list[str] | None = None,
) -> Any:
    """Cox model: forest plot, coefficient table and proportional-hazards test (as R cox.zph)."""
    import cohort
    from cohort.plots import forest_plot

    report.endpoints_used.add(endpoint)
    res = cohort.cox(data, formula, endpoint=endpoint, strata=strata)
    summary = res.summary.reset_index()
    fig = forest_plot(res, title=title or None)
    ph = res.ph_test.reset_index()
    fit = pd.DataFrame(
        [
            {
                "n": res.n,
                "events": res.events,
                "n_deleted_missing": res.n_deleted,
                "concordance": res.concordance,
                "concordance_se": res.concordance_se,
            }
        ]
    )
    report.figure(
        name,
        fig,
        title or f"Cox model for {_ENDPOINT_NAME.get(endpoint, endpoint)}: {formula}",
        {"hazard_ratios": summary, "ph_test": ph, "fit": fit},
    )
    report.method(
        "cox",
        "Hazard ratios come from Cox proportional-hazards models with Efron's method for ties (lifelines, equal "
        "to R coxph); patients with a missing covariate were left out and counted. Proportional hazards were "
        "checked with the score test of R's cox.zph (Kaplan-Meier time transform), per term and globally.",
    )
    return res


def cuminc_block(
    report: Report,
    name: str,
    data: pd.DataFrame,
    by: str | None,
    *,
    title: str = "",
    times: Sequence[float] = YEARS,
) -> Any:
    """Cumulative incidence of relapse with death in remission competing; Gray's test."""
    import cohort
    from cohort.plots import cuminc_plot

    report.endpoints_used.add("cir")
    res = cohort.cuminc(data, endpoint="cir", by=by)
    fig = cuminc_plot(res, event=1, title=title or None)
    tables = {"incidence_at": res.at(list(times))}
    if res.test is not None:
        tables["grays_test"] = res.test
    report.figure(
        name, fig, title or "Cumulative incidence of relapse (death in remission competing)", tables
    )
    report.method(
        "cuminc",
        "The cumulative incidence of relapse, with death without relapse as a competing event, was estimated by "
        "the Aalen-Johansen estimator with exact handling of tied times (equal to R cmprsk::cuminc) and compared "
        "between groups with Gray's test.",
    )
    return res


def table_one_block(
    report: Report,
    data: pd.DataFrame,
    by: str | None,
    *,
    title: str = "Patient characteristics",
    variables: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Table 1 by group."""
    from cohort.report.table_one import DEFAULT_VARIABLES, table_one

    t1 = table_one(data, by, variables or DEFAULT_VARIABLES)
    report.table("table1" if by is None else f"table1_by_{by}", t1, title)
    report.method(
        "table1",
        "Characteristics are medians (interquartile range) or counts (% of patients with a known value; unknown "
        "values are counted separately, never as negative); groups were compared with the Kruskal-Wallis test or "
        "the chi-square test (Fisher's exact test for sparse 2x2 tables).",
    )
    return t1


def classification_block(
    report: Report, data: Any, system: str, *, name: str | None = None
) -> pd.Series:
    """Apply a classification; add its category counts (undetermined shown) and the method sentence."""
    import cohort
    from cohort.stratify import category_counts

    result = cohort.classify(data, system)
    counts = category_counts(result)
    report.table(
        name or f"{system}_categories",
        counts,
        f"{system}: categories (undetermined = data cannot decide)",
    )
    rules = (
        result["rule"]
        .astype("object")
        .fillna("undetermined")
        .value_counts()
        .rename_axis("rule")
        .reset_index(name="n")
    )
    report.table(
        f"{name or system}_rules",
        rules,
        f"{system}: guideline rule that placed each patient",
        show=False,
    )
    report.method(
        f"classify_{system}",
        f"Risk was assigned with the '{system}' rules of the cohort toolkit, applied as published, with the "
        "guideline row that placed each patient recorded; patients whose data cannot decide are reported as "
        "undetermined with their possible categories, never guessed.",
    )
    return result["category"]
