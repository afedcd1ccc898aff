"""The public cohort.* analyses on a Dask cohort equal the same calls in memory (to 1e-8).

One synthetic cohort, written as a 3-partition Parquet dataset and loaded with
``cohort.load(folder, engine="dask")``; every analysis runs on it and on the same data in memory.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import dask
import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.errors import ScaleError, ScaleWarning
from cohort.scale import dispatch

pytest.importorskip("dask.dataframe")

N_PARTS = 3
PART = 400
TOL = 1e-8


@pytest.fixture(scope="module", autouse=True)
def _synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    from cohort.synthetic import generate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = generate(N_PARTS * PART, seed=20261128, mrd=False).data
    rng = np.random.default_rng(15)
    # coarse times: many ties, some across partition boundaries; a few missing groups/endpoints
    d["os_days"] = np.ceil(d["os_days"].to_numpy(float, na_value=np.nan) / 30) * 30
    d.loc[rng.choice(len(d), 12, replace=False), "npm1"] = pd.NA
    d.loc[rng.choice(len(d), 6, replace=False), ["os_days", "os_event"]] = pd.NA
    return d


def _write(frame: pd.DataFrame, folder, bounds) -> None:
    folder.mkdir()
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        frame.iloc[a:b].to_parquet(folder / f"part{i:02d}.parquet")


@pytest.fixture(scope="module")
def both(frame, tmp_path_factory):
    folder = tmp_path_factory.mktemp("registry") / "three"
    _write(frame, folder, [i * PART for i in range(N_PARTS + 1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        big = cohort.load(folder, engine="dask")
        small = cohort.load(frame)
    assert big.npartitions == N_PARTS
    # load (validate) the partitions once; the analyses still run partition by partition
    return replace(big, data=big.data.persist()), small


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False, rtol=TOL, atol=TOL
    )


def _no_gathering(func, *args, **kwargs):
    """Run on the Dask cohort and fail if the rows were gathered into memory."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", ScaleWarning)
        return func(*args, **kwargs)


@pytest.mark.parametrize("by", [None, "npm1", ["npm1", "flt3_itd"]])
def test_km(both, by):
    big, small = both
    got = _no_gathering(cohort.km, big, "os", by=by)
    want = _quiet(cohort.km, small, "os", by=by)
    assert type(got) is type(want)
    _frames_equal(got.table, want.table)
    _frames_equal(got.curves, want.curves)
    assert got.excluded == want.excluded
    if by is not None:
        assert got.test.statistic == pytest.approx(want.test.statistic, rel=TOL, abs=TOL)
        _frames_equal(got.test.groups, want.test.groups)
        _frames_equal(got.pairwise(), want.pairwise())
    _frames_equal(got.survival_at([365, 730]), want.survival_at([365, 730]))


def test_km_stratified_and_g_rho(both):
    big, small = both
    got = _no_gathering(cohort.km, big, "efs", by="npm1", strata="flt3_itd", rho=1)
    want = _quiet(cohort.km, small, "efs", by="npm1", strata="flt3_itd", rho=1)
    assert got.test.method == want.test.method
    assert got.test.statistic == pytest.approx(want.test.statistic, rel=TOL)
    _frames_equal(got.table, want.table)


def test_logrank_and_pairwise(both):
    big, small = both
    got = _no_gathering(cohort.logrank, big, ["npm1", "flt3_itd"], "os")
    want = _quiet(cohort.logrank, small, ["npm1", "flt3_itd"], "os")
    assert (got.statistic, got.dof) == pytest.approx((want.statistic, want.dof), rel=TOL)
    _frames_equal(got.groups, want.groups)
    _frames_equal(
        _no_gathering(cohort.pairwise_logrank, big, ["npm1", "flt3_itd"], "os"),
        _quiet(cohort.pairwise_logrank, small, ["npm1", "flt3_itd"], "os"),
    )


def test_rmst(both):
    big, small = both
    got = _no_gathering(cohort.rmst, big, 730, "os", by="npm1")
    want = _quiet(cohort.rmst, small, 730, "os", by="npm1")
    _frames_equal(got.table, want.table)
    _frames_equal(got.difference, want.difference)
    assert got.excluded == want.excluded


