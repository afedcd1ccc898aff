"""Publication figures from fitted results. Plotting never fits anything.

Every function takes a result object (or a tidy DataFrame) computed elsewhere and returns a
:class:`matplotlib.figure.Figure`, built without pyplot so that no global state (backend, rcParams,
open figures) is touched. Sizes default to a single journal column (3.5 in wide). The data drawn
are available as DataFrames too (:func:`at_risk_table`, ``result.curves``), so numbers in a paper
can be checked against the figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 30.4375
DAYS_PER_YEAR = 365.25
SINGLE_COLUMN_IN = 3.5
_UNIT = {"days": 1.0, "months": DAYS_PER_MONTH, "years": DAYS_PER_YEAR}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=150, layout="constrained")


def _palette(n: int) -> list:
    import seaborn as sns

    return sns.color_palette("colorblind", n)


def _style(ax, *, grid: bool = False) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=7, length=3)
    ax.xaxis.label.set_size(8)
    ax.yaxis.label.set_size(8)
    if grid:
        ax.grid(axis="y", lw=0.3, alpha=0.5)


def _format_p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def _default_breaks(max_days: float, unit: str) -> np.ndarray:
    scale = _UNIT[unit]
    span = max_days / scale
    step = {"days": 365.0, "months": 12.0, "years": 1.0}[unit]
    if span / step > 8:
        step *= 2
    if span / step < 3:
        step /= 2
    return np.arange(0, span + 1e-9, step) * scale


def at_risk_table(result: Any, times: Sequence[float]) -> pd.DataFrame:
    """Number at risk per group at ``times`` (days), as drawn under :func:`km_plot`.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``time`` (days), ``at_risk``: the Kaplan-Meier risk sets (patients with follow-up
        time >= t), read from ``result.survival_at``.
    """
    return result.survival_at(list(times))[["group", "time", "at_risk"]].reset_index(drop=True)


def km_plot(
    result: Any,
    *,
    time_unit: str = "months",
    breaks: Sequence[float] | None = None,
    show_ci: bool = True,
    show_censors: bool = True,
    show_median: bool = True,
    show_pvalue: bool = True,
    risk_table: bool = True,
    title: str | None = None,
    ylabel: str | None = None,
    width: float = SINGLE_COLUMN_IN,
    height: float | None = None,
):
    """Kaplan-Meier curves with confidence bands, censor ticks, medians, p-value and risk table.

    Parameters
    ----------
    result : KaplanMeierResult
        From :func:`cohort.km`.
    time_unit : {"months", "years", "days"}
        Unit of the x axis (the data are in days).
    breaks : sequence of float, optional
        Times (days) of the x ticks and of the number-at-risk columns.
    show_ci, show_censors, show_median, show_pvalue, risk_table : bool
    title, ylabel : str, optional
    width, height : float
        Inches; the default width is one journal column.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` is the curve panel, ``fig.axes[1]`` the risk table (when drawn).
    """
    scale = _UNIT[time_unit]
    curves = result.curves
    groups = list(dict.fromkeys(curves["group"]))
    colors = dict(zip(groups, _palette(len(groups)), strict=True))
    max_t = float(curves["time"].max())
    ticks = np.asarray(
        breaks if breaks is not None else _default_breaks(max_t, time_unit), dtype=float
    )
    n_rows = len(groups) if risk_table else 0
    height = height or (2.6 + 0.16 * n_rows + (0.35 if risk_table else 0))
    fig = _figure(width, height)
    if risk_table:
        gs = fig.add_gridspec(2, 1, height_ratios=[2.6, 0.25 + 0.16 * n_rows])
        ax = fig.add_subplot(gs[0])
        ax_tab = fig.add_subplot(gs[1], sharex=ax)
    else:
        ax = fig.add_subplot(1, 1, 1)
        ax_tab = None
    for g in groups:
        cur = curves[curves["group"] == g]
        t = cur["time"].to_numpy() / scale
        label = g if g not in ("all", "") else "all patients"
        ax.step(t, cur["survival"], where="post", color=colors[g], lw=1.2, label=label)
        if show_ci:
            ax.fill_between(
                t,
                cur["lower"].fillna(1.0),
                cur["upper"].fillna(1.0),
                step="post",
                color=colors[g],
                alpha=0.15,
                lw=0,
            )
        if show_censors and "censored" in cur:
            cens = cur[cur["censored"] > 0]
            ax.plot(
                cens["time"] / scale,
                cens["survival"],
                ls="none",
                marker="|",
                ms=4,
                mew=0.7,
                color=colors[g],
            )
    if show_median:
        tab = result.table.set_index("group")
        for g in groups:
            med = tab.loc[g, "median"] if g in tab.index else np.nan
            if pd.notna(med):
                ax.plot(
                    [0, med / scale, med / scale], [0.5, 0.5, 0], ls=":", lw=0.7, color=colors[g]
                )
    ax.set_ylim(0, 1.02)
    right = ticks[-1] / scale if len(ticks) else max_t / scale
    ax.set_xlim(-0.02 * right, right * 1.03)
    ax.set_xticks(ticks / scale)
    ax.set_ylabel(
        ylabel
        or {
            "os": "Overall survival",
            "efs": "Event-free survival",
            "rfs": "Relapse-free survival",
        }.get(getattr(result, "endpoint", ""), "Survival")
    )
    ax.set_xlabel(f"Time ({time_unit})" if not risk_table else "")
    long_labels = max(len(str(g)) for g in groups) > 14
    if len(groups) > 1:
        ax.legend(
            fontsize=6.5,
            frameon=False,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=1 if long_labels else 2,
            handlelength=1.5,
            columnspacing=1.0,
        )
    if show_pvalue and getattr(result, "test", None) is not None:
        ax.text(
            0.97,
            0.95,
            f"log-rank {_format_p(result.test.p_value)}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7,
        )
    if title:
        fig.suptitle(title, fontsize=8)  # above the legend, which sits on top of the curves' panel
    _style(ax)
    if ax_tab is not None:
        counts = at_risk_table(result, ticks)
        for i, g in enumerate(groups):
            row = counts[counts["group"] == g]
            y = len(groups) - 1 - i
            for t, n in zip(row["time"], row["at_risk"], strict=True):
                ax_tab.text(
                    t / scale,
                    y,
                    f"{int(n)}",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color=colors[g],
                )
        ax_tab.set_ylim(-0.6, len(groups) - 0.4)
        ax_tab.set_yticks(range(len(groups)))
        # Long group names would squeeze the curves: the legend names them, the table shows a colour key.
        ax_tab.set_yticklabels(
            ["\u2014\u2014" if long_labels else g for g in reversed(groups)],
            fontsize=6.5,
            fontweight="bold" if long_labels else "normal",
        )
        for lab, g in zip(ax_tab.get_yticklabels(), reversed(groups), strict=True):
            lab.set_color(colors[g])
        ax_tab.set_title("Number at risk", fontsize=7, loc="left")
        ax_tab.set_xlabel(f"Time ({time_unit})")
        _style(ax_tab)
        ax_tab.tick_params(axis="y", length=0, pad=12)
        ax_tab.spines["left"].set_visible(False)
        ax_tab.tick_params(axis="x", labelsize=7)
    return fig


def cuminc_plot(
    result: Any,
    *,
    event: int | str | None = 1,
    time_unit: str = "months",
    breaks: Sequence[float] | None = None,
    show_ci: bool = True,
    show_pvalue: bool = True,
    title: str | None = None,
    ylabel: str = "Cumulative incidence",
    width: float = SINGLE_COLUMN_IN,
    height: float = 2.8,
):
    """Cumulative incidence curves (Aalen-Johansen) from :func:`cohort.cuminc`.

    ``event`` selects one event type (e.g. 1 = relapse); ``None`` draws every event type, solid for the
    first and dashed for the others. Gray's test p-value for the drawn event is shown.
    """
    scale = _UNIT[time_unit]
    curves = result.curves
    if event is not None:
        curves = curves[curves["event"].astype(str) == str(event)]
    groups = list(dict.fromkeys(curves["group"]))
    events = list(dict.fromkeys(curves["event"]))
    colors = dict(zip(groups, _palette(len(groups)), strict=True))
    fig = _figure(width, height)
    ax = fig.add_subplot(1, 1, 1)
    for (g, ev), cur in curves.groupby(["group", "event"], sort=False):
        t = cur["time"].to_numpy() / scale
        ls = "-" if ev == events[0] else "--"
        label = str(g) if len(events) == 1 else f"{g}, {ev}"
        ax.step(t, cur["cif"], where="post", color=colors[g], lw=1.2, ls=ls, label=label)
        if show_ci and "lower" in cur:
            ax.fill_between(
                t,
                cur["lower"].fillna(0),
                cur["upper"].fillna(0),
                step="post",
                color=colors[g],
                alpha=0.12,
                lw=0,
            )
    max_t = float(curves["time"].max())
    ticks = np.asarray(
        breaks if breaks is not None else _default_breaks(max_t, time_unit), dtype=float
    )
    ax.set_xticks(ticks / scale)
    ax.set_xlim(0, ticks[-1] / scale)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"Time ({time_unit})")
    ax.set_ylabel(ylabel)
    if len(groups) > 1 or len(events) > 1:
        ax.legend(fontsize=6.5, frameon=False, loc="upper left")
    test = getattr(result, "test", None)
    if show_pvalue and isinstance(test, pd.DataFrame) and not test.empty and event is not None:
        row = test[test["event"].astype(str) == str(event)]
        if not row.empty:
            ax.text(
                0.97,
                0.05,
                f"Gray's test {_format_p(float(row['p_value'].iloc[0]))}",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=7,
            )
    if title:
        ax.set_title(title, fontsize=8)
    _style(ax)
    return fig


def forest_table(
    summary: pd.DataFrame, *, n: dict | None = None, events: dict | None = None
) -> pd.DataFrame:
    """The rows a forest plot draws: term, N, events, ratio with CI, p (from a Cox or Fine-Gray summary)."""
    ratio = "hr" if "hr" in summary.columns else "shr"
    out = pd.DataFrame(
        {
            "term": summary.index.astype(str),
            "ratio": summary[ratio].to_numpy(float),
            "lower": summary[f"{ratio}_lower"].to_numpy(float),
            "upper": summary[f"{ratio}_upper"].to_numpy(float),
            "p_value": summary["p_value"].to_numpy(float),
        }
    )
    out["n"] = [(n or {}).get(t, np.nan) for t in out["term"]]
    out["events"] = [(events or {}).get(t, np.nan) for t in out["term"]]
    out.attrs["ratio"] = ratio.upper()
    return out


def forest_plot(
    result: Any,
    *,
    n: dict | None = None,
    events: dict | None = None,
    labels: dict | None = None,
    title: str | None = None,
    width: float = SINGLE_COLUMN_IN * 1.4,
):
    """Forest plot of hazard ratios (Cox) or subdistribution hazard ratios (Fine-Gray).

    Parameters
    ----------
    result : CoxResult, FineGrayResult or pandas.DataFrame
        Anything with a ``summary`` (or a summary DataFrame) holding ``hr``/``shr`` with their limits
        and ``p_value``.
    n, events : dict, optional
        Per-term patients and events with the characteristic, printed as table columns.
    labels : dict, optional
        Display names of the terms.

    Returns
    -------
    matplotlib.figure.Figure
        The rows drawn are :func:`forest_table` of the same input (``fig.forest_table``).
    """
    summary = result if isinstance(result, pd.DataFrame) else result.summary
    rows = forest_table(summary, n=n, events=events)
    k = len(rows)
    fig = _figure(width, 0.6 + 0.22 * k)
    gs = fig.add_gridspec(1, 3, width_ratios=[1.5, 1.6, 1.6])
    ax_lab, ax, ax_txt = (fig.add_subplot(gs[i]) for i in range(3))
    y = np.arange(k)[::-1]
    ax.errorbar(
        rows["ratio"],
        y,
        xerr=[rows["ratio"] - rows["lower"], rows["upper"] - rows["ratio"]],
        fmt="s",
        ms=3.5,
        color="k",
        ecolor="k",
        elinewidth=0.8,
        capsize=0,
    )
    ax.axvline(1, color="grey", lw=0.6, ls="--")
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    lo_hi = np.nanmin(rows["lower"]), np.nanmax(rows["upper"])
    nice = [
        t for t in (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20) if lo_hi[0] / 1.5 <= t <= lo_hi[1] * 1.5
    ] or [1]
    ax.xaxis.set_major_locator(FixedLocator(nice))
    ax.set_xticklabels([f"{t:g}" for t in nice])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(-0.7, k - 0.3)
    ax.set_yticks([])
    ax.set_xlabel(f"{rows.attrs['ratio']} (95% CI)")
    _style(ax)
    ax.spines["left"].set_visible(False)
    for a in (ax_lab, ax_txt):
        a.set_ylim(-0.7, k - 0.3)
        a.axis("off")
    for yi, (_, r) in zip(y, rows.iterrows(), strict=True):
        name = (labels or {}).get(r["term"], r["term"])
        extra = ""
        if pd.notna(r["n"]):
            extra = f"  n={int(r['n'])}" + (
                f", {int(r['events'])} ev" if pd.notna(r["events"]) else ""
            )
        ax_lab.text(0, yi, f"{name}{extra}", va="center", fontsize=6.5)
        ax_txt.text(
            0,
            yi,
            f"{r['ratio']:.2f} ({r['lower']:.2f}-{r['upper']:.2f})  {_format_p(r['p_value'])}",
            va="center",
            fontsize=6.5,
        )
    if title:
        fig.suptitle(title, fontsize=8)
    fig.forest_table = rows
    return fig


def reclassification_plot(
    counts: pd.DataFrame, *, title: str | None = None, width: float = SINGLE_COLUMN_IN
):
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
    if title:
        ax.set_title(title, fontsize=8)
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
):
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
    ax.tick_params(labelsize=6.5)
    ax.set_title(
        title
        or (f"Co-mutations within {within}-mutated (n={len(sub)})" if within else "Co-mutations"),
        fontsize=8,
    )
    fig.comutation_table = table
    return fig


def mrd_plot(
    mrd: pd.DataFrame,
    *,
    outcome: pd.Series | None = None,
    sample: str | None = "PB",
    max_patients: int = 60,
    seed: int = 0,
    title: str | None = None,
    width: float = SINGLE_COLUMN_IN,
):
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
    colors = dict(zip(levels, _palette(max(len(levels), 1)), strict=False))
    seen = set()
    for pid in ids:
        p = table[table["patient_id"] == pid].sort_values("days")
        lvl = outcome.get(pid) if outcome is not None else None
        color = colors.get(lvl, "0.4")
        label = str(lvl) if lvl is not None and lvl not in seen else None
        seen.add(lvl)
        ax.plot(
            p["days"] / DAYS_PER_MONTH,
            p["npm1_abl1_pct"].clip(lower=floor),
            color=color,
            lw=0.6,
            alpha=0.7,
            marker="o",
            ms=1.5,
            label=label,
        )
    ax.set_yscale("log")
    ax.set_xlabel("Months from diagnosis")
    ax.set_ylabel(f"NPM1mut/ABL1 (%){' in ' + sample if sample else ''}")
    if levels:
        ax.legend(fontsize=6.5, frameon=False)
    if title:
        ax.set_title(title, fontsize=8)
    _style(ax)
    return fig


def figure_to_png(fig, *, dpi: int = 200) -> bytes:
    """PNG bytes of a figure (metadata stripped so that the bytes do not depend on the date)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
