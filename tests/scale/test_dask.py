"""cohort.dask_engine: the same results on a Dask DataFrame as in memory (to 1e-10)."""

from __future__ import annotations

import warnings

import dask
import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.dask_engine import (
    DaskCohort,
    classify_dask,
    genotype_groups_dask,
    km_counts,
    km_dask,
    load_dask,
)
from cohort.errors import CohortValidationError, LoadError, ModelError, SchemaError

dd = pytest.importorskip("dask.dataframe")

N_PARTS = 4
PART = 600


@pytest.fixture(scope="module", autouse=True)
def _synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    from cohort.synthetic import generate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = generate(N_PARTS * PART, seed=20261124, mrd=False).data
    # continuous times with ties, missing groups and a missing endpoint, as registries have
    rng = np.random.default_rng(7)
    d["efs_days"] = np.round(d["efs_days"].to_numpy(float, na_value=np.nan) / 3.7, 1)
    d.loc[rng.choice(len(d), 25, replace=False), "npm1"] = pd.NA
    d.loc[rng.choice(len(d), 10, replace=False), ["os_days", "os_event"]] = pd.NA
    return d


def _write(frame: pd.DataFrame, folder) -> None:
    folder.mkdir()
    for i in range(N_PARTS):
        frame.iloc[i * PART : (i + 1) * PART].to_parquet(folder / f"part{i:02d}.parquet")


@pytest.fixture(scope="module")
def dataset(frame, tmp_path_factory):
    folder = tmp_path_factory.mktemp("registry") / "ok"
    _write(frame, folder)
    return folder


@pytest.fixture(scope="module")
def loaded(dataset) -> DaskCohort:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_dask(dataset)


@pytest.fixture(scope="module")
def in_memory(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cohort.load(frame)


def test_load_dask_equals_in_memory_load(loaded, in_memory):
    assert loaded.npartitions == N_PARTS
    assert loaded.n_input == loaded.n_kept == N_PARTS * PART
    assert len(loaded.exclusions) == 0
    got = loaded.data.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, in_memory.data)


@pytest.mark.parametrize(
    ("endpoint", "by", "conf_type"),
    [
        ("os", None, "log-log"),
        ("os", "npm1", "log-log"),
        ("os", ["npm1", "flt3_itd"], "log"),
        ("efs", "dnmt3a", "plain"),
        ("efs", ["sex"], "log-log"),
    ],
)
def test_km_dask_equals_km(loaded, in_memory, endpoint, by, conf_type):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = km_dask(loaded, endpoint, by, conf_type=conf_type, conf_level=0.9)
        want = cohort.km(in_memory, endpoint, by, conf_type=conf_type, conf_level=0.9)
    pd.testing.assert_frame_equal(got.table, want.table, rtol=1e-10, atol=1e-10)
    pd.testing.assert_frame_equal(got.curves, want.curves, rtol=1e-10, atol=1e-10)
    assert got.excluded == want.excluded
    assert got.groups == want.groups
    if want.test is None:
        assert got.test is None
    else:
        assert got.test.statistic == pytest.approx(want.test.statistic, rel=1e-10, abs=1e-10)
        assert got.test.p_value == pytest.approx(want.test.p_value, rel=1e-10, abs=1e-300)
        assert got.test.dof == want.test.dof
        pd.testing.assert_frame_equal(got.test.groups, want.test.groups, rtol=1e-10)
    times = [0, 100, 365.25, 730, 5000]
    pd.testing.assert_frame_equal(got.survival_at(times), want.survival_at(times), rtol=1e-10)


def test_km_dask_reports_missing_groups_as_km_does(loaded):
    with pytest.warns(cohort.DataQualityWarning) as caught:
        fit = km_dask(loaded, "os", "npm1")
    messages = " ".join(str(w.message) for w in caught)
    assert "missing npm1" in messages and "10 patient(s) without os_days/os_event" in messages
    assert fit.excluded == {"missing_endpoint": 10, "missing_group": fit.excluded["missing_group"]}
    assert 0 < fit.excluded["missing_group"] <= 25
    assert fit.table["n"].sum() + sum(fit.excluded.values()) == N_PARTS * PART


