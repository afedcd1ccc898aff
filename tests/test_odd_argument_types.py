"""Odd argument types (None, text, lists, arrays of the wrong shape) given to the public survival
functions raised raw TypeError/ValueError from deep inside numpy or pandas; each now raises a
CohortError naming the function, the argument and the value given."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.errors import CohortError, ModelError, SchemaError

DATA = Path(__file__).parent / "reference" / "data" / "amlsg_survival.csv"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    d = pd.read_csv(DATA).head(200)
    for column in ("npm1", "flt3_itd"):
        d[column] = d[column].astype("boolean")
    d.insert(0, "patient_id", [f"P{i:03d}" for i in range(len(d))])
    rng = np.random.default_rng(18)
    d["cir_days"] = d["os_days"]
    d["cir_status"] = rng.integers(0, 3, len(d))
    d["grade"] = rng.choice(["low", "high"], len(d))
    levels = ["favorable", "intermediate", "adverse"]
    d["system_a"] = pd.Categorical(rng.choice(levels, len(d)), levels, ordered=True)
    d["system_b"] = pd.Categorical(rng.choice(levels, len(d)), levels, ordered=True)
    return d


ODD = {"none": None, "text": "abc", "list": [1], "dict": {}, "nan": float("nan"), "bool": True}

CALLS = {
    "km.endpoint": lambda d, v: cohort.km(d, endpoint=v),
    "km.conf_level": lambda d, v: cohort.km(d, conf_level=v),
    "logrank.endpoint": lambda d, v: cohort.logrank(d, "npm1", endpoint=v),
    "logrank.by": lambda d, v: cohort.logrank(d, v),
    "cox.endpoint": lambda d, v: cohort.cox(d, "age", v),
    "cox.formula": lambda d, v: cohort.cox(d, v),
    "cox.strata": lambda d, v: cohort.cox(d, "age", strata=v),
    "cox.conf_level": lambda d, v: cohort.cox(d, "age", conf_level=v),
    "cuminc.endpoint": lambda d, v: cohort.cuminc(d, endpoint=v),
    "cuminc.conf_level": lambda d, v: cohort.cuminc(d, conf_level=v),
    "finegray.formula": lambda d, v: cohort.finegray(d, v),
    "finegray.conf_level": lambda d, v: cohort.finegray(d, "age", conf_level=v),
    "landmark.at_days": lambda d, v: cohort.landmark(d, v, "npm1"),
    "landmark.by": lambda d, v: cohort.landmark(d, 90, v),
    "landmark.endpoint": lambda d, v: cohort.landmark(d, 90, "npm1", endpoint=v),
    "rmst.tau": lambda d, v: cohort.rmst(d, tau=v),
    "rmst.endpoint": lambda d, v: cohort.rmst(d, tau=365, endpoint=v),
    "concordance.risk": lambda d, v: cohort.concordance(d, v),
    "compare_systems.systems": lambda d, v: cohort.compare_systems(d, v, n_boot=0),
    "compare_systems.times": lambda d, v: cohort.compare_systems(
        d, ["system_a", "system_b"], times=v, n_boot=0
    ),
    "compare_systems.n_boot": lambda d, v: cohort.compare_systems(
        d, ["system_a", "system_b"], n_boot=v
    ),
    "compare_systems.conf_level": lambda d, v: cohort.compare_systems(
        d, ["system_a", "system_b"], conf_level=v, n_boot=2
    ),
}

# values that are valid for the argument: no strata (None, an empty dict), times=[1] (day 1)
ACCEPTED = {("cox.strata", "none"), ("cox.strata", "dict"), ("compare_systems.times", "list")}


@pytest.mark.parametrize("odd", list(ODD))
@pytest.mark.parametrize("call", list(CALLS))
def test_odd_argument_gives_a_cohort_error(frame, call, odd):
    if (call, odd) in ACCEPTED:
        pytest.skip("a valid value for this argument")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CohortError) as info:
            CALLS[call](frame, ODD[odd])
    assert len(str(info.value)) > 20


@pytest.mark.parametrize(
    "call, value, error, words",
    [
        ("rmst.tau", "abc", ModelError, "cohort.rmst: tau must be a positive number of days"),
        ("km.conf_level", "0.95", ModelError, "cohort.km: conf_level must be between 0 and 1"),
        ("cox.strata", 5, SchemaError, "cohort.cox: strata must be a column name"),
        ("concordance.risk", "grade", SchemaError, "risk 'grade' must be numeric"),
        ("concordance.risk", np.zeros((200, 2)), SchemaError, "one value per row (200 rows)"),
        ("concordance.risk", 5, SchemaError, "got a single value"),
        ("concordance.risk", [1.0, 2.0], SchemaError, "got shape (2,)"),
        ("compare_systems.systems", "system_a", SchemaError, "at least two classifications"),
        ("compare_systems.times", ["a"], ModelError, "times must be a positive number of days"),
        ("compare_systems.n_boot", 2.5, ModelError, "n_boot must be a whole number >= 0"),
        ("logrank.by", "absent_column", SchemaError, "'absent_column'"),
        ("landmark.by", "absent_column", SchemaError, "'absent_column'"),
    ],
)
def test_message_names_the_argument_and_value(frame, call, value, error, words):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            CALLS[call](frame, value)
    assert words in str(info.value)


def test_valid_arguments_of_other_types_still_work(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_array = cohort.concordance(frame, frame["age"].to_numpy())
        by_column = cohort.concordance(frame, "age")
        assert by_array.concordance == pytest.approx(by_column.concordance)
        boolean = cohort.concordance(frame, "npm1")
        assert 0 <= boolean.concordance <= 1
        assert cohort.rmst(frame, tau=np.int64(365)).table["rmst"].notna().all()
        assert cohort.cox(frame, "age", strata=["npm1"]).summary.index.tolist() == ["age"]
        comparison = cohort.compare_systems(
            frame, pd.Index(["system_a", "system_b"]), times=np.array([365.25]), n_boot=0
        )
        assert comparison.metrics["system"].tolist() == ["system_a", "system_b"]
