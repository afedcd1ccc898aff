"""Publication figures from fitted results. Plotting never fits anything.

Every function takes a result object (or a tidy DataFrame) computed elsewhere and returns a
:class:`matplotlib.figure.Figure`, built without pyplot so that no global state (backend, rcParams,
open figures) is touched. Sizes default to a single journal column (3.5 in wide). The data drawn
are available as DataFrames too (:func:`at_risk_table`, ``result.curves``), so numbers in a paper
can be checked against the figure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cohort import schema
from cohort.numbers import fmt_ci, fmt_p

DAYS_PER_MONTH = schema.TIME_UNITS["months"]
DAYS_PER_YEAR = schema.TIME_UNITS["years"]
SINGLE_COLUMN_IN = 3.5
_UNIT = schema.TIME_UNITS
MAX_CENSOR_MARKS = 120
"""Censor marks drawn per curve at most; beyond it one mark per 1/120 of the time axis."""

PALETTE: tuple[str, ...] = (
    "#000000", "#122078", "#841407", "#036918", "#057b9f", "#d661b0", "#d29d37", "#13d8bf",
)  # fmt: skip
"""The house palette: 8 colours of distinct hue and of distinct lightness (CIELAB L* 0, 18, ... 78,
so that they stay apart when printed in grey), chosen for maximal colour distance."""

_PALETTE_PICK = {1: (1,), 2: (1, 6), 3: (0, 2, 5), 4: (0, 2, 4, 6), 5: (0, 1, 3, 5, 7),
                 6: (0, 1, 2, 3, 4, 5), 7: (0, 1, 2, 3, 4, 5, 6)}  # fmt: skip
"""For fewer than 8 groups, the subset of :data:`PALETTE` with the largest smallest colour distance."""

Labels = Mapping[Any, str] | Callable[[Any], str] | None
Palette = str | Sequence | Mapping[Any, Any] | None


class CohortFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in Jupyter, whatever the backend."""

    def _repr_png_(self) -> bytes:
        return figure_to_png(self, dpi=120)


def _figure(width: float, height: float) -> CohortFigure:
    return CohortFigure(figsize=(width, height), dpi=150, layout="constrained")


def palette(n: int) -> list[str]:
    """``n`` colours of the house palette (:data:`PALETTE`); beyond 8, seaborn's "husl" colours."""
    if n <= 0:
        return []
    if n >= len(PALETTE):
        if n == len(PALETTE):
            return list(PALETTE)
        import seaborn as sns

        return list(PALETTE) + [tuple(c) for c in sns.color_palette("husl", n - len(PALETTE))]
    return [PALETTE[i] for i in _PALETTE_PICK[n]]


def _palette(n: int) -> list:
    return palette(n)


def _colours(groups: Sequence, pal: Palette) -> dict:
    """Group -> colour from ``pal`` (None: house palette; a seaborn palette name; a list; a dict)."""
    if isinstance(pal, Mapping):
        fallback = palette(len(groups))
        return {g: pal.get(g, fallback[i]) for i, g in enumerate(groups)}
    if pal is None:
        cols = palette(len(groups))
    elif isinstance(pal, str):
        import seaborn as sns

        cols = sns.color_palette(pal, len(groups))
    else:
        cols = list(pal)
        if len(cols) < len(groups):
            raise ValueError(f"palette has {len(cols)} colours for {len(groups)} groups.")
    return dict(zip(groups, cols, strict=False))


def _names(groups: Sequence, labels: Labels, default: Callable[[Any], str]) -> dict:
    """Group -> display name: ``labels`` (dict or function), else ``default`` (schema words)."""
    if callable(labels):
        return {g: str(labels(g)) for g in groups}
    labels = labels or {}
    return {g: str(labels[g]) if g in labels else default(g) for g in groups}