def test_km_counts_are_per_group_and_time(loaded, in_memory):
    counts = km_counts(loaded, "os", "npm1")
    d = in_memory.data.dropna(subset=["os_days", "os_event", "npm1"])
    want = d.groupby(["npm1", "os_days"])["os_event"].agg(["sum", "count"]).reset_index()
    assert counts["events"].sum() == want["sum"].sum()
    assert (counts["events"] + counts["censored"]).sum() == len(d)
    assert len(counts) == len(want)


def test_km_dask_on_a_plain_dask_frame_with_continuous_times():
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame(
        {
            "os_days": rng.exponential(400, n).round(2),
            "os_event": rng.integers(0, 2, n),
            "arm": rng.choice(["a", "b", "c"], n),
        }
    )
    frame.loc[:4, "os_days"] = 0.0  # deaths on day 0, as in real registries
    got = km_dask(dd.from_pandas(frame, npartitions=3), "os", "arm")
    want = cohort.km(frame, "os", "arm")
    pd.testing.assert_frame_equal(got.curves, want.curves, rtol=1e-10, atol=1e-10)
    assert got.test.statistic == pytest.approx(want.test.statistic, rel=1e-10)


def test_genotype_groups_dask_equals_in_memory(loaded, in_memory):
    from cohort.stratify.groups import genotype_groups

    got = genotype_groups_dask(loaded).compute().reset_index(drop=True)
    want = genotype_groups(in_memory.data).reset_index(drop=True)
    assert got["patient_id"].tolist() == in_memory.data["patient_id"].tolist()
    pd.testing.assert_frame_equal(got.drop(columns="patient_id"), want, check_dtype=False)


def test_classify_dask_equals_classify(loaded, in_memory):
    stratify = pytest.importorskip("cohort.stratify")
    if not hasattr(stratify, "classify"):
        pytest.skip("cohort.stratify.classify is not written yet")
    for system in list(stratify.SYSTEMS)[:3]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = classify_dask(loaded, system).compute().reset_index(drop=True)
            want = cohort.classify(in_memory, system).reset_index(drop=True)
        want = pd.DataFrame(want)
        for col in want.columns:
            if isinstance(want[col].dtype, pd.CategoricalDtype):
                want[col] = want[col].astype("string")
        pd.testing.assert_frame_equal(got[list(want.columns)], want, check_dtype=False)


# ------------------------------------------------------------------------- bad rows, across parts


@pytest.fixture(scope="module")
def bad_dataset(frame, tmp_path_factory):
    bad = frame.copy()
    bad["os_days"] = bad["os_days"].astype(object)
    bad.loc[PART + 3, "os_days"] = -5.0  # partition 1, position 3
    bad.loc[3 * PART + 1, "patient_id"] = bad.loc[2, "patient_id"]  # duplicate across 0 and 3
    bad["os_days"] = bad["os_days"].astype("Float64")
    folder = tmp_path_factory.mktemp("registry") / "bad"
    _write(bad, folder)
    return folder, bad


def test_load_dask_raises_every_problem_across_partitions(bad_dataset):
    folder, bad = bad_dataset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CohortValidationError) as info:
            load_dask(folder)
    found = {(p.reason, p.column, p.row, p.value) for p in info.value.problems}
    pid = bad.loc[2, "patient_id"]
    assert ("negative_time", "os_days", 3, -5.0) in found
    assert {("duplicate_id", "patient_id", 2, pid), ("duplicate_id", "patient_id", 1, pid)} <= found
    assert {p.reason for p in info.value.problems} <= {
        "negative_time",
        "duplicate_id",
        "efs_after_os",
        "rfs_after_os",
    }  # -5 days also makes EFS and RFS end after OS, as the in-memory loader reports
    text = str(info.value)
    assert "(partition 1)" in text and "partition:row 0:2, 3:1" in text


