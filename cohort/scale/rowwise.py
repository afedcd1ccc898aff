"""Row-wise analyses on a Dask cohort: the in-memory function on every partition.

``cohort.classify`` and ``cohort.genotype_groups`` look at one patient at a time, so on a Dask
cohort they return a lazy dask DataFrame with the in-memory columns (``patient_id`` first;
categorical columns as strings, because each partition would have its own categories). Compute
it (``.compute()``) for the pandas table of :func:`cohort.classify`, or aggregate it on the
cluster (``result["category"].value_counts().compute()``).
"""

from __future__ import annotations

from typing import Any

from cohort.dask_engine import classify_dask, genotype_groups_dask

__all__ = ["classify", "genotype_groups"]


def classify(data: Any, system: str, **options: Any) -> Any:
    """:func:`cohort.classify` partition by partition (a lazy dask DataFrame)."""
    return classify_dask(data, system, keep_id=True, **options)


def genotype_groups(data: Any, **options: Any) -> Any:
    """:func:`cohort.genotype_groups` partition by partition (a lazy dask DataFrame)."""
    return genotype_groups_dask(data, keep_id=True, **options)
