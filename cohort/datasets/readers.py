"""What the dataset readers share: the :class:`RawDataset` result and small file helpers.

Each bundled cohort has its own reader module (:mod:`cohort.datasets.amlsg`,
:mod:`cohort.datasets.beataml`, :mod:`cohort.datasets.tcga`) that turns the dataset's own files into
the canonical schema; :func:`cohort.datasets.read_folder` picks the reader by name.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cohort.errors import LoadError
from cohort.schema import COLUMNS, GENES


@dataclass(frozen=True)
class RawDataset:
    """A dataset read from its own files, in canonical column names and values.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per patient: canonical columns (schema dtypes) plus dataset-specific extra columns
        under non-schema names (e.g. ``eln2010``, ``study``, ``amlsg_*``). Genotypes are already
        resolved (clinical calls where the dataset documents them, variant table otherwise).
    mutations : pandas.DataFrame or None
        The long variant table: ``patient_id``, ``gene``, ``vaf`` (0-1), ``protein_change`` and,
        where known, ``cdna_change``, ``variant_type``, ``position``, ``alt_allele``.
    sequenced : tuple of str or None
        Patients with sequencing; None means every patient of the cohort was sequenced.
    files : list of pathlib.Path
        Every file read.
    notes : dict
        Decisions and counts for the load report (which call was used, derived values, patients
        in the variant table but not in the clinical table, ...).
    """

    frame: pd.DataFrame
    mutations: pd.DataFrame | None
    sequenced: tuple[str, ...] | None
    files: list[Path] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


def require(folder: Path, names: tuple[str, ...], dataset: str) -> list[Path]:
    """Paths of the files a reader needs, raising LoadError naming every missing one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(
            f"{folder} is not a folder. Pass the folder that holds the {dataset} files "
            f"({', '.join(names)})."
        )
    paths = [folder / n for n in names]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise LoadError(
            f"The {dataset} folder {folder} lacks {', '.join(missing)}. The '{dataset}' mapping "
            f"reads {', '.join(names)} (see docs/datasets.md)."
        )
    return paths


def read_tsv(path: Path, **kwargs: Any) -> pd.DataFrame:
    """A tab-separated file, accepting old-Mac CR line endings; LoadError if unreadable."""
    try:
        raw = Path(path).read_bytes()
        # AMLSG_Genetic.txt, AMLSG_Karyotypes.txt and TCGA_Genetic.txt end lines with a bare CR.
        text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
        frame = pd.read_csv(io.StringIO(text), sep="\t", **kwargs)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise LoadError(f"Cannot read {path} as a tab-separated table: {exc}") from exc
    if frame.empty:
        raise LoadError(f"{path} has no rows.")
    return frame


def need_columns(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    """LoadError naming the columns a reader needs but the file lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LoadError(
            f"{path} lacks column(s) {', '.join(missing)}; is it the original file? (it has "
            f"{', '.join(map(str, frame.columns[:12]))}, ...)"
        )


def flag(values: pd.Series, true: tuple[Any, ...] = (1, True), false: tuple[Any, ...] = (0, False)):
    """A nullable boolean from coded values; anything else is missing."""
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[values.isin(true).to_numpy()] = True
    out[values.isin(false).to_numpy()] = False
    return out


def finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Cast canonical columns to their schema dtypes and put them first, in schema order."""
    out = frame.copy()
    for name in out.columns:
        col = COLUMNS.get(name)
        if col is not None:
            out[name] = out[name].astype(col.dtype)
    canonical = [c for c in COLUMNS if c in out.columns]
    extra = [c for c in out.columns if c not in COLUMNS]
    return out[canonical + extra].reset_index(drop=True)


def never_called(wide: pd.DataFrame, keep: tuple[str, ...] = ()) -> list[str]:
    """Gene columns of a pivoted table with no variant in any patient, other than ``keep``.

    A gene nobody carries in a panel of unstated composition may simply not be on the panel, so
    the readers set such columns to missing rather than wild-type (and say so in the notes).
    """
    return [g for g in GENES if g not in keep and not bool(wide[g].fillna(False).any())]


def disagreements(a: Any, b: Any) -> int:
    """Number of positions where two boolean calls are both known and differ."""
    x = pd.array(list(a), dtype="boolean")
    y = pd.array(list(b), dtype="boolean")
    return int(((x != y).fillna(False)).sum())
