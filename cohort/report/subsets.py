"""Patient subsets and groups as the analyses define them, each counted in the patient flow:
:func:`npm1_mutated`, :func:`group_flow` (one flow step per group, undetermined included),
:func:`classification` and :func:`ordered`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from cohort.report.blocks import table_one_block
from cohort.report.document import Report

UNDETERMINED = "undetermined"
"""The group label of patients whose group the data cannot decide."""


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
        note = undetermined_note if name == UNDETERMINED else ""
        report.flow(f"{prefix}{name}", n, note, split=True)
        rows.append({"group": name, "n": n})
    return pd.DataFrame(rows, columns=["group", "n"])


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


def npm1_mutated_groups(
    report: Report,
    data: pd.DataFrame,
    labels: pd.Series,
    column: str,
    order: Sequence[str],
    *,
    caption: str,
    undetermined_note: str = "data cannot decide the group; counted, not analysed",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The NPM1-mutated patients split into the groups ``labels``, counted in the flow.

    Adds the flow steps of :func:`npm1_mutated`, one step per group of ``column`` (prefixed
    "NPM1-mutated, "), the table ``group_sizes`` and, under "Patient characteristics", Table 1 by
    group. The setup of the analyses that compare groups of NPM1-mutated AML.

    Parameters
    ----------
    report : Report
    data : pandas.DataFrame
        The cohort's rows.
    labels : pandas.Series
        Each patient's group (indexed like ``data``; missing: undetermined).
    column : str
        Name of the group column added to the returned rows.
    order : sequence of str
        The groups in the order of tables and figures.
    caption : str
        Caption of the group-size table and of Table 1.
    undetermined_note : str
        Flow note of the patients whose group is missing.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The NPM1-mutated rows with ``column`` (a Categorical in ``order``), and the group counts.
    """
    mutated = npm1_mutated(report, data).copy()
    mutated[column] = ordered(labels.loc[mutated.index], order)
    counts = group_flow(
        report,
        mutated[column],
        order=order,
        prefix="NPM1-mutated, ",
        undetermined_note=undetermined_note,
    )
    report.table("group_sizes", counts, caption)
    report.heading("Patient characteristics")
    table_one_block(report, mutated, column, title=caption)
    return mutated, counts
