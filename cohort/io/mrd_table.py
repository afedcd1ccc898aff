"""Loading an NPM1 MRD long table (one row per sample) into its canonical columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cohort.errors import (
    SchemaError,
)
from cohort.io.exclusions import _split, check_on_error
from cohort.io.mapping import Mapping, read_mapping
from cohort.io.normalise import (
    DAYS_PER_UNIT,
    Context,
    _map_cells,
    _missing,
    normalise_number,
    normalise_text,
    token,
)
from cohort.io.reading import _source_label, read_table
from cohort.io.renaming import _list, _rename_map, _text_columns
from cohort.schema import MRD_COLUMNS

SAMPLE_CODES = {
    "pb": "PB", "peripheral blood": "PB", "blood": "PB",
    "bm": "BM", "bone marrow": "BM", "marrow": "BM",
}  # fmt: skip


# ----------------------------------------------------------------------------------------- MRD


def load_mrd(
    source: str | Path | pd.DataFrame,
    mapping: str | Path | dict | Mapping | None = None,
    *,
    on_error: str = "raise",
) -> pd.DataFrame:
    """Load an NPM1 MRD long table (one row per sample).

    Parameters
    ----------
    source : path or DataFrame
        Columns ``patient_id``, ``days`` (from diagnosis), ``sample`` (``"PB"``/``"BM"``; also
        peripheral blood / bone marrow) and ``npm1_abl1_pct`` (NPM1-mutant / ABL1 x 100), or others
        renamed by ``mapping``. ``units: {time: weeks, npm1_abl1: ratio}`` convert.
    mapping : optional
        As for :func:`load`, checked against the MRD schema.
    on_error : {"raise", "exclude"}

    Returns
    -------
    pandas.DataFrame
        The MRD table in input order; ``.attrs["exclusions"]`` lists excluded rows and
        ``.attrs["files"]`` the files read, with SHA-256.
    """
    check_on_error(on_error)
    m = read_mapping(mapping, mrd=True)
    table = read_table(source, text_columns=_text_columns(m, MRD_COLUMNS), role="mrd")
    renames = _rename_map(list(table.frame.columns), m, MRD_COLUMNS, table.name)
    lacking = [c for c in MRD_COLUMNS if c not in renames.values()]
    if lacking:
        raise SchemaError(
            f"MRD table {table.name} lacks column(s) {', '.join(lacking)} (its columns are: "
            f"{_list(list(table.frame.columns))}). Rename them or map them in a mapping file."
        )
    frame = table.frame.rename(columns=renames)
    ctx = Context(
        rows=table.lines or [i + table.row_base for i in range(len(frame))],
        labels={d: s for s, d in renames.items()},
        mapping=m,
    )
    frame["patient_id"] = normalise_text(frame["patient_id"], "patient_id", ctx)
    ctx.patient_ids = frame["patient_id"].tolist()
    frame["days"] = (
        normalise_number(frame["days"], "days", ctx) * DAYS_PER_UNIT[m.time_unit("days")]
    )
    frame["sample"] = _normalise_sample(frame["sample"], ctx)
    pct = normalise_number(frame["npm1_abl1_pct"], "npm1_abl1_pct", ctx)
    frame["npm1_abl1_pct"] = pct * 100.0 if m.unit("npm1_abl1", "percent") == "ratio" else pct
    checks = [
        ("missing_id", "patient_id", frame["patient_id"].isna(), "the patient identifier is missing."),
        ("missing_time", "days", frame["days"].isna(), "the sample has no time."),
        ("out_of_range", "days", (frame["days"] < -60) | (frame["days"] > 36500),
         "days must lie between -60 and 36500 (days from diagnosis)."),
        ("out_of_range", "npm1_abl1_pct", frame["npm1_abl1_pct"] < 0,
         "NPM1/ABL1 cannot be negative."),
    ]  # fmt: skip
    for reason, col, mask, message in checks:
        for pos in np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool)):
            ctx.add(
                int(pos), reason, col, frame[col].iloc[pos], message,
                "Correct the cell (times are days from diagnosis; declare units in the mapping).",
            )  # fmt: skip
    canonical = list(MRD_COLUMNS)
    frame = frame[canonical + [c for c in frame.columns if c not in MRD_COLUMNS]]
    data, exclusions = _split(frame, ctx, _source_label(table), on_error)
    for name, col in MRD_COLUMNS.items():
        data[name] = data[name].astype(col.dtype)
    data.attrs["exclusions"] = exclusions
    data.attrs["files"] = table.files
    return data


def _normalise_sample(series: pd.Series, ctx: Context) -> pd.Series:
    def read(value: Any) -> tuple[Any, str | None]:
        tok = token(value)
        if _missing(tok, ctx):
            return pd.NA, "missing"
        if tok in SAMPLE_CODES:
            return SAMPLE_CODES[tok], None
        return pd.NA, "unknown_code"

    out, bad = _map_cells(series, read)
    for pos, value, err in bad:
        ctx.add(
            pos, "unknown_code" if err == "unknown_code" else "missing_sample", "sample", value,
            f"{value!r} is not a sample type; use PB (peripheral blood) or BM (bone marrow).",
            "Correct the cell; MRD thresholds differ between blood and marrow.",
        )  # fmt: skip
    return pd.Series(out, index=series.index, dtype="string")
