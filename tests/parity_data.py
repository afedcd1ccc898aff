"""Inputs and R values of ``tests/reference/reference_parity_km_cox.R`` (issue 12, KM/log-rank/Cox).

Imported by ``test_parity_km.py`` and ``test_parity_cox.py`` (pytest puts ``tests/`` on the path).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

VALUES = Path(__file__).parent / "reference" / "values"


def reference(name: str) -> pd.DataFrame:
    """One stored R result, ``values/parity_<name>.csv``."""
    return pd.read_csv(VALUES / f"parity_{name}.csv")


def parity_input() -> pd.DataFrame:
    """The simulated input (R's ``d``) in canonical names: ``os_days`` / ``os_event``.

    ``sex`` is a pandas string column with ``pd.NA`` for its missing values, as after
    :func:`cohort.load`.
    """
    d = reference("input").rename(columns={"time": "os_days", "status": "os_event"})
    d["sex"] = d["sex"].astype("string")
    return d