def _wrap(text: str | None, width_in: float, fontsize: float) -> str | None:
    """``text`` wrapped to lines that fit ``width_in`` inches at ``fontsize`` points."""
    if not text:
        return text
    chars = max(int(width_in * 72 / (fontsize * 0.56)), 12)
    return "\n".join(textwrap.fill(line, chars) for line in str(text).splitlines())


def _title(fig: Figure, title: str | None, width: float) -> None:
    if title:
        fig.suptitle(_wrap(title, width * 0.95, 8), fontsize=8)


def _style(ax, *, grid: bool = False) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=7, length=3)
    ax.xaxis.label.set_size(8)
    ax.yaxis.label.set_size(8)
    if grid:
        ax.grid(axis="y", lw=0.3, alpha=0.5)


def _format_p(p: float) -> str:
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def _default_breaks(max_days: float, unit: str) -> np.ndarray:
    scale = _UNIT[unit]
    span = max_days / scale
    step = {"days": 365.0, "months": 12.0, "years": 1.0}[unit]
    if span / step > 6:
        step *= 2
    if span / step < 3:
        step /= 2
    return np.arange(0, span + 1e-9, step) * scale


def _axis(
    max_days: float,
    time_unit: str,
    *,
    xmax: float | None,
    break_by: float | None,
    breaks: Sequence[float] | None,
) -> tuple[float, float, np.ndarray]:
    """(scale, right end in days, tick times in days) of a time axis.

    The axis runs to ``xmax`` (in ``time_unit``) when given, else to the end of follow-up; ticks
    every ``break_by`` (in ``time_unit``), or at ``breaks`` (days), or at a round default step.
    """
    if time_unit not in _UNIT:
        raise ValueError(f"time_unit={time_unit!r}: use one of {', '.join(_UNIT)}.")
    scale = _UNIT[time_unit]
    right = float(xmax) * scale if xmax is not None else max_days
    if breaks is not None:
        ticks = np.asarray(breaks, dtype=float)
    elif break_by is not None:
        if break_by <= 0:
            raise ValueError(f"break_by must be positive, got {break_by!r}.")
        ticks = np.arange(0, right / scale + 1e-9, float(break_by)) * scale
    else:
        ticks = _default_breaks(right, time_unit)
    ticks = ticks[ticks <= right + 1e-9]
    return scale, right, ticks


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

    Parameters as :func:`km_plot`; ``result`` from :func:`cohort.time_varying.simon_makuch`. The
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


def _level_of(coef: str) -> tuple[str, str] | None:
    """'sex[male]' -> ('sex', 'male')."""
    if coef.endswith("]") and "[" in coef:
        col, _, lvl = coef[:-1].partition("[")
        return col, lvl
    return None


def _reference_level(column: str, coded: list[str], reference: Mapping[str, str] | None) -> str:
    if reference and column in reference:
        return str(reference[column])
    rest = [v for v in schema.level_order(column) if str(v) not in coded]
    return str(rest[0]) if len(rest) == 1 else "reference level"


