"""Count tables whose order never depends on input row order.

``Series.value_counts`` breaks ties between equal counts by first appearance, so shuffling the rows
of a cohort reorders a table. :func:`counts_by_frequency` sorts by count (most frequent first), then
by a declared order (a category's natural order), then by name.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["counts_by_frequency"]


def counts_by_frequency(values: pd.Series, order: Iterable | None = None) -> pd.Series:
    """Counts of the non-missing values, most frequent first, equal counts in a stable order.

    Parameters
    ----------
    values : pandas.Series
        The values to count (missing values are not counted; fill them first to count them).
    order : iterable, optional
        Declared order used to break ties (e.g. a classification's categories); values not in it
        follow, by name. Defaults to the categories of a categorical ``values``.

    Returns
    -------
    pandas.Series
        As ``values.value_counts()`` (named ``count``, index named after ``values``), with only the
        values present.
    """
    if order is None and isinstance(values.dtype, pd.CategoricalDtype):
        order = values.cat.categories
    rank = {v: i for i, v in enumerate(order if order is not None else ())}
    counts = values.value_counts(sort=False)
    counts = counts[counts > 0]
    keys = sorted(counts.index, key=lambda v: (-int(counts[v]), rank.get(v, len(rank)), str(v)))
    return counts.reindex(keys)