def test_rowwise_classify_and_groups(both):
    big, small = both
    got = _no_gathering(cohort.classify, big, "eln2017").compute()
    want = _quiet(cohort.classify, small, "eln2017")
    assert list(got.columns) == list(want.columns)
    _frames_equal(_text(got), _text(want))
    got = _no_gathering(cohort.genotype_groups, big).compute()
    want = _quiet(cohort.genotype_groups, small)
    assert list(got["patient_id"]) == list(small.data["patient_id"])  # to join back
    _frames_equal(_text(got[list(want.columns)]), _text(want))


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as text, missing as one marker (Dask gives strings where memory has categories)."""
    return frame.astype(object).where(frame.notna(), "<missing>").astype(str)


def test_no_distributed_path_gathers_small_cohorts_with_a_warning(both, monkeypatch):
    big, small = both
    with pytest.warns(ScaleWarning, match="gathered into memory"):
        got = cohort.cox(big, "npm1 + age", "os", penalizer=0.1)
    want = _quiet(cohort.cox, small, "npm1 + age", "os", penalizer=0.1)
    _frames_equal(got.summary, want.summary)
    monkeypatch.setattr(dispatch, "MATERIALISE_MAX_ROWS", 100)
    with pytest.raises(ScaleError, match="MATERIALISE_MAX_ROWS"):
        cohort.cox(big, "npm1 + age", "os", penalizer=0.1)


def test_in_memory_input_is_untouched(both):
    _, small = both
    assert not dispatch.is_dask(small) and not dispatch.is_dask(small.data)


def _cox_equal(got, want) -> None:
    assert isinstance(got, type(want))
    cols = ["coef", "se", "hr", "z", "p_value"]
    _frames_equal(got.summary[cols], want.summary[cols])
    assert got.log_likelihood == pytest.approx(want.log_likelihood, rel=TOL, abs=TOL)
    assert got.model.loglik0 == pytest.approx(want.model.loglik0, rel=TOL)
    assert got.model.score_test == pytest.approx(want.model.score_test, rel=TOL)
    assert (got.n, got.events, got.n_deleted) == (want.n, want.events, want.n_deleted)
    assert got.terms == want.terms
    assert np.isfinite(want.concordance)
    assert got.concordance == pytest.approx(want.concordance, rel=0, abs=1e-10)


@pytest.mark.parametrize(
    ("formula", "options"),
    [
        ("npm1 + flt3_itd + age", {}),
        ("npm1 * flt3_itd + age", {"ties": "breslow"}),
        ("npm1 + C(sex) + wbc", {"strata": "flt3_itd"}),
        ("npm1 + flt3_itd + age", {"robust": True}),
        ("npm1 + age", {"robust": True, "ties": "breslow", "strata": "flt3_itd"}),
    ],
)
def test_cox(both, formula, options):
    big, small = both
    got = _no_gathering(cohort.cox, big, formula, "os", **options)
    want = _quiet(cohort.cox, small, formula, "os", **options)
    _cox_equal(got, want)
    if options.get("robust"):
        _frames_equal(got.summary, want.summary)  # robust_se, and the limits and p that use it
        np.testing.assert_allclose(got.model.robust_var, want.model.robust_var, rtol=TOL)
    with pytest.raises(cohort.ModelError, match="Dask cohort"):
        got.concordance_se  # noqa: B018 - needs per-patient pair counts
    if options.get("ties") == "breslow":
        with pytest.raises(cohort.ModelError, match="Efron"):
            got.ph_test  # noqa: B018 - as in memory
    else:
        _frames_equal(got.ph_test, want.ph_test)
        _frames_equal(got.zph("rank"), want.zph("rank"))


def test_cox_concordance_above_the_row_limit_is_nan_with_a_warning(both, monkeypatch):
    big, _ = both
    monkeypatch.setattr(dispatch, "MATERIALISE_MAX_ROWS", 10)
    with pytest.warns(ScaleWarning, match="concordance not computed"):
        got = _quiet_but_scale(cohort.cox, big, "npm1 + age", "os")
    assert np.isnan(got.concordance)
    assert any("concordance not computed" in n for n in got.notes)


def _quiet_but_scale(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cohort.DataQualityWarning)
        return func(*args, **kwargs)


@pytest.mark.parametrize(
    "options",
    [{}, {"ties": "breslow", "strata": "flt3_itd"}, {"robust": False}, {"cluster": "npm1"}],
)
def test_cox_with_case_weights_aggregates(weighted, options):
    big, small = weighted
    got = _no_gathering(cohort.cox, big, "npm1 + age", "os", weights="w", **options)
    want = _quiet(cohort.cox, small, "npm1 + age", "os", weights="w", **options)
    _cox_equal(got, want)
    assert got.robust == want.robust and got.n_deleted > 0
    _frames_equal(got.summary, want.summary)  # robust SEs by default (non-integer weights)
    if options.get("ties") != "breslow":
        _frames_equal(got.ph_test, want.ph_test)


def test_cox_level_missing_from_a_partition_and_clusters(frame, tmp_path):
    """A categorical level (here the reference level) absent from one partition changes nothing;
    clusters spread over partitions give R's clustered robust variance."""
    d = frame.copy()
    d["centre"] = pd.array(np.where(np.arange(len(d)) % 3 == 0, "A", "B"), dtype="string")
    d.loc[: PART - 1, "centre"] = "B"  # partition 0 has no "A", the reference level
    d["site"] = pd.array(np.arange(len(d)) % 17, dtype="Int64")
    _write(d, tmp_path / "c", [0, PART, 2 * PART, len(d)])
    big = _quiet(cohort.load, tmp_path / "c", engine="dask")
    small = _quiet(cohort.load, d)
    _cox_equal(
        _no_gathering(cohort.cox, big, "C(centre) + age", "efs"),
        _quiet(cohort.cox, small, "C(centre) + age", "efs"),
    )
    got = _no_gathering(cohort.cox, big, "npm1 + age", "os", cluster="site")
    want = _quiet(cohort.cox, small, "npm1 + age", "os", cluster="site")
    assert got.robust and got.cluster == "site"
    _frames_equal(got.summary, want.summary)