def forest_table(
    result: Any,
    *,
    n: Mapping[str, float] | None = None,
    events: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
    reference: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The rows a forest plot draws: one per coefficient, plus a reference row per factor.

    Parameters
    ----------
    result : CoxResult, FineGrayResult or pandas.DataFrame
        A fitted model (its design gives N and events per row) or a bare summary table.
    n, events : dict, optional
        Per-term patients and events (override what the design gives).
    labels : dict, optional
        Display names of terms (``"sex[male]"``) or reference rows (``"sex (reference)"``).
    reference : dict, optional
        Column -> name of its reference level, when the schema cannot tell it.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``label``, ``reference`` (bool), ``ratio``, ``lower``, ``upper``, ``p_value``,
        ``n``, ``events``. For a boolean covariate N and events are patients with the value True
        (the reference row: False); for a factor level, patients at that level; for a continuous
        covariate, every patient in the model.
    """
    summary = result if isinstance(result, pd.DataFrame) else result.summary
    ratio = "hr" if "hr" in summary.columns else "shr"
    design = getattr(result, "_design", None)
    x = getattr(design, "x", None)
    ev = getattr(design, "event", None)
    coef_names = list(summary.index.astype(str))
    terms = getattr(result, "terms", None) or {c: [c] for c in coef_names}
    labels = labels or {}

    def counts(mask: np.ndarray | None) -> tuple[float, float]:
        if mask is None or ev is None:
            return np.nan, np.nan
        return float(mask.sum()), float((np.asarray(ev)[mask] > 0).sum())

    def column(coef: str) -> np.ndarray | None:
        if x is None or coef not in coef_names or np.shape(x)[1] != len(coef_names):
            return None
        return np.asarray(x)[:, coef_names.index(coef)]

    rows: list[dict] = []
    for term, coefs in terms.items():
        cols = [column(c) for c in coefs]
        binary = all(c is not None and np.isin(c, (0, 1)).all() for c in cols)
        factor = [_level_of(c) for c in coefs]
        if (
            binary
            and ":" not in term
            and (len(coefs) > 1 or factor[0] is not None or term in schema.COLUMNS)
        ):
            var = factor[0][0] if factor[0] is not None else term
            ref_mask = ~np.any(np.stack(cols, axis=1) == 1, axis=1)
            if factor[0] is not None:
                ref_name = schema.level_label(
                    var, _reference_level(var, [f[1] for f in factor], reference)
                )
                ref_label = f"{schema.label(var, with_unit=False)}: {ref_name}"
            else:
                ref_label = schema.level_label(var, False)
            rows.append({"term": f"{var} (reference)", "label": labels.get(f"{var} (reference)", ref_label),
                         "reference": True, **dict(zip(("n", "events"), counts(ref_mask), strict=True))})  # fmt: skip
        for coef, col, lvl in zip(coefs, cols, factor, strict=True):
            if lvl is not None:
                default = f"{schema.label(lvl[0], with_unit=False)}: {schema.level_label(*lvl)}"
            elif ":" in coef:
                default = " x ".join(schema.level_label(p, True) if p in schema.COLUMNS else p
                                     for p in coef.split(":"))  # fmt: skip
            elif col is not None and np.isin(col, (0, 1)).all() and coef in schema.COLUMNS:
                default = schema.level_label(coef, True)
            else:
                default = schema.term_label(coef)
            is_binary = col is not None and np.isin(col, (0, 1)).all()
            mask = (
                (col == 1) if is_binary else (np.ones(len(col), bool) if col is not None else None)
            )
            nn, ee = counts(mask)
            r = summary.loc[coef]
            rows.append({"term": coef, "label": labels.get(coef, default), "reference": False,
                         "ratio": float(r[ratio]), "lower": float(r[f"{ratio}_lower"]),
                         "upper": float(r[f"{ratio}_upper"]), "p_value": float(r["p_value"]),
                         "n": (n or {}).get(coef, nn), "events": (events or {}).get(coef, ee)})  # fmt: skip
    out = pd.DataFrame(rows, columns=["term", "label", "reference", "ratio", "lower", "upper",
                                      "p_value", "n", "events"])  # fmt: skip
    out["reference"] = out["reference"].astype(bool)
    out.attrs["ratio"] = ratio.upper()
    return out


def _fmt_ratio(r: pd.Series) -> str:
    if r["reference"]:
        return "1 (reference)"
    return fmt_ci(r["ratio"], r["lower"], r["upper"])


def _fmt_count(v: float) -> str:
    return "" if pd.isna(v) else f"{int(v):,}"


def forest_plot(
    result: Any,
    *,
    n: Mapping[str, float] | None = None,
    events: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
    reference: Mapping[str, str] | None = None,
    title: str | None = None,
    width: float = SINGLE_COLUMN_IN * 1.5,
) -> CohortFigure:
    """Forest plot of hazard ratios (Cox) or subdistribution hazard ratios (Fine-Gray).

    One row per coefficient with N, events, the ratio with its 95% CI and the p-value, and a row
    for the reference level of each boolean or categorical covariate (drawn at 1).

    Parameters
    ----------
    result : CoxResult, FineGrayResult or pandas.DataFrame
        Anything with a ``summary`` (or a summary DataFrame) holding ``hr``/``shr`` with their limits
        and ``p_value``.
    n, events, labels, reference : dict, optional
        See :func:`forest_table`.
    title : str, optional
    width : float
        Inches (the default fits the table columns).

    Returns
    -------
    CohortFigure
        The rows drawn are :func:`forest_table` of the same input (``fig.forest_table``).
    """
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    rows = forest_table(result, n=n, events=events, labels=labels, reference=reference)
    k = len(rows)
    ratio = rows.attrs["ratio"]
    longest = max([len(str(t)) for t in rows["label"]] + [10])
    left_w = 0.052 * longest + 0.85
    width = max(width, left_w + 3.0)
    fig = _figure(width, 0.75 + 0.2 * (k + 1))
    gs = fig.add_gridspec(1, 3, width_ratios=[left_w, 1.6, 1.4])
    ax_lab, ax, ax_txt = (fig.add_subplot(gs[i]) for i in range(3))
    y = np.arange(k)[::-1].astype(float)
    est = ~rows["reference"].to_numpy()
    ax.errorbar(
        rows.loc[est, "ratio"], y[est],
        xerr=[rows.loc[est, "ratio"] - rows.loc[est, "lower"], rows.loc[est, "upper"] - rows.loc[est, "ratio"]],
        fmt="s", ms=3.5, color="k", ecolor="k", elinewidth=0.8, capsize=0,
    )  # fmt: skip
    if (~est).any():
        ax.plot(np.ones((~est).sum()), y[~est], ls="none", marker="D", ms=3, mfc="white", mec="0.4")
    ax.axvline(1, color="grey", lw=0.6, ls="--")
    ax.set_xscale("log")
    lo = np.nanmin(rows.loc[est, "lower"]) if est.any() else 1.0
    hi = np.nanmax(rows.loc[est, "upper"]) if est.any() else 1.0
    nice = [t for t in (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20) if lo / 1.5 <= t <= hi * 1.5] or [1]
    ax.xaxis.set_major_locator(FixedLocator(nice))
    ax.set_xticklabels([f"{t:g}" for t in nice])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"{ratio} (95% CI)")
    _style(ax)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    for a in (ax, ax_lab, ax_txt):
        a.set_ylim(-0.7, k + 0.5)
    for a in (ax_lab, ax_txt):
        a.axis("off")
    bold = {"fontsize": 6.5, "fontweight": "bold", "va": "center"}
    ax_lab.text(0, k, "Characteristic", ha="left", **bold)
    ax_lab.text(0.72, k, "N", ha="right", **bold)
    ax_lab.text(1.0, k, "Events", ha="right", **bold)
    ax_txt.text(0.02, k, f"{ratio} (95% CI)", ha="left", **bold)
    ax_txt.text(1.0, k, "p", ha="right", **bold)
    plain = {"fontsize": 6.5, "va": "center"}
    for yi, (_, r) in zip(y, rows.iterrows(), strict=True):
        ax_lab.text(0, yi, str(r["label"]), ha="left",
                    color="0.35" if r["reference"] else "k", **plain)  # fmt: skip
        ax_lab.text(0.72, yi, _fmt_count(r["n"]), ha="right", **plain)
        ax_lab.text(1.0, yi, _fmt_count(r["events"]), ha="right", **plain)
        ax_txt.text(
            0.02, yi, _fmt_ratio(r), ha="left", color="0.35" if r["reference"] else "k", **plain
        )
        p = "" if r["reference"] else fmt_p(r["p_value"])
        ax_txt.text(1.0, yi, p, ha="right", **plain)
    _title(fig, title, width)
    fig.forest_table = rows
    return fig


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


def figure_to_png(fig, *, dpi: int = 200) -> bytes:
    """PNG bytes of a figure (metadata stripped so that the bytes do not depend on the date)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
