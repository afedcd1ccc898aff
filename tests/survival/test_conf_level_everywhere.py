"""A conf_level given as text (or any non-number) is a ModelError naming the function in the
time-varying Cox model and on the Dask paths too, not a raw TypeError from comparing text with 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.errors import ModelError

DATA = Path(__file__).parents[1] / "reference" / "data" / "amlsg_survival.csv"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    d = pd.read_csv(DATA).head(200)
    for column in ("npm1", "flt3_itd"):
        d[column] = d[column].astype("boolean")
    d.insert(0, "patient_id", [f"P{i:03d}" for i in range(len(d))])
    rng = np.random.default_rng(7)
    d["hsct"] = rng.random(len(d)) < 0.3
    d["hsct_days"] = np.where(d["hsct"], d["os_days"] / 2, np.nan)
    d["cir_days"] = d["os_days"]
    d["cir_status"] = rng.integers(0, 3, len(d))
    return d


@pytest.mark.parametrize("value", ["95%", "0.95", None, True])
def test_time_varying_cox(frame, value):
    with pytest.raises(ModelError, match="cohort.cox_time_varying: conf_level"):
        cohort.cox_time_varying(frame, ("age",), conf_level=value)


@pytest.fixture(scope="module")
def dask_frame(frame):
    dd = pytest.importorskip("dask.dataframe")
    return dd.from_pandas(frame, npartitions=2)


@pytest.mark.parametrize(
    "call, what",
    [
        (lambda d: cohort.km(d, "os", by="npm1", conf_level="95%"), "cohort.km"),
        (lambda d: cohort.cox(d, "npm1 + age", conf_level="95%"), "cohort.cox"),
        (lambda d: cohort.cuminc(d, "cir", by="npm1", conf_level="95%"), "cohort.cuminc"),
        (lambda d: cohort.finegray(d, "npm1 + age", conf_level="95%"), "cohort.finegray"),
    ],
)
def test_dask_paths(dask_frame, call, what):
    import dask

    with dask.config.set(scheduler="synchronous"), pytest.raises(ModelError, match=f"{what}: conf"):
        call(dask_frame)


def test_km_dask(dask_frame):
    from cohort.dask_engine import km_dask

    with pytest.raises(ModelError, match="cohort.km_dask: conf_level"):
        km_dask(dask_frame, "os", conf_level="95%")
