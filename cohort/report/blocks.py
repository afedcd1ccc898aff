"""Report blocks: one call adds an analysis (figure + its numbers + a methods sentence) to a Report.

These are what the scripts in ``analyses/`` use, so that each script reads as a list of questions
and comparisons rather than plotting code.
"""

from __future__ import annotations

import re
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
    fig = km_plot(res, title=title or None, time_unit=report.time_unit)
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
    report.result(km_headline(res, report.time_unit, title), int(res.table["n"].sum()))
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
    ph_note(report, name, res, data, formula, endpoint=endpoint, strata=strata)
    report.result(cox_headline(res, title or formula), res.n)
    report.method(
        "cox",
        "Hazard ratios come from Cox proportional-hazards models with Efron's method for ties (equal to R "
        "coxph); patients with a missing covariate were left out and counted. Proportional hazards were "
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
    fig = cuminc_plot(res, event=1, title=title or None, time_unit=report.time_unit)
    tables = {"incidence_at": res.at(list(times))}
    if res.test is not None:
        tables["grays_test"] = res.test
    report.figure(
        name, fig, title or "Cumulative incidence of relapse (death in remission competing)", tables
    )
    report.result(
        cuminc_headline(res, title), int(res.table.loc[res.table["event"] == 1, "n"].sum())
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
    if by is not None:  # group columns headed in words ("NPM1 mutated"), in their natural order
        from cohort import schema

        fixed = ["variable", "level", "overall", "missing", "p_value"]
        groups = [c for c in t1.columns if c not in fixed]
        order = schema.level_order(by, list(data[by].dropna().unique()))
        rank = {str(v): i for i, v in enumerate(order)}
        groups.sort(key=lambda g: rank.get(g, len(rank)))
        t1 = t1[["variable", "level", "overall", *groups, "missing", "p_value"]]
        t1 = t1.rename(columns={g: schema.level_label(by, g) for g in groups})
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


# ------------------------------------------------------------------------------------ headlines
def km_headline(res: Any, time_unit: str, title: str = "") -> str:
    """One sentence for the front page: medians per group and the log-rank p."""
    from cohort import schema
    from cohort.numbers import fmt_num, fmt_p

    scale = schema.TIME_UNITS[time_unit]
    meds = "; ".join(
        f"{schema.group_label(r.group)} {fmt_num(r.median / scale, missing='not reached')}"
        for r in res.table.itertuples()
    )
    what = title or _ENDPOINT_NAME.get(res.endpoint, res.endpoint).capitalize()
    text = f"{what}: median ({time_unit}) {meds}"
    if res.test is not None:
        text += f"; log-rank p {_p_words(fmt_p(res.test.p_value))}"
    return text + "."


def cuminc_headline(res: Any, title: str = "") -> str:
    """Front-page sentence: relapse incidence at 2 years per group and Gray's p."""
    from cohort import schema
    from cohort.numbers import fmt_num, fmt_p

    at = res.at([730.5])
    at = at[at["event"] == 1]
    items = "; ".join(
        f"{schema.group_label(r.group)} {fmt_num(100 * r.cif, 3)}%" for r in at.itertuples()
    )
    text = f"{title or 'Cumulative incidence of relapse'}: at 2 years {items}"
    if isinstance(res.test, pd.DataFrame) and len(res.test):
        row = res.test[res.test["event"] == 1]
        if len(row):
            text += f"; Gray's test p {_p_words(fmt_p(float(row['p_value'].iloc[0])))}"
    return text + "."


def cox_headline(res: Any, what: str) -> str:
    """Front-page sentence: the first term's hazard ratio with its CI and p."""
    from cohort.numbers import fmt_ci, fmt_p
    from cohort.report.display import term_label

    term = res.summary.index[0]
    r = res.summary.iloc[0]
    return (
        f"{what}: HR for {term_label(term)} {fmt_ci(r['hr'], r['hr_lower'], r['hr_upper'])}, "
        f"p {_p_words(fmt_p(r['p_value']))} ({res.n:,} patients, {res.events:,} events)."
    )


def _p_words(p: str) -> str:
    return p if p.startswith("<") else f"= {p}"


PH_ALPHA = 0.05


def ph_note(
    report: Report,
    name: str,
    res: Any,
    data: pd.DataFrame,
    formula: str,
    *,
    endpoint: str = "os",
    strata: str | list[str] | None = None,
) -> str | None:
    """Say in words when a Cox model violates proportional hazards, and what was done about it.

    The global test of R's cox.zph at p < 0.05 triggers the note. When the model is additive and a
    violating term is a single boolean or categorical column, the model is refitted stratified by
    that column (its own baseline hazard, so no hazard ratio for it) and shown as a second table;
    otherwise the hazard ratios are reported as averages over follow-up. Returns the note or None.
    """
    import cohort
    from cohort.errors import CohortError
    from cohort.numbers import fmt_p
    from cohort.report.display import term_label
    from cohort.schema import COLUMNS, label

    ph = res.ph_test
    if "GLOBAL" not in ph.index or not ph.loc["GLOBAL", "p_value"] < PH_ALPHA:
        return None
    bad = [t for t in ph.index if t != "GLOBAL" and ph.loc[t, "p_value"] < PH_ALPHA]
    named = ", ".join(f"{term_label(t)} (p {_p_words(fmt_p(ph.loc[t, 'p_value']))})" for t in bad)
    text = (
        f"Proportional hazards do not hold for this model: the global test (R cox.zph) gives "
        f"p {_p_words(fmt_p(ph.loc['GLOBAL', 'p_value']))}"
        + (f", driven by {named}" if named else "")
        + ". The hazard ratios above are averages over follow-up; the effect of "
        + (", ".join(term_label(t) for t in bad) if bad else "the covariates")
        + " changes with time."
    )
    terms = [t.strip() for t in formula.split("+")]
    additive = all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t) for t in terms)
    stratify = [
        t for t in bad if t in terms and COLUMNS.get(t) is not None
        and COLUMNS[t].kind in ("boolean", "category")
    ]  # fmt: skip
    rest = [t for t in terms if t not in stratify]
    if additive and stratify and rest and not strata:
        try:
            refit = cohort.cox(data, " + ".join(rest), endpoint=endpoint, strata=stratify)
        except CohortError as exc:
            text += f" A model stratified by {', '.join(stratify)} could not be fitted ({exc})."
        else:
            report.note(
                text
                + f" What was done: the model was refitted stratified by {', '.join(term_label(t) for t in stratify)}"
                " (each group its own baseline hazard, so no hazard ratio for it); its hazard ratios "
                "follow."
            )
            report.table(
                f"{name}_stratified",
                refit.summary.reset_index(),
                f"Cox model stratified by {', '.join(label(t, with_unit=False) for t in stratify)}: "
                "hazard ratios",
            )
            return text
    report.note(
        text
        + " What was done: nothing beyond this note; read the hazard ratios as average effects."
    )
    return text
