"""Heat-map matrices: reclassification between two classifications
(:func:`reclassification_plot`) and co-mutations (:func:`comutation_table`, :func:`comutation_plot`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cohort import schema
from cohort.plots.style import SINGLE_COLUMN_IN, CohortFigure, _figure, _title


def reclassification_plot(
    counts: pd.DataFrame, *, title: str | None = None, width: float = SINGLE_COLUMN_IN
) -> CohortFigure:
    """Heat map of a reclassification cross-table (rows: from, columns: to), counts and row %."""
    import seaborn as sns

    fig = _figure(width, width * 0.85)
    ax = fig.add_subplot(1, 1, 1)
    table = counts.astype(float)
    row_pct = table.div(table.sum(axis=1).replace(0, np.nan), axis=0) * 100
    annot = (
        table.astype(int).astype(str)
        + "\n("
        + row_pct.round(0).fillna(0).astype(int).astype(str)
        + "%)"
    )
    sns.heatmap(
        row_pct.fillna(0),
        annot=annot,
        fmt="",
        cmap="Blues",
        vmin=0,
        vmax=100,
        cbar=False,
        ax=ax,
        annot_kws={"fontsize": 6.5},
        linewidths=0.5,
        linecolor="white",
    )
    ax.set_xlabel(str(counts.columns.name or "to"), fontsize=8)
    ax.set_ylabel(str(counts.index.name or "from"), fontsize=8)
    ax.tick_params(labelsize=7)
    _title(fig, title, width)
    return fig


def comutation_table(data: pd.DataFrame, genes: Sequence[str]) -> pd.DataFrame:
    """Pairwise co-mutation counts among ``genes`` (patients with both known and both mutated)."""
    m = pd.DataFrame({g: data[g].astype("boolean") for g in genes if g in data.columns})
    cols = list(m.columns)
    out = pd.DataFrame(0, index=cols, columns=cols, dtype=int)
    for a in cols:
        for b in cols:
            out.loc[a, b] = int((m[a].fillna(False) & m[b].fillna(False)).sum())
    return out


def comutation_plot(
    data: pd.DataFrame,
    genes: Sequence[str] = (
        "flt3_itd",
        "dnmt3a",
        "nras",
        "kras",
        "idh1",
        "idh2",
        "tet2",
        "wt1",
        "rad21",
        "flt3_tkd",
        "ptpn11",
    ),
    *,
    within: str | None = "npm1",
    title: str | None = None,
    width: float = SINGLE_COLUMN_IN,
) -> CohortFigure:
    """Co-mutation matrix (counts, diagonal = frequency) within NPM1-mutated patients by default."""
    import seaborn as sns

    sub = data[data[within].astype("boolean").fillna(False)] if within else data
    table = comutation_table(sub, genes)
    fig = _figure(width, width * 0.9)
    ax = fig.add_subplot(1, 1, 1)
    mask = np.triu(np.ones_like(table, dtype=bool), k=1)
    sns.heatmap(
        table,
        mask=mask,
        annot=True,
        fmt="d",
        cmap="Reds",
        cbar=False,
        ax=ax,
        annot_kws={"fontsize": 6},
        linewidths=0.5,
        linecolor="white",
    )
    names = [schema.label(g, with_unit=False) for g in table.columns]
    ax.set_xticklabels(names, rotation=90)
    ax.set_yticklabels(names, rotation=0)
    ax.tick_params(labelsize=6.5)
    within_name = schema.label(within, with_unit=False) if within else ""
    _title(
        fig,
        title
        or (
            f"Co-mutations within {within_name}-mutated (n={len(sub):,})"
            if within
            else "Co-mutations"
        ),
        width,
    )
    fig.comutation_table = table
    return fig
