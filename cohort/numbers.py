"""One number format for figures, tables and text: 3 significant digits, p as <0.001 / 0.043.

Full precision stays in CSV and JSON; these functions only decide how a number is *shown*.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import pandas as pd


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    try:
        return math.isnan(float(v))
    except (TypeError, ValueError):
        return False


def fmt_num(v: Any, digits: int = 3, *, missing: str = "") -> str:
    """``v`` with ``digits`` significant digits (0.578, 1.04, 12.3); integers and values of 100
    or more as whole numbers with thousands separators (2,169); text unchanged."""
    if _missing(v):
        return missing
    if isinstance(v, bool) or not isinstance(v, int | float) and not hasattr(v, "__float__"):
        return str(v)
    x = float(v)
    if x == 0:
        return "0"
    if isinstance(v, numbers.Integral) or (abs(x) >= 10 ** (digits - 1) and abs(x) < 1e15):
        return f"{round(x):,}"
    if x != 0 and abs(x) < 10 ** -(digits + 1):
        return f"{x:.{digits - 1}e}"
    text = f"{x:#.{digits}g}"
    return text[:-1] if text.endswith(".") else text


def fmt_p(p: Any, *, missing: str = "NA") -> str:
    """A p-value as journals print it: "<0.001", otherwise three decimals ("0.043", "0.398")."""
    if _missing(p):
        return missing
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def fmt_ci(estimate: Any, lower: Any, upper: Any, digits: int = 3) -> str:
    """ "0.578 (0.498-0.671)": an estimate with its confidence interval."""
    return f"{fmt_num(estimate, digits, missing='NA')} ({fmt_num(lower, digits, missing='NA')}-{fmt_num(upper, digits, missing='NA')})"