def test_partition_boundary_inside_a_tied_time_changes_nothing(frame, tmp_path):
    """Rows sorted by time, cut so that one tied death time spans two partitions."""
    d = frame.sort_values("os_days", kind="stable", ignore_index=True)
    died = d["os_event"].eq(1).fillna(False).to_numpy()
    times = d["os_days"].to_numpy(float, na_value=np.nan)
    tied = pd.Series(times[died]).value_counts()
    t = tied.index[tied >= 4][len(tied[tied >= 4]) // 2]  # a time with >= 4 tied deaths
    at = np.flatnonzero(died & (times == t))
    cut = int(at[len(at) // 2])  # half of the tied deaths on each side
    _write(d, tmp_path / "tie", [0, cut, cut + 300, len(d)])
    big = _quiet(cohort.load, tmp_path / "tie", engine="dask")
    parts = [p.compute() for p in big.data.partitions]
    assert t in set(parts[0]["os_days"]) and t in set(parts[1]["os_days"])
    small = _quiet(cohort.load, d)
    _cox_equal(
        _no_gathering(cohort.cox, big, "npm1 + age", "os"),
        _quiet(cohort.cox, small, "npm1 + age", "os"),
    )
    got = _no_gathering(cohort.km, big, "os", by="npm1")
    want = _quiet(cohort.km, small, "os", by="npm1")
    _frames_equal(got.curves, want.curves)


@pytest.fixture(scope="module")
def weighted(frame, tmp_path_factory):
    """The cohort with case weights ``w`` and delayed entry ``entry`` (a few of each missing)."""
    rng = np.random.default_rng(7)
    d = frame.copy()
    d["w"] = rng.choice([0.5, 1.0, 2.0, 3.25], len(d))
    d.loc[rng.choice(len(d), 5, replace=False), "w"] = np.nan
    os_days = d["os_days"].to_numpy(float, na_value=np.nan)
    late = np.floor(os_days * rng.uniform(0, 1, len(d)) / 10) * 10
    d["entry"] = np.where(rng.uniform(size=len(d)) < 0.6, -1.0, np.where(os_days > 0, late, -1.0))
    d.loc[rng.choice(len(d), 4, replace=False), "entry"] = np.nan
    folder = tmp_path_factory.mktemp("weighted") / "three"
    _write(d, folder, [i * PART for i in range(N_PARTS + 1)])
    big = _quiet(cohort.load, folder, engine="dask")
    return replace(big, data=big.data.persist()), _quiet(cohort.load, d)


@pytest.mark.parametrize(
    "case", [{"weights": "w"}, {"entry": "entry"}, {"weights": "w", "entry": "entry"}]
)
def test_km_and_logrank_with_weights_and_entry_aggregate(weighted, case):
    big, small = weighted
    got = _no_gathering(cohort.km, big, "os", by="npm1", strata="flt3_itd", **case)
    want = _quiet(cohort.km, small, "os", by="npm1", strata="flt3_itd", **case)
    _frames_equal(got.curves, want.curves)
    _frames_equal(got.table, want.table)
    assert got.excluded == want.excluded and sum(got.excluded.values()) > 0
    assert got.test.statistic == pytest.approx(want.test.statistic, rel=TOL)
    _frames_equal(got.test.groups, want.test.groups)
    got_lr = _no_gathering(cohort.logrank, big, "npm1", "os", rho=1, **case)
    want_lr = _quiet(cohort.logrank, small, "npm1", "os", rho=1, **case)
    assert got_lr.statistic == pytest.approx(want_lr.statistic, rel=TOL)
    _frames_equal(
        _no_gathering(cohort.pairwise_logrank, big, ["npm1", "flt3_itd"], "os", **case),
        _quiet(cohort.pairwise_logrank, small, ["npm1", "flt3_itd"], "os", **case),
    )


@pytest.mark.parametrize(
    ("by", "options"), [(None, {}), ("npm1", {}), ("npm1", {"strata": "flt3_itd", "rho": 1})]
)
def test_cuminc(both, by, options):
    big, small = both
    got = _no_gathering(cohort.cuminc, big, "cir", by=by, **options)
    want = _quiet(cohort.cuminc, small, "cir", by=by, **options)
    assert type(got) is type(want)
    _frames_equal(got.curves, want.curves)
    _frames_equal(got.table, want.table)
    assert got.excluded == want.excluded
    if by is None:
        assert got.test is None and want.test is None
    else:
        _frames_equal(got.test, want.test)
    _frames_equal(got.at([180, 365]), want.at([180, 365]))


def test_landmark(both):
    big, small = both
    got = _no_gathering(cohort.landmark, big, 180, "npm1", "os", adjust="age")
    want = _quiet(cohort.landmark, small, 180, "npm1", "os", adjust="age")
    assert got.excluded == want.excluded
    assert got.n_input == want.n_input and got.notes == want.notes
    _frames_equal(got.km.table, want.km.table)
    _frames_equal(got.km.curves, want.km.curves)
    _cox_equal(got.cox, want.cox)


def test_landmark_competing_risks(both):
    big, small = both
    got = _no_gathering(cohort.landmark, big, 60, "npm1", "cir", adjust="age")
    want = _quiet(cohort.landmark, small, 60, "npm1", "cir", adjust="age")
    assert got.excluded == want.excluded
    _frames_equal(got.cuminc.curves, want.cuminc.curves)
    _frames_equal(got.cuminc.test, want.cuminc.test)
    _frames_equal(got.finegray.summary, want.finegray.summary)


@pytest.mark.parametrize(
    ("formula", "options"),
    [
        ("npm1 + age", {}),
        ("npm1 * flt3_itd + C(sex)", {"event": 2}),
        ("npm1 + wbc", {"gtol": 1e-12}),
    ],
)
def test_finegray(both, formula, options):
    big, small = both
    got = _no_gathering(cohort.finegray, big, formula, "cir", **options)
    want = _quiet(cohort.finegray, small, formula, "cir", **options)
    assert type(got) is type(want)
    _frames_equal(got.summary, want.summary)
    _frames_equal(got.covariance, want.covariance)
    _frames_equal(got.baseline, want.baseline)
    assert got.loglik == pytest.approx(want.loglik, rel=TOL)
    assert got.loglik_null == pytest.approx(want.loglik_null, rel=TOL)
    fields = ("n", "events", "competing", "censored", "n_deleted", "converged", "terms")
    assert [getattr(got, f) for f in fields] == [getattr(want, f) for f in fields]


def test_report_gathers_small_cohorts(both):
    big, small = both
    from cohort.report import run_analysis

    with pytest.warns(ScaleWarning):
        report = run_analysis("overview", big)
    want = _quiet(run_analysis, "overview", small)
    assert report.numbers == want.numbers and len(report.sections) == len(want.sections)
