"""Source columns to canonical names: the mapping, exact and case-folded names, near misses."""

from __future__ import annotations

import difflib

import pandas as pd

from cohort.errors import (
    MappingError,
)
from cohort.io.mapping import Mapping
from cohort.io.normalise import (
    Context,
)
from cohort.schema import COLUMNS

# ----------------------------------------------------------------------------------------- renaming


def _rename_map(header: list[str], mapping: Mapping, schema: dict, name: str) -> dict[str, str]:
    """Source column -> canonical name, from the mapping and from exact or case-folded names."""
    renames: dict[str, str] = {}
    folded = {c.casefold(): c for c in schema}
    date_sources = set(mapping.dates.values())
    for col in header:
        if col in mapping.columns:
            renames[col] = mapping.columns[col]
        elif col in date_sources:
            if col.strip().casefold() in folded:
                # A date column named like a canonical column (e.g. "cr") holds dates, not the
                # flag; it is kept under a name that cannot be mistaken for the canonical one.
                renames[col] = _free_name(f"{col}_date", header)
            continue
        elif col in schema:
            renames[col] = col
        elif col.strip().casefold() in folded:
            renames[col] = folded[col.strip().casefold()]
    targets: dict[str, list[str]] = {}
    for src, dst in renames.items():
        if dst not in schema:
            continue
        targets.setdefault(dst, []).append(src)
    clash = {dst: srcs for dst, srcs in targets.items() if len(srcs) > 1}
    if clash:
        dst, srcs = next(iter(clash.items()))
        raise MappingError(
            f"{name}: columns {', '.join(map(repr, srcs))} would all become {dst!r}. Map only one "
            f"of them to {dst!r} (rename or drop the other)."
        )
    return renames


def _free_name(name: str, taken: list[str]) -> str:
    while name in taken:
        name += "_"
    return name


def _text_columns(mapping: Mapping, schema: dict):
    folded = {c.casefold() for c in schema}

    def pick(header: list[str]) -> list[str]:
        return [
            c
            for c in header
            if c in mapping.columns
            or c in schema
            or (c.strip().casefold() in folded and c not in mapping.dates.values())
        ]

    return pick


def _header_hint(raw: pd.DataFrame, header: list[str], m: Mapping) -> str:
    """Why patient_id may be missing: a header spanning two rows, or a misspelt name."""
    wanted = {"patient_id", *m.columns}
    for pos in range(min(3, len(raw))):
        cells = [str(v).strip() for v in raw.iloc[pos].tolist()]
        if any(c in wanted or c.casefold() == "patient_id" for c in cells):
            return (
                f" The column names seem to be in data row {pos + 1} (a header spanning "
                f"{pos + 2} rows, as spreadsheets with grouped headings have): delete the extra "
                "heading row(s) so that the names are in the first row."
            )
    close = difflib.get_close_matches("patient_id", header, n=3, cutoff=0.75)
    if close:
        return f" Did you mean {', '.join(map(repr, close))}? Rename it to patient_id."
    return ""


def _warn_near_misses(header: list[str], renames: dict[str, str], m: Mapping, ctx: Context) -> None:
    """Flag unrecognised columns whose name is close to a canonical one (``os_dayz``).

    They are kept as extra columns, so an analysis would later say the canonical column is
    absent; naming the likely typo at load time saves the user that hunt.
    """
    present = set(renames.values())
    free = [c for c in COLUMNS if c not in present]
    misses = {}
    for col in header:
        if col in renames or col in m.dates.values() or col in m.extra_columns:
            continue  # mapped, a date source, or declared an extra column on purpose
        if "date" in col.casefold():
            continue  # "cr_date" is a date the mapping may not use, not a misspelt "cr_days"
        close = difflib.get_close_matches(col.strip().casefold(), free, n=1, cutoff=0.85)
        if close:
            misses[col] = close[0]
    if misses:
        ctx.report["near_miss_columns"] = misses
        ctx.note(
            "warnings",
            "column(s) not in the schema, kept as extra columns, look like misspelt canonical "
            "names: "
            + ", ".join(f"{k!r} (did you mean {v!r}?)" for k, v in misses.items())
            + ". Rename them or map them in the mapping file.",
        )


def _list(cols: list[str], n: int = 12) -> str:
    shown = ", ".join(cols[:n])
    return shown + (f", ... ({len(cols)} in all)" if len(cols) > n else "")
