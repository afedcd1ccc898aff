"""The public :func:`cohort.load`: a table, a bundled-dataset folder, or a Parquet dataset on Dask.

It sits above the data layer (:mod:`cohort.io`), the bundled datasets (:mod:`cohort.datasets`) and
the Dask engine (:mod:`cohort.dask_engine`) and dispatches to them, so that none of those three
imports another to reach the others.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cohort.cohort import Cohort
from cohort.errors import LoadError
from cohort.io.loading import check_on_error, load_folder, load_mrd
from cohort.io.loading import load as load_table
from cohort.io.mapping import Mapping

__all__ = ["load", "load_mrd"]


def load(
    source: str | Path | pd.DataFrame,
    mapping: str | Path | dict | Mapping | None = None,
    *,
    mutations: str | Path | pd.DataFrame | None = None,
    mrd: str | Path | pd.DataFrame | None = None,
    mrd_mapping: str | Path | dict | Mapping | None = None,
    on_error: str = "raise",
    today: pd.Timestamp | None = None,
    engine: str = "pandas",
) -> Cohort:
    """Load a cohort table into the canonical schema.

    Parameters
    ----------
    source : path or DataFrame
        A table file (CSV, TSV, TXT, XLSX, Parquet, JSON records), a DataFrame, or a bundled-dataset
        folder (read by :func:`cohort.datasets.read_folder`). A table already in the canonical schema
        needs no mapping.
    mapping : path, preset name, dict or Mapping, optional
        Renames columns, declares value codes, units and date columns (see ``docs/mapping.md``).
    mutations : path or DataFrame, optional
        A long variant table (one row per variant: patient, gene, VAF, protein change, as in a MAF),
        pivoted into genotype columns and VAFs by :func:`cohort.io.mutations.pivot_variants`.
        Genotypes given in the main table win; disagreements are listed in the report.
    mrd : path or DataFrame, optional
        An NPM1 MRD long table, loaded with :func:`load_mrd` and attached as ``Cohort.mrd``.
    mrd_mapping : optional
        Mapping for the MRD table.
    on_error : {"raise", "exclude"}
        ``"raise"``: any problem raises one :class:`~cohort.errors.CohortValidationError` listing
        every problem. ``"exclude"``: offending rows move to ``Cohort.exclusions`` (each input row
        once, with all its reasons).
    today : Timestamp, optional
        The date after which a date counts as "in the future" (default: now).
    engine : {"pandas", "dask"}
        ``"dask"`` reads a Parquet dataset (a file or a folder of files) lazily for registry-scale
        cohorts and returns a :class:`cohort.dask_engine.DaskCohort` (validated partition-wise, with
        the same exclusions rules); see :mod:`cohort.dask_engine` and ``docs/performance.md``.

    Returns
    -------
    Cohort
        ``.data`` keeps the input row order with a fresh RangeIndex; canonical columns come first in
        schema order, other columns follow unchanged and are listed in ``report["extra_columns"]``.

    Raises
    ------
    LoadError, MappingError, SchemaError, CohortValidationError
    """
    check_on_error(on_error)
    if engine == "dask":
        if mutations is not None or mrd is not None:
            raise LoadError(
                "engine='dask' reads one canonical Parquet dataset; pivot variants and MRD first."
            )
        from cohort.dask_engine import load_dask

        return load_dask(source, mapping, on_error=on_error, today=today)
    if engine != "pandas":
        raise LoadError(f"engine must be 'pandas' or 'dask', got {engine!r}.")
    options = {"mutations": mutations, "mrd": mrd, "mrd_mapping": mrd_mapping}
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        folder = Path(source)
        try:
            from cohort.datasets import read_folder
        except ImportError as exc:
            raise LoadError(
                f"{folder} is a folder, and reading dataset folders needs "
                f"cohort.datasets.read_folder, which is not available ({exc}). Give a table file "
                "instead."
            ) from None
        # The folder reader takes the dataset name; a folder named after its dataset needs no
        # mapping.
        name = folder.name if mapping is None else mapping
        raw = read_folder(folder, name)
        return load_folder(raw, folder, name, **options, on_error=on_error, today=today)
    return load_table(source, mapping, **options, on_error=on_error, today=today)
