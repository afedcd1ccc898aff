"""The house style of every figure: sizes, the palette, group colours and names, titles, axes
and time breaks, and the PNG rendering (:class:`CohortFigure`, :func:`figure_to_png`)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cohort import schema
from cohort.numbers import fmt_p

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


def figure_to_png(fig, *, dpi: int = 200) -> bytes:
    """PNG bytes of a figure (metadata stripped so that the bytes do not depend on the date)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
