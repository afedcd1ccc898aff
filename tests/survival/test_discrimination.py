"""compare_systems: Harrell's C against R's survival::concordance, and the comparison's bookkeeping."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.errors import SchemaError
from cohort.survival.discrimination import compare_systems

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def amlsg() -> pd.DataFrame:
    d = pd.read_csv(ROOT / "cohort" / "datasets" / "amlsg" / "AMLSG_Clinical_Anon.tsv", sep="\t")
    eln2010 = d["M_Risk"].map(
        {"Favorable": "fav", "Inter-1": "int1", "Inter-2": "int2", "Adverse": "adv"}
    )
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "os_days": d["OS"].astype(float),
            "os_event": d["Status"].astype(int),
            "eln2010": eln2010,
            # a classification that ignores the outcome: its C should be near 0.5
            "noise": pd.Series(rng.choice(["a", "b", "c"], size=len(d))).where(eln2010.notna()),
            "npm1": d["NPM1"].map({1: "mut", 0: "wt"}),
        }
    )


def test_harrell_c_equals_r_concordance(amlsg):
    """R: concordance(Surv(OS, Status) ~ risk, reverse = TRUE) with risk = ELN 2010 group (1..4)."""
    ref = pd.read_csv(
        ROOT / "tests" / "reference" / "values" / "discrimination_harrell_eln2010.csv"
    )
    ordered = amlsg.assign(
        eln2010=pd.Categorical(
            amlsg["eln2010"], categories=["fav", "int1", "int2", "adv"], ordered=True
        )
    )
    res = compare_systems(ordered, ["eln2010", "noise"], n_boot=0)
    row = res.metrics.set_index("system").loc["eln2010"]
    assert row["n"] == ref["n"].iloc[0]
    assert row["score"] == "ordinal"
    assert row["harrell_c"] == pytest.approx(ref["harrell_c"].iloc[0], abs=1e-9)
    # The Cox linear predictor orders Inter-2 below Inter-1 (AMLSG data): a data-driven order can only
    # raise the apparent C.
    cox = compare_systems(ordered, ["eln2010", "noise"], n_boot=0, score="cox").metrics.set_index(
        "system"
    )
    assert cox.loc["eln2010", "harrell_c"] > row["harrell_c"]


def test_comparison_is_paired_and_reproducible(amlsg):
    res1 = compare_systems(amlsg, ["eln2010", "noise", "npm1"], n_boot=200, seed=7, n_jobs=2)
    res2 = compare_systems(amlsg, ["eln2010", "noise", "npm1"], n_boot=200, seed=7, n_jobs=1)
    pd.testing.assert_frame_equal(res1.differences, res2.differences)
    m = res1.metrics.set_index("system")
    assert (m["n"] == m["n"].iloc[0]).all()  # every system on the same patients
    assert m.loc["noise", "harrell_c"] < m.loc["eln2010", "harrell_c"]
    assert abs(m.loc["noise", "harrell_c"] - 0.5) < 0.05
    d = res1.differences.set_index("system")
    assert d.loc["noise", "upper"] < 0  # noise is clearly worse than ELN 2010
    assert d.loc["noise", "lower"] <= d.loc["noise", "delta_harrell_c"] <= d.loc["noise", "upper"]
    assert set(res1.metrics.columns) >= {
        "uno_c",
        "auc_365",
        "auc_730",
        "auc_1826",
        "integrated_brier",
        "aic",
    }
    assert res1.excluded.sum() == len(amlsg) - m["n"].iloc[0]
    assert (res1.metrics["integrated_brier"].between(0, 0.25)).all()


def test_bad_arguments(amlsg):
    with pytest.raises(SchemaError, match="at least two"):
        compare_systems(amlsg, ["eln2010"])
    pytest.importorskip("cohort.stratify")
    with pytest.raises(SchemaError, match="neither a column"):
        compare_systems(amlsg, ["eln2010", "nonexistent_system"], n_boot=0)
