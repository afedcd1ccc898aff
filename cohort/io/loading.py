"""Loading a cohort table (and optionally a variant table and an MRD table) into a :class:`Cohort`.

The pipeline is: read -> rename (mapping) -> normalise values and units -> derive endpoints from
dates -> fill cytogenetic flags from the karyotype -> pivot variants into genotypes -> validate ->
raise every problem at once, or move offending rows to ``Cohort.exclusions``. Every input row ends up
either in ``.data`` or, once, in ``.exclusions``.

The steps live in named modules: :mod:`cohort.io.reading` (files as written),
:mod:`cohort.io.renaming` (columns to canonical names), :mod:`cohort.io.normalise`,
:mod:`cohort.io.endpoints`, :mod:`cohort.io.validation`, :mod:`cohort.io.exclusions` (raise or
exclude) and :mod:`cohort.io.mrd_table` (MRD tables); their public names are re-exported here.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cohort.cohort import Cohort
from cohort.errors import (
    DataQualityWarning,
    LoadError,
    MappingError,
    SchemaError,
)
from cohort.io.endpoints import (
    DERIVED_COLUMNS,
    check_date_order,
    date_cells,
    endpoints_from_dates,
    parse_dates,
)
from cohort.io.exclusions import _DECIMAL_COMMA, ON_ERROR, _split, check_on_error
from cohort.io.mapping import Mapping, check_columns_present, check_endpoint_pairs, read_mapping
from cohort.io.mrd_table import SAMPLE_CODES, load_mrd
from cohort.io.normalise import Context, normalise_columns
from cohort.io.reading import (
    EXCEL_SUFFIXES,
    JSON_SUFFIXES,
    MAX_GUNZIP_BYTES,
    PARQUET_SUFFIXES,
    TEXT_SUFFIXES,
    _sha256,
    _source_label,
    _Table,
    read_table,
)
from cohort.io.renaming import _header_hint, _list, _rename_map, _text_columns, _warn_near_misses
from cohort.io.validation import validate
from cohort.schema import COLUMNS, CYTOGENETIC_FLAGS

__all__ = [
    "EXCEL_SUFFIXES",
    "JSON_SUFFIXES",
    "MAX_GUNZIP_BYTES",
    "ON_ERROR",
    "PARQUET_SUFFIXES",
    "SAMPLE_CODES",
    "TEXT_SUFFIXES",
    "check_on_error",
    "load",
    "load_folder",
    "load_mrd",
    "read_table",
]

# ----------------------------------------------------------------------------------------- load


def load(
    source: str | Path | pd.DataFrame,
    mapping: str | Path | dict | Mapping | None = None,
    *,
    mutations: str | Path | pd.DataFrame | None = None,
    mrd: str | Path | pd.DataFrame | None = None,
    mrd_mapping: str | Path | dict | Mapping | None = None,
    on_error: str = "raise",
    today: pd.Timestamp | None = None,
) -> Cohort:
    """Load one table into the canonical schema (the data layer behind :func:`cohort.load`).

    :func:`cohort.load` adds bundled-dataset folders and ``engine="dask"``; this function reads a
    table file or a DataFrame and imports neither the datasets nor the Dask engine.

    Parameters
    ----------
    source : path or DataFrame
        A table file (CSV, TSV, TXT, XLSX, Parquet, JSON records) or a DataFrame. A table already
        in the canonical schema needs no mapping.
    mapping, mutations, mrd, mrd_mapping, on_error, today
        As in :func:`cohort.load`.

    Returns
    -------
    Cohort

    Raises
    ------
    LoadError, MappingError, SchemaError, CohortValidationError
    """
    check_on_error(on_error)
    m = read_mapping(mapping)
    table = read_table(source, text_columns=_text_columns(m, COLUMNS))
    return _build(table, m, {}, None, mutations, mrd, mrd_mapping, on_error, today)


def load_folder(
    raw: Any,
    folder: Path,
    name: Any,
    *,
    mutations: str | Path | pd.DataFrame | None = None,
    mrd: str | Path | pd.DataFrame | None = None,
    mrd_mapping: str | Path | dict | Mapping | None = None,
    on_error: str = "raise",
    today: pd.Timestamp | None = None,
) -> Cohort:
    """Load a dataset folder already read by :func:`cohort.datasets.read_folder`.

    Parameters
    ----------
    raw : cohort.datasets.RawDataset
        Canonical frame, variant table, sequenced patients, files read and notes.
    folder : pathlib.Path
        The folder read (its name labels the table; its files are hashed for provenance).
    name : str
        The dataset name the folder was read as.
    mutations, mrd, mrd_mapping, on_error, today
        As in :func:`cohort.load`; ``mutations`` defaults to the folder's variant table.

    Returns
    -------
    Cohort
    """
    check_on_error(on_error)
    report: dict[str, Any] = {}
    files = [
        {"path": Path(f).name, "role": "dataset", "sha256": _sha256(Path(f).read_bytes())}
        for f in raw.files
    ]
    report["dataset_notes"] = dict(raw.notes or {})
    table = _Table(raw.frame.reset_index(drop=True), folder.name, files, 0)
    # The folder reader returns canonical names and values (its allelic ratios are ITD / wild
    # type), so no mapping is applied again.
    m = Mapping(name=str(name), units={"flt3_itd": "ratio"})
    variants = raw.mutations if mutations is None else mutations
    return _build(table, m, report, raw.sequenced, variants, mrd, mrd_mapping, on_error, today)


def _build(
    table: _Table,
    m: Mapping,
    report: dict[str, Any],
    sequenced: Any,
    mutations: Any,
    mrd: Any,
    mrd_mapping: Any,
    on_error: str,
    today: pd.Timestamp | None,
) -> Cohort:
    frame, ctx = _prepare(table, m, report)
    frame = _derive_endpoints(frame, table.frame, ctx, today)
    frame = _karyotype_flags(frame, ctx)
    provenance_files = list(table.files)
    if mutations is not None:
        frame = _merge_mutations(frame, mutations, sequenced, ctx, provenance_files)
    validate(frame, ctx)

    frame = _order_columns(frame)
    data, exclusions = _split(frame, ctx, _source_label(table), on_error)
    report.update(ctx.report)
    report["n_input"] = len(frame)
    report["n_kept"] = len(data)
    report["n_excluded"] = len(exclusions)
    mrd_frame = None
    if mrd is not None:
        mrd_frame = load_mrd(mrd, mrd_mapping, on_error=on_error)
        provenance_files += mrd_frame.attrs.get("files", [])
        unknown = ~mrd_frame["patient_id"].isin(data["patient_id"])
        if unknown.any():
            ctx.note(
                "warnings",
                f"{int(unknown.sum())} MRD sample(s) belong to patients not in the kept cohort.",
            )
            report["warnings"] = ctx.report["warnings"]
    _emit_warnings(report, table.name)
    provenance = _provenance(table, m, provenance_files, on_error)
    return Cohort(data, exclusions, provenance, report, mrd_frame)


def _prepare(table: _Table, m: Mapping, report: dict) -> tuple[pd.DataFrame, Context]:
    raw = table.frame
    header = list(raw.columns)
    check_columns_present(m, header, table.name)
    renames = _rename_map(header, m, COLUMNS, table.name)
    check_endpoint_pairs(m, set(renames.values()), table.name)
    missing_dates = [f"{e}: {c}" for e, c in m.dates.items() if c not in header]
    if missing_dates:
        raise MappingError(
            f"mapping {m.name!r}: date column(s) {', '.join(missing_dates)} not found in "
            f"{table.name}. Its columns are: {_list(header)}."
        )
    if "patient_id" not in renames.values():
        raise SchemaError(
            f"{table.name} has no patient_id column (its columns are: {_list(header)}). Name the "
            "identifier column patient_id, or map it in the mapping file: "
            "columns: {YourIdColumn: patient_id}." + _header_hint(raw, header, m)
        )
    frame = raw.rename(columns=renames)
    frame, decimal_notes = _decimal_commas(frame, m, table, renames)
    report["renamed"] = {s: d for s, d in renames.items() if s != d}
    report["extra_columns"] = [renames.get(c, c) for c in header if renames.get(c) not in COLUMNS]
    rows = table.lines or [i + table.row_base for i in range(len(frame))]
    ctx = Context(rows=rows, labels={d: s for s, d in renames.items() if d in COLUMNS}, mapping=m)
    for note in table.notes:
        ctx.note("warnings", note)
    for note in decimal_notes:
        ctx.note("units", note)
    _warn_near_misses(header, renames, m, ctx)
    # The reader's (codes, distinct texts) still describe a column unless decimal commas changed it.
    codes = {} if decimal_notes else {renames[s]: c for s, c in table.codes.items() if s in renames}
    frame = normalise_columns(frame, ctx, codes=codes)
    return frame, ctx


def _decimal_commas(
    frame: pd.DataFrame, m: Mapping, table: _Table, renames: dict[str, str]
) -> tuple[pd.DataFrame, list[str]]:
    """Numbers written with a decimal comma (``78,6``): read when the mapping declares
    ``decimal: ","`` (returns the frame and one note per column for ``report["units"]``).
    Undeclared, they stay text: each cell is a ``not_a_number`` problem, and :func:`_split`
    lists them as one ``decimal_comma`` problem per column (and with ``on_error="exclude"``
    warns once per column)."""
    if m.decimal != ",":
        return frame, []  # undeclared: per-cell problems, summarised per column by _split
    numeric = [
        c
        for c in frame.columns
        if c in COLUMNS and COLUMNS[c].kind in ("float", "integer") and frame[c].dtype == object
    ]
    source = {d: s for s, d in renames.items()}
    found = []
    for col in numeric:
        cells = frame[col].astype("string")
        hits = cells.str.match(_DECIMAL_COMMA.pattern).fillna(False).to_numpy(dtype=bool)
        if hits.any():
            found.append((col, hits))
    if not found:
        return frame, []
    label = {c: f"{source[c]} ({c})" if source.get(c, c) != c else c for c, _ in found}
    frame = frame.copy()
    for col, hits in found:
        frame.loc[hits, col] = frame.loc[hits, col].str.replace(",", ".", regex=False)
    return frame, [
        f"{label[col]}: {int(hits.sum())} number(s) with a decimal comma read as decimals"
        for col, hits in found
    ]


def _derive_endpoints(
    frame: pd.DataFrame, raw: pd.DataFrame, ctx: Context, today: pd.Timestamp | None
) -> pd.DataFrame:
    if not ctx.mapping.dates:
        # Dates can still be checked for the future, but without a mapping there are none.
        return frame
    dates = parse_dates(date_cells(raw.reset_index(drop=True), ctx), ctx, today=today)
    cr = frame["cr"] if "cr" in frame.columns else None
    unusable = check_date_order(dates, cr, ctx)
    derived = endpoints_from_dates(dates, cr=cr)
    derived = derived.mask(unusable.to_numpy()[:, None] & np.ones(derived.shape, dtype=bool))
    disagreements: dict[str, int] = {}
    for col in DERIVED_COLUMNS:
        if col not in derived.columns:
            continue
        new = derived[col].astype(COLUMNS[col].dtype)
        if col not in frame.columns:
            frame[col] = new
            ctx.note(
                "derived",
                {"column": col, "from": "dates", "rule": "ELN 2017 endpoint definitions",
                 "n": int(new.notna().sum())},
            )  # fmt: skip
            continue
        given = frame[col]
        both = given.notna() & new.notna()
        differ = both & (given.astype("Float64") - new.astype("Float64")).abs().gt(0.5)
        if differ.any():
            disagreements[col] = int(differ.sum())
        frame[col] = given.fillna(new) if str(given.dtype) == str(new.dtype) else given
    if disagreements:
        ctx.report["endpoint_disagreements"] = disagreements
        ctx.note(
            "warnings",
            "endpoints given in the table disagree with those derived from dates (kept the given "
            "values): " + ", ".join(f"{k} in {v} row(s)" for k, v in disagreements.items()) + ".",
        )
    return frame


def _karyotype_flags(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    if "karyotype" not in frame.columns:
        return frame
    lacking = [f for f in CYTOGENETIC_FLAGS if f not in frame.columns]
    if not lacking:
        return frame
    try:
        cytogenetics = importlib.import_module("cohort.cytogenetics")
    except ImportError:
        ctx.note(
            "warnings",
            "cytogenetic flags were not derived from the karyotype: cohort.cytogenetics is not "
            "available.",
        )
        return frame
    parsed = cytogenetics.flags(frame["karyotype"]).reset_index(drop=True)
    parsed.index = frame.index
    disagreements: dict[str, list[int]] = {}
    for col in parsed.columns:
        if col in CYTOGENETIC_FLAGS:
            values = parsed[col].astype("boolean")
            if col in lacking:
                frame[col] = values
                continue
            differ = frame[col].notna() & values.notna() & frame[col].ne(values).fillna(False)
            if differ.any():
                disagreements[col] = [ctx.rows[p] for p in np.flatnonzero(differ.to_numpy())]
        elif col not in frame.columns:
            frame[col] = parsed[col]
    ctx.note(
        "derived",
        {"column": ", ".join(lacking), "from": "karyotype", "rule": "cohort.cytogenetics.flags",
         "n": int(frame["karyotype"].notna().sum())},
    )  # fmt: skip
    if disagreements:
        ctx.report["karyotype_disagreements"] = {
            k: {"n": len(v), "rows": v} for k, v in disagreements.items()
        }
        ctx.note(
            "warnings",
            "given cytogenetic flags disagree with the karyotype (kept the given flags): "
            + ", ".join(f"{k} in {len(v)} row(s)" for k, v in disagreements.items())
            + ".",
        )
    return frame


def _merge_mutations(
    frame: pd.DataFrame, mutations, sequenced, ctx: Context, files: list[dict[str, str]]
) -> pd.DataFrame:
    try:
        from cohort.io.mutations import pivot_variants
    except ImportError as exc:
        raise LoadError(
            f"mutations= needs cohort.io.mutations.pivot_variants, which is not available ({exc})."
        ) from None
    if isinstance(mutations, pd.DataFrame):
        variants = mutations
    else:
        table = read_table(mutations, role="mutations")
        variants = table.frame
        files.extend(table.files)
    pivot = pivot_variants(variants, frame["patient_id"], sequenced=sequenced)
    aligned = pivot.reindex(pd.Index(frame["patient_id"].astype(object)))
    aligned.index = frame.index
    disagreements: dict[str, dict[str, Any]] = {}
    for col in aligned.columns:
        if col not in COLUMNS or col == "patient_id":
            continue
        new = aligned[col].astype(COLUMNS[col].dtype)
        if col not in frame.columns:
            frame[col] = new
            continue
        given = frame[col]
        differ = given.notna() & new.notna() & given.ne(new).fillna(False)
        if COLUMNS[col].kind == "float":
            differ = given.notna() & new.notna() & (given - new).abs().gt(1e-9).fillna(False)
        if differ.any():
            disagreements[col] = {
                "n": int(differ.sum()),
                "rows": [ctx.rows[p] for p in np.flatnonzero(differ.to_numpy())],
            }
        frame[col] = given.fillna(new)
    notes = dict(pivot.attrs.get("notes", {}))
    for key in ("unknown_patients", "sequenced_added"):
        # These list patient identifiers, which the report must not show; keep the count.
        if key in notes and not isinstance(notes[key], int):
            notes[key] = len(notes[key])
    if notes:
        ctx.report["mutation_notes"] = notes
    ctx.note(
        "derived",
        {"column": "genotypes", "from": "variant table", "rule": "cohort.io.mutations.pivot_variants",
         "n": int(len(variants))},
    )  # fmt: skip
    if disagreements:
        ctx.report["genotype_disagreements"] = disagreements
        ctx.note(
            "warnings",
            "genotypes in the table disagree with the variant table (kept the table): "
            + ", ".join(f"{k} in {v['n']} row(s)" for k, v in disagreements.items())
            + ".",
        )
    return frame


def _order_columns(frame: pd.DataFrame) -> pd.DataFrame:
    canonical = [c for c in COLUMNS if c in frame.columns]
    extra = [c for c in frame.columns if c not in COLUMNS]
    out = frame[canonical + extra].copy()
    for c in canonical:
        if str(out[c].dtype) != COLUMNS[c].dtype:
            out[c] = out[c].astype(COLUMNS[c].dtype)
    return out


def _emit_warnings(report: dict, name: str) -> None:
    level = _caller_level()
    for text in report.get("warnings", []):
        warnings.warn(f"{name}: {text}", DataQualityWarning, stacklevel=level)
    for d in report.get("derived", []):
        if d["column"] == "flt3_itd_ar" and "VAF" in d["from"]:
            warnings.warn(
                f"{name}: FLT3-ITD allelic ratio derived from a VAF ({d['rule']}) for {d['n']} "
                "patient(s); flagged as derived in the load report.",
                DataQualityWarning,
                stacklevel=level,
            )


_PACKAGE = str(Path(__file__).resolve().parents[1])


def _caller_level() -> int:
    """The ``stacklevel``, for a warning issued by our caller, of the first frame outside the
    ``cohort`` package: the user's ``cohort.load(...)`` line, however many layers lie between."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def _provenance(table: _Table, m: Mapping, files: list, on_error: str) -> dict[str, Any]:
    from cohort import __version__

    return {
        "source": table.name,
        "files": files,
        "mapping": m.as_dict(),
        "package_version": __version__,
        "pandas_version": pd.__version__,
        "on_error": on_error,
        "row_numbering": table.numbering,
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
