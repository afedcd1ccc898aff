"""Blocks that compare classifications on the same patients: reclassification between two
systems (:func:`reclassification_block`) and their discrimination (:func:`compare_systems_block`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from cohort.errors import CohortError
from cohort.report.document import Report


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
    from cohort.survival.discrimination import compare_systems

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
