"""Checks of odd argument types at the top of public functions.

A ``None``, a text or a list where a number or a column name is expected used to fail deep inside
numpy or pandas (``TypeError: '<' not supported``); these helpers raise the toolkit's own errors
instead, naming the function, the argument, the value given and what to give.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from cohort.errors import ModelError, SchemaError

__all__ = [
    "aligned_values",
    "check_conf_level",
    "column_names",
    "numeric_values",
    "positive_number",
    "positive_numbers",
    "whole_number",
]


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool | np.bool_)


def _listed(values: Any) -> list | None:
    """A list of the items of a list, tuple, array, Series or Index; ``None`` for anything else."""
    if isinstance(values, str | bytes) or not isinstance(
        values, Sequence | np.ndarray | pd.Series | pd.Index
    ):
        return None
    if isinstance(values, Sequence):
        return list(values)
    return list(values) if np.ndim(values) == 1 else None


def check_conf_level(value: Any, what: str) -> float:
    """``value`` as a float strictly between 0 and 1, else :class:`ModelError`."""
    if not _is_number(value) or not 0 < float(value) < 1:
        raise ModelError(
            f"{what}: conf_level must be between 0 and 1 (a number such as 0.95), got {value!r}."
        )
    return float(value)


def positive_number(value: Any, name: str, what: str, unit: str = "days") -> float:
    """``value`` as a finite positive float, else :class:`ModelError`."""
    if not _is_number(value) or not math.isfinite(float(value)) or float(value) <= 0:
        raise ModelError(f"{what}: {name} must be a positive number of {unit}, got {value!r}.")
    return float(value)


def positive_numbers(values: Any, name: str, what: str, unit: str = "days") -> tuple[float, ...]:
    """A non-empty list of finite positive numbers as a tuple of floats, else ModelError."""
    items = [values] if _is_number(values) else _listed(values)
    if not items:
        raise ModelError(
            f"{what}: {name} must be a list of positive numbers of {unit}, got {values!r}."
        )
    return tuple(positive_number(v, name, what, unit) for v in items)


def whole_number(value: Any, name: str, what: str, *, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum`` (a bool or 2.5 is refused), else ModelError."""
    if not isinstance(value, Integral) or isinstance(value, bool | np.bool_) or value < minimum:
        raise ModelError(f"{what}: {name} must be a whole number >= {minimum}, got {value!r}.")
    return int(value)


def column_names(value: Any, name: str, what: str) -> tuple[str, ...]:
    """A column name or a list of them as a tuple (``None`` gives ``()``), else SchemaError."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    items = _listed(value)
    if items is not None and all(isinstance(v, str) for v in items):
        return tuple(items)
    raise SchemaError(
        f"{what}: {name} must be a column name or a list of column names, got {value!r}."
    )


def aligned_values(values: Any, frame: pd.DataFrame, name: str, what: str) -> pd.Series:
    """Values given for each row of ``frame`` (by position) as a Series on its index."""
    try:
        array = np.asarray(values)
    except ValueError:  # a ragged list
        array = np.asarray(values, dtype=object)
    if array.ndim != 1 or len(array) != len(frame):
        shape = "a single value" if array.ndim == 0 else f"shape {array.shape}"
        raise SchemaError(
            f"{what}: {name} must be a column name or one value per row ({len(frame)} rows), "
            f"got {shape}."
        )
    return pd.Series(array, index=frame.index)


def numeric_values(values: pd.Series, name: str, what: str) -> pd.Series:
    """``values`` as numbers (booleans as 0/1, missing kept missing); text is a SchemaError."""
    if values.dtype == bool or isinstance(values.dtype, pd.BooleanDtype):
        values = values.astype("Float64")
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        first = values[bad].iloc[0]
        raise SchemaError(
            f"{what}: {name} must be numeric (a higher value means a worse prognosis), but "
            f"{int(bad.sum())} value(s) are not, e.g. {first!r}. Give a numeric risk score, or "
            "compare categories with cohort.compare_systems."
        )
    return numbers
