"""Forest plots of hazard ratios (:func:`forest_table`, :func:`forest_plot`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cohort import schema
from cohort.numbers import fmt_ci, fmt_p
from cohort.plots.style import SINGLE_COLUMN_IN, CohortFigure, _figure, _style, _title


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
