"""NPM1 MRD trajectories (:func:`mrd_plot`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cohort.plots.style import (
    SINGLE_COLUMN_IN,
    CohortFigure,
    Palette,
    _axis,
    _colours,
    _figure,
    _style,
    _title,
)


def mrd_plot(
    mrd: pd.DataFrame,
    *,
    outcome: pd.Series | None = None,
    sample: str | None = "PB",
    max_patients: int = 60,
    seed: int = 0,
    title: str | None = None,
    time_unit: str = "months",
    palette: Palette = None,
    width: float = SINGLE_COLUMN_IN,
) -> CohortFigure:
    """NPM1 MRD trajectories (NPM1mut/ABL1 %, log scale) over time, coloured by ``outcome``.

    ``outcome`` is a Series indexed by patient_id (e.g. relapse yes/no). At most ``max_patients``
    patients are drawn, sampled reproducibly with ``seed``; the whole table is not altered.
    """
    fig = _figure(width, 2.6)
    ax = fig.add_subplot(1, 1, 1)
    table = mrd if sample is None else mrd[mrd["sample"] == sample]
    ids = pd.unique(table["patient_id"])
    if len(ids) > max_patients:
        ids = np.random.default_rng(seed).choice(ids, size=max_patients, replace=False)
    floor = 1e-4
    levels = list(dict.fromkeys(outcome.dropna())) if outcome is not None else []
    colors = _colours(levels, palette)
    scale = _axis(1.0, time_unit, xmax=None, break_by=None, breaks=None)[0]
    seen = set()
    for pid in ids:
        p = table[table["patient_id"] == pid].sort_values("days")
        lvl = outcome.get(pid) if outcome is not None else None
        color = colors.get(lvl, "0.4")
        label = str(lvl) if lvl is not None and lvl not in seen else None
        seen.add(lvl)
        ax.plot(
            p["days"] / scale,
            p["npm1_abl1_pct"].clip(lower=floor),
            color=color,
            lw=0.6,
            alpha=0.7,
            marker="o",
            ms=1.5,
            label=label,
        )
    ax.set_yscale("log")
    ax.set_xlabel(f"Time from diagnosis ({time_unit})")
    ax.set_ylabel(f"NPM1mut/ABL1 (%){' in ' + sample if sample else ''}")
    if levels:
        ax.legend(fontsize=6.5, frameon=False)
    _title(fig, title, width)
    _style(ax)
    return fig
