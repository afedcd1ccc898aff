"""The patient flow as a CONSORT-style diagram: an SVG drawn from the report's flow table.

Main steps stand in one column joined by arrows; each exclusion ("excluded" steps) is a box to the
right of the arrow it branches from. The groups a step divides into (``kind == "split"``: each
patient in exactly one) stand side by side under it, each with its own arrow, so that they do not
read as nested subsets. The SVG is embedded in the HTML (no file, no script), scales to
the page width and carries a ``<title>`` so that screen readers can read the counts.
"""

from __future__ import annotations

import textwrap
from html import escape

import pandas as pd

MAIN_X, MAIN_W = 10, 330
SIDE_X, SIDE_W = 400, 300
LINE_H, PAD = 16, 8
GAP = 26
CHARS_MAIN, CHARS_SIDE = 42, 38
MAX_SIDE_BY_SIDE = 5  # more groups than this stay in the column (boxes would be too narrow)


def _lines(step: str, n: int, note: str, chars: int, *, excluded: bool) -> list[tuple[str, bool]]:
    """(text, bold) lines of one box."""
    head = f"Excluded: {note}" if excluded and note else step
    out = [(t, False) for t in textwrap.wrap(str(head), chars) or [""]]
    out.append((f"n = {int(n):,}", True))
    if note and not excluded:
        out += [(t, False) for t in textwrap.wrap(str(note), chars + 6)]
    return out


def _box(x: int, y: int, w: int, lines: list[tuple[str, bool]], *, side: bool) -> tuple[str, int]:
    h = PAD * 2 + LINE_H * len(lines)
    stroke = "#b55" if side else "#3a6ea5"
    parts = [
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="#fff" stroke="{stroke}"/>'
    ]
    for i, (text, bold) in enumerate(lines):
        weight = ' font-weight="bold"' if bold else ""
        size = 13 if (bold or i == 0) else 11.5
        parts.append(
            f'<text x="{x + w / 2:g}" y="{y + PAD + LINE_H * (i + 1) - 4}" text-anchor="middle" '
            f'font-size="{size}"{weight}>{escape(text)}</text>'
        )
    return "".join(parts), h


def flow_svg(flow: pd.DataFrame) -> str:
    """An SVG CONSORT-style diagram of ``flow`` (columns ``step``, ``n``, ``note``)."""
    rows = list(flow[["step", "n", "note"]].itertuples(index=False, name=None))
    if not rows:
        return ""
    kinds = flow["kind"].tolist() if "kind" in flow.columns else ["step"] * len(rows)
    # a trailing run of split steps is drawn as one row of side-by-side boxes
    n_split = 0
    while n_split < len(rows) - 1 and kinds[len(rows) - 1 - n_split] == "split":
        n_split += 1
    if not 2 <= n_split <= MAX_SIDE_BY_SIDE:  # one group, or too many to read side by side
        n_split = 0
    splits = rows[len(rows) - n_split :]
    rows_main = rows[: len(rows) - n_split]
    # group each run of exclusions with the main step before it
    blocks: list[tuple[tuple, list[tuple]]] = []
    for step, n, note in rows_main:
        if step == "excluded" and blocks:
            blocks[-1][1].append((step, n, note))
        else:
            blocks.append(((step, n, note), []))
    parts: list[str] = []
    y = 10
    prev_bottom = None
    title = "; ".join(
        f"{'excluded: ' + str(note) if step == 'excluded' else step}: n = {int(n)}"
        for step, n, note in rows
    )
    for (step, n, note), exclusions in blocks:
        if prev_bottom is not None:
            parts.append(_arrow(MAIN_X + MAIN_W / 2, prev_bottom, MAIN_X + MAIN_W / 2, y))
        svg, h = _box(
            MAIN_X, y, MAIN_W, _lines(step, n, note, CHARS_MAIN, excluded=False), side=False
        )
        parts.append(svg)
        prev_bottom = y + h
        y += h + GAP
        if exclusions:
            trunk = MAIN_X + MAIN_W / 2
            for _, en, enote in exclusions:
                lines = _lines("excluded", en, enote, CHARS_SIDE, excluded=True)
                svg, eh = _box(SIDE_X, y, SIDE_W, lines, side=True)
                parts.append(svg)
                parts.append(_arrow(trunk, y + eh / 2, SIDE_X, y + eh / 2))
                y += eh + 10
            y += GAP - 10
    if splits:
        y, prev_bottom = _split_row(parts, splits, y, prev_bottom)
    height = y - GAP + 10
    width = SIDE_X + SIDE_W + 10
    return (
        f'<svg class="flow" xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="Helvetica, Arial, sans-serif" fill="#222">'
        f"<title>Patient flow: {escape(title)}</title>"
        '<defs><marker id="flow-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/>'
        "</marker></defs>" + "".join(parts) + "</svg>"
    )


def _split_row(
    parts: list[str], splits: list[tuple], y: int, prev_bottom: float
) -> tuple[int, int]:
    """Draw the groups a step divides into side by side under it; returns (next y, bottom)."""
    k = len(splits)
    left, right, gap = MAIN_X, SIDE_X + SIDE_W, 10
    width = int((right - left - gap * (k - 1)) / k)
    chars = max(10, int(width / 7.5))
    boxes = []
    for i, (step, n, note) in enumerate(splits):
        x = left + i * (width + gap)
        svg, h = _box(x, y, width, _lines(step, n, note, chars, excluded=False), side=False)
        boxes.append((x, svg, h))
    trunk = MAIN_X + MAIN_W / 2
    bar = (prev_bottom + y) / 2
    centres = [x + width / 2 for x, _, _ in boxes]
    parts.append(
        f'<line x1="{trunk:g}" y1="{prev_bottom:g}" x2="{trunk:g}" y2="{bar:g}" stroke="#555" '
        'stroke-width="1.2"/>'
        f'<line x1="{min(centres + [trunk]):g}" y1="{bar:g}" x2="{max(centres + [trunk]):g}" '
        f'y2="{bar:g}" stroke="#555" stroke-width="1.2"/>'
    )
    for (_x, svg, _h), centre in zip(boxes, centres, strict=True):
        parts.append(_arrow(centre, bar, centre, y))
        parts.append(svg)
    bottom = y + max(h for _, _, h in boxes)
    return bottom + GAP, bottom


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="#555" stroke-width="1.2" '
        'marker-end="url(#flow-arrow)"/>'
    )
