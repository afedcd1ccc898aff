"""Registry scale: the same loading, classification and Kaplan-Meier analysis on a Dask DataFrame.

A registry (a national AML registry, a pooled trial group) can outgrow one pandas DataFrame. This
module runs the in-memory code on each partition of a Dask DataFrame and combines only what must be
combined:

- :func:`load_dask` reads a Parquet dataset (a folder of files) lazily and validates every
  partition with :func:`cohort.load` (``map_partitions``); rows with problems are collected into one
  exclusions table, and patient identifiers are checked for duplicates *across* partitions, which
  no partition can see alone.
- :func:`classify_dask` and :func:`genotype_groups_dask` are row-wise, so they run partition by
  partition with the in-memory functions unchanged.
- :func:`km_dask` needs only, per group and distinct time, the number of events and of censorings.
  A ``groupby``-aggregate computes these counts on the cluster; the Kaplan-Meier table, its
  confidence limits and medians, and the log-rank test are then computed from the counts on the
  client, with the same lifelines estimator and the same confidence-interval code as
  :func:`cohort.km`, so the results equal the in-memory ones (to rounding, 1e-10).

The client holds the counts (one row per group and distinct time: at most ~36,500 per group when
times are whole days), never the patients. The same code runs on a laptop's ``LocalCluster`` or a
multi-node cluster (see ``docs/performance.md``). Dask is imported only when these functions are
called.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cohort._arguments import check_conf_level
from cohort.cohort import EXCLUSION_COLUMNS
from cohort.errors import (
    CohortError,
    CohortValidationError,
    DataQualityWarning,
    LoadError,
    ModelError,
    Problem,
    SchemaError,
)
from cohort.survival.endpoint import endpoint_columns, endpoint_key

if TYPE_CHECKING:  # pragma: no cover
    from cohort.io.mapping import Mapping
    from cohort.survival.log_rank import LogRankResult

__all__ = [
    "DaskCohort",
    "DaskKaplanMeierResult",
    "classify_dask",
    "genotype_groups_dask",
    "km_counts",
    "km_dask",
    "load_dask",
]

DASK_EXCLUSION_COLUMNS = ("partition", *EXCLUSION_COLUMNS)
"""Exclusions of a Dask load: the partition, then the columns of :attr:`cohort.Cohort.exclusions`
(``row`` is the 0-based record position within that partition)."""


def _dd():
    try:
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise LoadError(f"engine='dask' needs dask[dataframe] installed ({exc}).") from None
    return dd


# ----------------------------------------------------------------------------------------- load


@dataclass(frozen=True)
class DaskCohort:
    """A cohort held as a Dask DataFrame.

    Attributes
    ----------
    data : dask.dataframe.DataFrame
        The canonical table, lazily loaded and validated partition by partition (each partition has
        its own 0-based index; join on ``patient_id``).
    exclusions : pandas.DataFrame
        One row per excluded input row: ``partition`` then the columns of
        :attr:`cohort.Cohort.exclusions` (``row`` is the record position within the partition).
    n_input : int
        Rows read; ``n_input == n_kept +`` the number of (partition, row) pairs excluded with
        ``scope`` "patient" (the other exclusions blanked one endpoint of a kept patient).
    n_kept : int
    provenance : dict
        Source path, files, mapping, partitions, engine.
    report : dict
        ``warnings``: the distinct data-quality warnings of the partitions, with the number of
        partitions that raised each.
    """

    data: Any = field(repr=False)
    exclusions: pd.DataFrame = field(repr=False)
    n_input: int
    n_kept: int
    provenance: dict[str, Any] = field(default_factory=dict, repr=False)
    report: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def npartitions(self) -> int:
        return int(self.data.npartitions)


def _load_partition(
    frame: pd.DataFrame, mapping: Mapping, today: pd.Timestamp | None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    from cohort.io.loading import load

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        c = load(frame, mapping=mapping, on_error="exclude", today=today)
    texts = [str(w.message).removeprefix("<DataFrame>: ") for w in caught]
    return c.data, c.exclusions, texts


def _partition_data(frame: pd.DataFrame, mapping, today, meta: pd.DataFrame) -> pd.DataFrame:
    if len(frame) == 0:
        return meta
    data, _, _ = _load_partition(frame, mapping, today)
    return data.astype(meta.dtypes.to_dict())


def _id_hashes(ids: pd.Series) -> np.ndarray:
    # 8 bytes per patient are all that the cross-partition duplicate check moves to the client.
    return pd.util.hash_pandas_object(ids.astype(object), index=False).to_numpy()


def _partition_check(
    frame: pd.DataFrame, mapping, today, number: int, collect_problems: bool
) -> dict[str, Any]:
    from cohort.io.loading import load

    data, exclusions, texts = _load_partition(frame, mapping, today)
    exclusions = exclusions.copy()
    exclusions.insert(0, "partition", number)
    problems: list[Problem] = []
    if collect_problems and len(exclusions):
        # the exclusions merge a row's problems; raising needs each one, so load this partition
        # once more (only partitions with problems) to get them
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataQualityWarning)
                load(frame, mapping=mapping, on_error="raise", today=today)
        except CohortValidationError as exc:
            problems = [
                replace(p, message=f"(partition {number}) {p.message}") for p in exc.problems
            ]
    return {
        "problems": problems,
        "n_input": len(frame),
        "n_kept": len(data),
        "exclusions": exclusions,
        "warnings": texts,
        "hashes": _id_hashes(data["patient_id"]) if len(data) else np.empty(0, dtype=np.uint64),
    }


def _duplicate_rows(frame: pd.DataFrame, mapping, today, number: int, dups) -> pd.DataFrame:
    data, _, _ = _load_partition(frame, mapping, today)
    hit = np.isin(_id_hashes(data["patient_id"]), dups)
    out = data.loc[hit, ["patient_id"]].copy()
    out["row"] = np.flatnonzero(hit)
    out["partition"] = number
    return out


def load_dask(
    path: str | Path,
    mapping: str | Path | dict | Mapping | None = None,
    *,
    on_error: str = "raise",
    columns: list[str] | None = None,
    today: pd.Timestamp | None = None,
) -> DaskCohort:
    """Load a Parquet dataset (a file or a folder of files) as a lazily validated Dask cohort.

    Each partition goes through :func:`cohort.load` (same mapping, normalisation and validation
    as in memory). One eager pass streams over the partitions to collect the exclusions and check
    that no ``patient_id`` occurs in two rows (also across partitions); ``.data`` itself stays lazy
    and repeats the per-partition loading when computed (``.persist()`` it to load once).

    Parameters
    ----------
    path : str or Path
        A Parquet file, a folder of Parquet files, or a glob; any filesystem Dask can read
        (``s3://...`` with s3fs installed), so workers on other machines can read it too.
    mapping : optional
        As for :func:`cohort.load`.
    on_error : {"raise", "exclude"}
        ``"raise"``: any problem in any partition raises one
        :class:`~cohort.errors.CohortValidationError` (rows named by partition and position).
        ``"exclude"``: offending rows are dropped from ``.data`` and listed in ``.exclusions``.
    columns : list of str, optional
        Read only these source columns (Parquet column projection).
    today : Timestamp, optional
        As for :func:`cohort.load` (the limit for dates in the future).

    Returns
    -------
    DaskCohort

    Raises
    ------
    LoadError, MappingError, SchemaError, CohortValidationError
    """
    from cohort.io.loading import load
    from cohort.io.mapping import read_mapping

    dd = _dd()
    if on_error not in ("raise", "exclude"):
        raise LoadError(f"on_error must be 'raise' or 'exclude', got {on_error!r}.")
    m = read_mapping(mapping)  # checked once, before any data are read
    p = Path(str(path))
    if "://" not in str(path) and not any(ch in str(path) for ch in "*?[") and not p.exists():
        raise LoadError(f"Parquet dataset {str(path)!r} does not exist. Check the path.")
    try:
        raw = dd.read_parquet(str(path), columns=columns)
    except (OSError, ValueError, TypeError) as exc:
        raise LoadError(f"{str(path)!r} cannot be read as a Parquet dataset: {exc}") from None
    # The loader on an empty frame gives the output columns and dtypes without reading data.
    meta = load(raw._meta, mapping=m, on_error="exclude", today=today).data

    data = raw.map_partitions(_partition_data, m, today, meta, meta=meta)
    parts = raw.to_delayed()
    import dask

    checks = dask.compute(
        *[
            dask.delayed(_partition_check)(part, m, today, i, on_error == "raise")
            for i, part in enumerate(parts)
        ]
    )
    exclusions = pd.concat(
        [c["exclusions"] for c in checks if len(c["exclusions"])]
        or [pd.DataFrame({c: pd.Series([], dtype=object) for c in DASK_EXCLUSION_COLUMNS})],
        ignore_index=True,
    )
    n_input = sum(c["n_input"] for c in checks)
    n_kept = sum(c["n_kept"] for c in checks)
    hashes = np.concatenate([c["hashes"] for c in checks])
    uniq, counts = np.unique(hashes, return_counts=True)
    dups = uniq[counts > 1]
    del hashes, uniq, counts
    if len(dups):
        found = pd.concat(
            dask.compute(
                *[
                    dask.delayed(_duplicate_rows)(part, m, today, i, dups)
                    for i, part in enumerate(parts)
                ]
            ),
            ignore_index=True,
        )
        where = found.groupby("patient_id")[["partition", "row"]].apply(
            lambda g: ", ".join(f"{a}:{b}" for a, b in zip(g["partition"], g["row"], strict=True))
        )
        records = [
            {
                "partition": r.partition,
                "row": int(r.row),
                "patient_id": r.patient_id,
                "reason": "duplicate_id",
                "column": "patient_id",
                "value": r.patient_id,
                "message": f"this identifier appears in {int((found.patient_id == r.patient_id).sum())} "
                f"rows (partition:row {where[r.patient_id]}).",
            }
            for r in found.itertuples()
        ]
        exclusions = pd.concat([exclusions, pd.DataFrame(records)], ignore_index=True)
        data = data.map_partitions(
            lambda f, d=dups: f.loc[~np.isin(_id_hashes(f["patient_id"]), d)], meta=meta
        )
        n_kept -= len(found)
    exclusions = exclusions.sort_values(["partition", "row"], kind="stable", ignore_index=True)
    if on_error == "raise" and len(exclusions):
        problems = [q for c in checks for q in c["problems"]]
        problems += [
            Problem(
                reason="duplicate_id",
                message=f"(partition {r.partition}) {r.message}",
                column="patient_id",
                row=int(r.row),
                value=r.value,
                fix="Keep one row per patient (the same patient may be in two files).",
                patient_id=str(r.patient_id),
            )
            for r in exclusions[exclusions["reason"] == "duplicate_id"].itertuples()
        ]
        raise CohortValidationError(
            problems, source=f"{p.name} (row = 0-based position within the partition)"
        )
    report: dict[str, Any] = {}
    counted: dict[str, int] = {}
    for c in checks:
        for text in dict.fromkeys(c["warnings"]):
            counted[text] = counted.get(text, 0) + 1
    if counted:
        report["warnings"] = [f"{t} (in {k} partition(s))" for t, k in counted.items()]
        for text in report["warnings"]:
            warnings.warn(f"{p.name}: {text}", DataQualityWarning, stacklevel=2)
    provenance = {
        "source": str(path),
        "engine": "dask",
        "npartitions": int(raw.npartitions),
        "mapping": m.as_dict(),
        "on_error": on_error,
        "row_numbering": "0-based position within the partition",
    }
    return DaskCohort(data, exclusions, n_input, n_kept, provenance, report)


def _frame(data: Any, what: str):
    dd = _dd()
    frame = data.data if isinstance(data, DaskCohort) else data
    if not isinstance(frame, dd.DataFrame):
        raise SchemaError(
            f"{what} expects a DaskCohort or a dask DataFrame, got {type(data).__name__}; use the "
            "in-memory function for a pandas table."
        )
    return frame


# ------------------------------------------------------------------------------ row-wise tasks


def _rowwise(frame, func, what: str, keep_id: bool, **kwargs):
    def run(part: pd.DataFrame) -> pd.DataFrame:
        out = func(part, **kwargs)
        out = out.to_frame() if isinstance(out, pd.Series) else pd.DataFrame(out)
        out.attrs = {}  # per-partition attrs (group sizes) would be misleading for the whole
        for col in out.columns:
            # categories are those present in each partition, so they differ between partitions;
            # plain strings concatenate consistently
            if isinstance(out[col].dtype, pd.CategoricalDtype):
                out[col] = out[col].astype("string")
        if keep_id and "patient_id" in part.columns and "patient_id" not in out.columns:
            out.insert(0, "patient_id", part["patient_id"].array)
        return out

    # The output columns and dtypes come from running the function on the empty input (no data
    # read); a function that cannot run on no rows is given the first rows instead, which costs
    # one partition.
    try:
        meta = run(frame._meta.copy())
    except (CohortError, ValueError, KeyError, TypeError, IndexError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dask warns when the first partition has < 50 rows
            sample = frame.head(50, npartitions=1, compute=True)
        if len(sample) == 0:
            raise SchemaError(f"{what}: the dataset has no rows.") from None
        meta = run(sample).iloc[:0]
    return frame.map_partitions(run, meta=meta)


def classify_dask(data: Any, system: str, *, keep_id: bool = True, **options: Any):
    """:func:`cohort.classify` on every partition (classification is row-wise).

    Parameters
    ----------
    data : DaskCohort or dask.dataframe.DataFrame
    system : str
        A key of ``cohort.stratify.SYSTEMS``.
    keep_id : bool
        Put ``patient_id`` first in the result, to join it back (partition indexes repeat).
    **options
        Passed to :func:`cohort.classify`.

    Returns
    -------
    dask.dataframe.DataFrame
        The columns of :func:`cohort.classify`, partition by partition; categorical columns
        become strings (their categories would differ between partitions).
    """
    import cohort

    return _rowwise(
        _frame(data, "classify_dask"), cohort.classify, "classify_dask", keep_id,
        system=system, **options,
    )  # fmt: skip


def genotype_groups_dask(data: Any, *, keep_id: bool = True, **options: Any):
    """:func:`cohort.genotype_groups` on every partition (the groupings are row-wise).

    ``.attrs["group_sizes"]`` of the in-memory function is not kept; count groups with
    ``result[col].value_counts().compute()``.
    """
    from cohort.stratify.groups import genotype_groups

    return _rowwise(
        _frame(data, "genotype_groups_dask"), genotype_groups, "genotype_groups_dask", keep_id,
        **options,
    )  # fmt: skip


# --------------------------------------------------------------------------------- Kaplan-Meier


@dataclass(frozen=True)
class DaskKaplanMeierResult:
    """Kaplan-Meier estimates from aggregated counts; the fields of :class:`cohort.survival.kaplan_meier.KaplanMeierResult`.

    Attributes
    ----------
    table, curves, test, excluded, endpoint, by, conf_level, conf_type :
        As :class:`~cohort.survival.kaplan_meier.KaplanMeierResult` (same columns, same values).
    counts : pandas.DataFrame
        The aggregate the estimates were computed from: ``group``, ``time``, ``events``,
        ``censored`` (one row per group and distinct time).
    """

    table: pd.DataFrame
    curves: pd.DataFrame = field(repr=False)
    test: LogRankResult | None
    excluded: dict[str, int]
    endpoint: str
    by: tuple[str, ...]
    conf_level: float
    conf_type: str
    counts: pd.DataFrame = field(repr=False)

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(self.table["group"])

    def survival_at(self, times: float | list[float] | np.ndarray) -> pd.DataFrame:
        """As :meth:`cohort.survival.kaplan_meier.KaplanMeierResult.survival_at` (which reads only the curves
        and table, so it is reused as is)."""
        from cohort.survival.kaplan_meier import KaplanMeierResult

        return KaplanMeierResult.survival_at(self, times)  # type: ignore[arg-type]


def _km_compressed(data: Any, endpoint: str, by_cols: list[str]) -> tuple[pd.DataFrame, dict]:
    """:func:`cohort.scale.survival.compress` (patients per group, time and event, on the
    cluster), with km_dask's refusal of 'cir' and its check of times and event codes."""
    from cohort.scale.survival import compress

    frame = _frame(data, "km_dask")
    key = endpoint_key(endpoint, what="km_dask")
    if key == "cir":
        raise ModelError(
            "km_dask: 'cir' is a competing-risks endpoint; 1 - Kaplan-Meier overestimates its "
            "incidence. Use cohort.cuminc on an in-memory cohort."
        )
    tcol, ecol = endpoint_columns(key)
    lacking = [c for c in [tcol, ecol, *by_cols] if c not in frame.columns]
    if lacking:
        raise SchemaError(
            f"km_dask: the data lack column(s) {', '.join(lacking)} (needed for endpoint "
            f"{key!r}{' by ' + ', '.join(by_cols) if by_cols else ''})."
        )
    with warnings.catch_warnings():  # km_dask words its own warnings
        warnings.simplefilter("ignore", DataQualityWarning)
        counts, excluded = compress(frame, key, by_cols, "km_dask")
    t, e = counts[tcol].astype("float64"), counts[ecol].astype("int64")
    if t.min() < 0 or e.min() < 0 or e.max() > 1:
        raise CohortValidationError(
            [
                Problem(
                    reason="negative_time" if t.min() < 0 else "event_out_of_range",
                    message=(
                        f"{tcol} has negative values (minimum {t.min():g})"
                        if t.min() < 0
                        else f"{ecol} has codes outside 0/1 (range {e.min()}..{e.max()})"
                    ),
                    column=tcol if t.min() < 0 else ecol,
                    fix="Load the data with cohort.dask_engine.load_dask, which validates each row.",
                )
            ],
            source="the Dask DataFrame",
        )
    return counts, excluded


def km_counts(data: Any, endpoint: str = "os", by: str | list[str] | None = None) -> pd.DataFrame:
    """Events and censorings per group and distinct time, aggregated on the cluster.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``time``, ``events``, ``censored``, sorted; ``.attrs`` holds
        ``n_missing_endpoint`` and ``n_missing_group`` (patients left out, never silently).
    """
    from cohort.scale.survival import COUNT

    by_cols = [by] if isinstance(by, str) else list(by or [])
    counts, excluded = _km_compressed(data, endpoint, by_cols)
    tcol, ecol = endpoint_columns(endpoint)
    n = counts[COUNT]
    out = (
        counts.assign(time=counts[tcol].astype("float64"), events=n * (counts[ecol] == 1), exits=n)
        .groupby([*by_cols, "time"], observed=True, sort=True)[["events", "exits"]]
        .sum()
        .reset_index()
    )
    out["censored"] = out.pop("exits") - out["events"]
    out.attrs = {
        "n_missing_endpoint": excluded.get("missing_endpoint", 0),
        "n_missing_group": excluded.get("missing_group", 0),
    }
    return out


def km_dask(
    data: Any,
    endpoint: str = "os",
    by: str | list[str] | None = None,
    *,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> DaskKaplanMeierResult:
    """Kaplan-Meier by group and the log-rank test on a Dask DataFrame, equal to :func:`cohort.km`.

    Parameters
    ----------
    data : DaskCohort or dask.dataframe.DataFrame
    endpoint : {"os", "efs", "rfs"}
    by : str or list of str, optional
        Grouping column(s); patients with a missing group are left out, counted in
        ``.excluded["missing_group"]`` and announced by a DataQualityWarning, as in memory.
    conf_level : float
    conf_type : {"log-log", "log", "plain"}

    Returns
    -------
    DaskKaplanMeierResult
        ``table``, ``curves`` and ``test`` with the columns and values of :func:`cohort.km`.
    """
    from cohort.scale.survival import COUNT, km_prepared, prepared_counts
    from cohort.survival.kaplan_meier import _CONF_TYPES

    if conf_type not in _CONF_TYPES:
        raise ModelError(f"conf_type={conf_type!r}: use one of {', '.join(_CONF_TYPES)}.")
    conf_level = check_conf_level(conf_level, "cohort.km_dask")
    by_cols = tuple([by] if isinstance(by, str) else list(by or []))
    counts, excluded = _km_compressed(data, endpoint, list(by_cols))
    tcol, ecol = endpoint_columns(endpoint)
    if "missing_endpoint" in excluded:
        warnings.warn(
            f"km_dask: {excluded['missing_endpoint']} patient(s) without {tcol}/{ecol} left out.",
            DataQualityWarning,
            stacklevel=2,
        )
    if "missing_group" in excluded:
        warnings.warn(
            f"km_dask: {excluded['missing_group']} patient(s) with missing {', '.join(by_cols)} "
            "left out.",
            DataQualityWarning,
            stacklevel=2,
        )
    # the estimates of cohort.km on the compressed rows (labels, order, log-rank as in memory)
    prep, n = prepared_counts(counts, excluded, endpoint, list(by_cols), None, "km_dask")
    fit = km_prepared(prep, n, endpoint, conf_level, conf_type, 0.0, "km_dask")
    n = np.rint(n[COUNT].to_numpy()).astype(np.int64)
    per_time = (
        pd.DataFrame(
            {
                "group": np.asarray(prep.labels, dtype=object)[prep.group_codes],
                "time": prep.time,
                "events": n * (prep.event == 1),
                "censored": n * (prep.event == 0),
            }
        )
        .groupby(["group", "time"], sort=False)
        .sum()
        .reset_index()
    )
    return DaskKaplanMeierResult(
        table=fit.table,
        curves=fit.curves,
        test=fit.test,
        excluded=excluded,
        endpoint=endpoint_key(endpoint),
        by=by_cols,
        conf_level=conf_level,
        conf_type=conf_type,
        counts=per_time,
    )