def test_load_dask_excludes_and_accounts_for_every_row(bad_dataset):
    folder, bad = bad_dataset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dc = load_dask(folder, on_error="exclude")
        mem = cohort.load(bad, on_error="exclude")
    ex = dc.exclusions
    patient = ex[ex["scope"].isna() | (ex["scope"] == "patient")]
    assert patient[["partition", "row"]].values.tolist() == [[0, 2], [3, 1]]
    # the negative OS time costs that patient's OS (and the endpoints compared with it) only
    assert set(ex.loc[ex["scope"] == "os", "row"]) == {3}
    assert dc.n_input == N_PARTS * PART
    assert dc.n_kept == dc.n_input - 2 == len(dc.data.compute())
    got = dc.data.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, mem.data)
    assert set(ex["reason"]) == set(mem.exclusions["reason"])


def test_load_dask_bad_path_and_bad_input():
    with pytest.raises(LoadError, match="does not exist"):
        load_dask("/nonexistent/registry")
    with pytest.raises(SchemaError, match="dask DataFrame"):
        km_dask(pd.DataFrame({"os_days": [1.0], "os_event": [1]}))


def test_km_dask_refuses_cir_unknown_columns_and_bad_codes(loaded):
    with pytest.raises(ModelError, match="cuminc"):
        km_dask(loaded, "cir")
    with pytest.raises(SchemaError, match="not_a_column"):
        km_dask(loaded, "os", "not_a_column")
    raw = dd.from_pandas(pd.DataFrame({"os_days": [1.0, 2.0], "os_event": [1, 2]}), npartitions=1)
    with pytest.raises(CohortValidationError, match="os_event"):
        km_dask(raw, "os")


@pytest.mark.slow
def test_distributed_local_cluster(loaded, in_memory):
    distributed = pytest.importorskip("distributed")
    with dask.config.set(scheduler=None):
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster),
        ):
            got = km_dask(loaded, "os", "flt3_itd")
    want = cohort.km(in_memory, "os", "flt3_itd")
    pd.testing.assert_frame_equal(got.curves, want.curves, rtol=1e-10, atol=1e-10)


def test_load_dask_applies_a_mapping_in_every_partition(tmp_path):
    raw = pd.DataFrame(
        {
            "ID": [f"X{i}" for i in range(30)],
            "OS_months": np.arange(30) * 1.5,
            "Status": ["dead", "alive", "Dead"] * 10,
            "NPM1": ["mut", "wt", "n.d."] * 10,
        }
    )
    folder = tmp_path / "mapped"
    folder.mkdir()
    for i in range(3):
        raw.iloc[i * 10 : (i + 1) * 10].to_parquet(folder / f"p{i}.parquet")
    mapping = {
        "columns": {
            "ID": "patient_id",
            "OS_months": "os_days",
            "Status": "os_event",
            "NPM1": "npm1",
        },
        "units": {"time": "months"},
    }
    with pytest.warns(cohort.DataQualityWarning, match=r"OS time 0 days\. \(in 1 partition"):
        got = load_dask(folder, mapping).data.compute().reset_index(drop=True)
    with pytest.warns(cohort.DataQualityWarning, match="OS time 0 days"):
        want = cohort.load(raw, mapping).data
    pd.testing.assert_frame_equal(got, want)
    assert got["os_days"].iloc[2] == pytest.approx(3 * 30.4375)
    assert got["npm1"].isna().sum() == 10


def test_cohort_load_engine_dask_is_load_dask(dataset, loaded):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        via_load = cohort.load(dataset, engine="dask")
    assert isinstance(via_load, DaskCohort)
    assert via_load.n_kept == loaded.n_kept
    with pytest.raises(cohort.LoadError, match="engine must be"):
        cohort.load(dataset, engine="spark")
