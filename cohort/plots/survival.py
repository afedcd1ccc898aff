"""Survival figures: Kaplan-Meier (:func:`km_plot`), Simon-Makuch (:func:`simon_makuch_plot`) and
cumulative incidence (:func:`cuminc_plot`) curves with their numbers-at-risk tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cohort import schema
from cohort.plots.style import (
    MAX_CENSOR_MARKS,
    SINGLE_COLUMN_IN,
    CohortFigure,
    Labels,
    Palette,
    _axis,
    _colours,
    _figure,
    _format_p,
    _names,
    _style,
    _title,
    _wrap,
)


def thin_censor_marks(
    times: np.ndarray, span: float, max_marks: int = MAX_CENSOR_MARKS
) -> np.ndarray:
    """Indices of the censor marks to draw: all of them up to ``max_marks``, else the first in each
    of ``max_marks`` equal bins of ``span`` (so that marks at large n stay separate ticks)."""
    times = np.asarray(times, dtype=float)
    if len(times) <= max_marks or span <= 0:
        return np.arange(len(times))
    bins = np.minimum(np.floor(times / (span / max_marks)), max_marks - 1).astype(np.int64)
    _, first = np.unique(bins, return_index=True)
    return np.sort(first)


def at_risk_table(result: Any, times: Sequence[float]) -> pd.DataFrame:
    """Number at risk per group at ``times`` (days), as drawn under :func:`km_plot`.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``time`` (days), ``at_risk``: the Kaplan-Meier risk sets (patients with follow-up
        time >= t), read from ``result.survival_at``.
    """
    return result.survival_at(list(times))[["group", "time", "at_risk"]].reset_index(drop=True)


def simon_makuch_at_risk(result: Any, times: Sequence[float]) -> pd.DataFrame:
    """Patients under observation in each Simon-Makuch curve at ``times`` (days).

    A patient counts in a curve at time t when one of its intervals in that exposure state has
    ``start <= t < stop`` (patients move from the unexposed to the exposed row at exposure).

    Returns
    -------
    pandas.DataFrame
        ``group``, ``time`` (days), ``at_risk``.
    """
    iv = result.split.intervals
    lm = float(getattr(result, "landmark_days", 0.0) or 0.0)
    if lm > 0:
        iv = iv[iv["stop"] > lm].assign(start=iv["start"].clip(lower=lm))
    groups = list(dict.fromkeys(result.curves["group"]))
    exposed_group = {g: (0 if str(g).startswith("no ") else 1) for g in groups}
    rows = []
    for g in groups:
        sub = iv[iv["exposed"] == exposed_group[g]]
        start, stop = sub["start"].to_numpy(float), sub["stop"].to_numpy(float)
        for t in times:
            rows.append((g, float(t), int(((start <= t) & (t < stop)).sum())))
    return pd.DataFrame(rows, columns=["group", "time", "at_risk"])


def _draw_risk_table(ax_tab, counts: pd.DataFrame, groups, names, colors, scale, time_unit) -> None:
    """Numbers at risk under the curves, one named row per group (names coloured as the curves)."""
    for i, g in enumerate(groups):
        row = counts[counts["group"] == g]
        y = len(groups) - 1 - i
        for t, n in zip(row["time"], row["at_risk"], strict=True):
            ax_tab.text(t / scale, y, f"{int(n)}", ha="center", va="center", fontsize=6.5)
    ax_tab.set_ylim(-0.6, len(groups) - 0.4)
    ax_tab.set_yticks(range(len(groups)))
    ax_tab.set_yticklabels([names[g] for g in reversed(groups)], fontsize=6.5)
    for lab, g in zip(ax_tab.get_yticklabels(), reversed(groups), strict=True):
        lab.set_color(colors[g])
    ax_tab.set_title("Number at risk", fontsize=7, loc="left")
    ax_tab.set_xlabel(f"Time ({time_unit})")
    _style(ax_tab)
    widest = max([len(str(int(v))) for v in counts["at_risk"]] + [1])
    ax_tab.tick_params(axis="y", length=0, pad=4 + widest * 6.5 * 0.55 / 2)
    ax_tab.spines["left"].set_visible(False)
    ax_tab.tick_params(axis="x", labelsize=7)


def _survival_panel(
    curves: pd.DataFrame,
    *,
    value: str,
    groups: list,
    names: dict,
    colors: dict,
    counts: Callable[[np.ndarray], pd.DataFrame] | None,
    time_unit: str,
    xmax: float | None,
    break_by: float | None,
    breaks: Sequence[float] | None,
    show_ci: bool,
    show_censors: bool,
    title: str | None,
    ylabel: str,
    width: float,
    height: float | None,
    linestyles: dict | None = None,
) -> tuple[CohortFigure, Any, Any, float]:
    """Step curves of ``value`` per group with bands, censor marks, legend and risk table."""
    scale, right, ticks = _axis(
        float(curves["time"].max()), time_unit, xmax=xmax, break_by=break_by, breaks=breaks
    )
    n_rows = len(groups) if counts is not None else 0
    longest = max(len(n) for n in names.values())
    legend = len(groups) > 1 or bool(linestyles)
    ncol = 1 if longest > 14 else 2
    legend_rows = -(-len(groups) // ncol) if legend else 0
    if n_rows:  # the risk table's row names take room from the curves: widen to keep the panel
        width = max(width, 2.7 + longest * 6.5 * 0.55 / 72)
    title_lines = len(_wrap(title, width * 0.95, 8).splitlines()) if title else 0
    top = 2.3 + 0.13 * legend_rows
    bottom = 0.3 + 0.16 * n_rows if n_rows else 0.0
    height = height or (top + bottom + 0.17 * title_lines + 0.05)
    fig = _figure(width, height)
    if counts is not None:
        gs = fig.add_gridspec(2, 1, height_ratios=[top, bottom])
        ax = fig.add_subplot(gs[0])
        ax_tab = fig.add_subplot(gs[1], sharex=ax)
    else:
        ax, ax_tab = fig.add_subplot(1, 1, 1), None
    start = 1.0 if value == "survival" else 0.0
    for g in groups:
        cur = curves[curves["group"] == g]
        t = cur["time"].to_numpy(float) / scale
        ls = (linestyles or {}).get(g, "-")
        ax.step(t, cur[value], where="post", color=colors[g], lw=1.2, ls=ls, label=names[g])
        if show_ci and "lower" in cur:
            ax.fill_between(t, cur["lower"].fillna(start), cur["upper"].fillna(start),
                            step="post", color=colors[g], alpha=0.13, lw=0)  # fmt: skip
        if show_censors and "censored" in cur:
            cens = cur[cur["censored"] > 0]
            keep = thin_censor_marks(cens["time"].to_numpy(float), right)
            cens = cens.iloc[keep]
            ax.plot(cens["time"] / scale, cens[value], ls="none", marker="|",
                    ms=3.5 if len(keep) < MAX_CENSOR_MARKS else 2.5, mew=0.6, color=colors[g])  # fmt: skip
    ax.set_ylim(0, 1.02)
    ax.set_xlim(-0.01 * right / scale, right / scale * 1.02)
    ax.set_xticks(ticks / scale)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(f"Time ({time_unit})" if ax_tab is None else "")
    if legend:
        ax.legend(fontsize=6.5, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                  ncol=ncol, handlelength=1.5, columnspacing=1.0)  # fmt: skip
    _title(fig, title, width)
    _style(ax)
    if ax_tab is not None:
        _draw_risk_table(ax_tab, counts(ticks), groups, names, colors, scale, time_unit)
    return fig, ax, ax_tab, scale


def km_plot(
    result: Any,
    *,
    labels: Labels = None,
    palette: Palette = None,
    title: str | None = None,
    xmax: float | None = None,
    break_by: float | None = None,
    time_unit: str = "months",
    breaks: Sequence[float] | None = None,
    show_ci: bool = True,
    show_censors: bool = True,
    show_median: bool = True,
    show_pvalue: bool = True,
    risk_table: bool = True,
    ylabel: str | None = None,
    width: float = SINGLE_COLUMN_IN,
    height: float | None = None,
) -> CohortFigure:
    """Kaplan-Meier curves with confidence bands, censor marks, medians, p-value and risk table.

    Parameters
    ----------
    result : KaplanMeierResult
        From :func:`cohort.km`.
    labels : dict or callable, optional
        Display name of each group (keys as in ``result.table["group"]``); by default the schema's
        words (``npm1=True`` is "NPM1 mutated", see :func:`cohort.schema.group_label`).
    palette : str, sequence or dict, optional
        Colours: a seaborn palette name, a list, or group -> colour; by default :data:`PALETTE`.
    title : str, optional
        Wrapped to the figure width.
    xmax : float, optional
        Right end of the time axis in ``time_unit`` (a stated horizon); by default the end of
        follow-up.
    break_by : float, optional
        Step of the x ticks and of the number-at-risk columns, in ``time_unit`` (e.g. 12 months).
    time_unit : {"months", "years", "days"}
        Unit of the x axis (the data are in days).
    breaks : sequence of float, optional
        Times in days of the ticks (instead of ``break_by``).
    show_ci, show_censors, show_median, show_pvalue, risk_table : bool
        At large n censor marks are thinned to one per 1/120 of the axis (:func:`thin_censor_marks`).
    ylabel : str, optional
    width, height : float
        Inches; the default width is one journal column.

    Returns
    -------
    CohortFigure
        ``fig.axes[0]`` is the curve panel, ``fig.axes[1]`` the risk table (when drawn).
    """
    curves = result.curves
    groups = list(dict.fromkeys(curves["group"]))
    names = _names(groups, labels, schema.group_label)
    colors = _colours(groups, palette)
    fig, ax, _, scale = _survival_panel(
        curves, value="survival", groups=groups, names=names, colors=colors,
        counts=(lambda ticks: at_risk_table(result, ticks)) if risk_table else None,
        time_unit=time_unit, xmax=xmax, break_by=break_by, breaks=breaks, show_ci=show_ci,
        show_censors=show_censors, title=title, width=width, height=height,
        ylabel=ylabel or {"os": "Overall survival", "efs": "Event-free survival",
                          "rfs": "Relapse-free survival"}.get(getattr(result, "endpoint", ""), "Survival"),
    )  # fmt: skip
    if show_median:
        tab = result.table.set_index("group")
        for g in groups:
            med = tab.loc[g, "median"] if g in tab.index else np.nan
            if pd.notna(med):
                ax.plot(
                    [0, med / scale, med / scale], [0.5, 0.5, 0], ls=":", lw=0.7, color=colors[g]
                )
    if show_pvalue and getattr(result, "test", None) is not None:
        ax.text(0.97, 0.95, f"log-rank {_format_p(result.test.p_value)}", transform=ax.transAxes,
                ha="right", va="top", fontsize=7)  # fmt: skip
    return fig


def _exposure_name(group: str) -> str:
    """'no hsct' -> 'No allo-HSCT', 'hsct' -> 'Allo-HSCT' (Simon-Makuch curve names in words)."""
    g = str(group)
    if g.startswith("no "):
        return schema.level_label(g[3:], False)
    return schema.level_label(g, True)


def simon_makuch_plot(
    result: Any,
    *,
    labels: Labels = None,
    palette: Palette = None,
    title: str | None = None,
    xmax: float | None = None,
    break_by: float | None = None,
    time_unit: str = "months",
    show_ci: bool = True,
    risk_table: bool = True,
    ylabel: str = "Survival",
    width: float = SINGLE_COLUMN_IN,
    height: float | None = None,
) -> CohortFigure:
    """Simon-Makuch curves (Kaplan-Meier by current exposure) with a number-at-risk table.

    Parameters as :func:`km_plot`; ``result`` from :func:`cohort.survival.time_varying.simon_makuch`. The
    risk table counts patients under observation in each state (:func:`simon_makuch_at_risk`), so
    patients move from the unexposed to the exposed row at exposure.
    """
    curves = result.curves
    groups = list(dict.fromkeys(curves["group"]))
    names = _names(groups, labels, _exposure_name)
    fig, *_ = _survival_panel(
        curves, value="survival", groups=groups, names=names, colors=_colours(groups, palette),
        counts=(lambda ticks: simon_makuch_at_risk(result, ticks)) if risk_table else None,
        time_unit=time_unit, xmax=xmax, break_by=break_by, breaks=None, show_ci=show_ci,
        show_censors=False, title=title, ylabel=ylabel, width=width, height=height,
    )  # fmt: skip
    return fig


def event_label(event: object, endpoint: str = "cir") -> str:
    """Words for a competing-risk event code: 1 "Relapse", 2 "Death without relapse" (for cir)."""
    column = schema.ENDPOINTS.get(endpoint, (None, "cir_status"))[1]
    text = schema.level_label(column, event)
    return text if text != str(event) else f"Event {event}"


def cuminc_plot(
    result: Any,
    *,
    event: int | str | None = 1,
    labels: Labels = None,
    event_labels: Mapping[Any, str] | None = None,
    palette: Palette = None,
    title: str | None = None,
    xmax: float | None = None,
    break_by: float | None = None,
    time_unit: str = "months",
    breaks: Sequence[float] | None = None,
    show_ci: bool = True,
    show_pvalue: bool = True,
    risk_table: bool = False,
    ylabel: str | None = None,
    width: float = SINGLE_COLUMN_IN,
    height: float | None = None,
) -> CohortFigure:
    """Cumulative incidence curves (Aalen-Johansen) from :func:`cohort.cuminc`.

    ``event`` selects one event type (1 = relapse); ``None`` draws every event type, solid for the
    first and dashed for the others. Events are named in words ("Relapse", "Death without relapse";
    ``event_labels`` overrides). Gray's test p-value for the drawn event is shown. Other parameters
    as :func:`km_plot`.
    """
    curves = result.curves
    if event is not None:
        curves = curves[curves["event"].astype(str) == str(event)]
    endpoint = getattr(result, "endpoint", "cir")
    events = list(dict.fromkeys(curves["event"]))
    ev_names = {e: (event_labels or {}).get(e, event_label(e, endpoint)) for e in events}
    base = list(dict.fromkeys(curves["group"]))
    base_names = _names(base, labels, schema.group_label)
    base_colors = _colours(base, palette)
    curves = curves.assign(key=list(zip(curves["group"], curves["event"], strict=True)))
    keys = list(dict.fromkeys(curves["key"]))
    names, colors, styles = {}, {}, {}
    for g, e in keys:
        parts = [base_names[g]] if len(base) > 1 or base_names[g] != "All patients" else []
        parts += [ev_names[e]] if len(events) > 1 else []
        names[(g, e)] = ": ".join(parts) or ev_names[e]
        colors[(g, e)] = base_colors[g]
        styles[(g, e)] = "-" if e == events[0] else "--"
    one = len(events) == 1
    fig, ax, _, _ = _survival_panel(
        curves.assign(group=curves["key"]), value="cif", groups=keys, names=names, colors=colors,
        counts=(lambda ticks: _cuminc_at_risk(result, ticks, keys)) if risk_table and one else None,
        time_unit=time_unit, xmax=xmax, break_by=break_by, breaks=breaks, show_ci=show_ci,
        show_censors=False, title=title, width=width, height=height,
        ylabel=ylabel or (f"Cumulative incidence of {ev_names[events[0]].lower()}" if one
                          else "Cumulative incidence"),
        linestyles=styles if len(events) > 1 else None,
    )  # fmt: skip
    ax.set_ylim(0, 1)
    test = getattr(result, "test", None)
    if show_pvalue and isinstance(test, pd.DataFrame) and not test.empty and event is not None:
        row = test[test["event"].astype(str) == str(event)]
        if not row.empty:
            ax.text(0.97, 0.95, f"Gray's test {_format_p(float(row['p_value'].iloc[0]))}",
                    transform=ax.transAxes, ha="right", va="top", fontsize=7)  # fmt: skip
    return fig


def _cuminc_at_risk(result: Any, ticks: np.ndarray, keys: list) -> pd.DataFrame:
    """Patients still at risk (no event of any kind, under follow-up) per curve at ``ticks``."""
    rows = []
    for g, e in keys:
        cur = result.curves[(result.curves["group"] == g) & (result.curves["event"] == e)]
        t = cur["time"].to_numpy(float)
        n0 = int(cur["at_risk"].iloc[0])
        exits = (cur["events"] + cur["competing"] + cur["censored"]).to_numpy(float)
        for x in ticks:
            rows.append(((g, e), float(x), int(n0 - exits[t < x].sum())))
    return pd.DataFrame(rows, columns=["group", "time", "at_risk"])
