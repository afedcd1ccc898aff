"""Cross-module properties over generated cohorts (hypothesis).

Default runs are small (suite time matters); the ``@pytest.mark.slow`` twins run many more
examples: ``pytest -m slow tests/test_properties.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import cohort
from cohort.errors import CohortValidationError, ModelError
from cohort.schema import BOOLEAN_COLUMNS, COLUMNS

FAST = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    # shrinking a cohort-sized example can take minutes; the slow twins shrink
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SLOW = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(2, 80)
missingness = st.floats(0.0, 0.7)

# columns whose unknown values the classifiers must cope with
BLANKABLE = [c for c in BOOLEAN_COLUMNS if c not in ("intensive",)] + [
    "karyotype", "age", "bm_blasts_pct", "flt3_itd_ar", "npm1_vaf", "tp53_vaf", "aml_type",
]  # fmt: skip


def _cohort(seed: int, n: int, p_missing: float) -> pd.DataFrame:
    """A synthetic cohort with a random share of its genetic and clinical cells unknown."""
    from cohort.synthetic import generate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = generate(n, seed=seed % (2**31), mrd=False).data
    rng = np.random.default_rng(seed)
    for col in BLANKABLE:
        if col in data.columns:
            data.loc[rng.random(n) < p_missing, col] = pd.NA
    return data


# ------------------------------------------------------------------------------- loader: no loss

GARBAGE = ["", "NA", "?", "mut", "wt", "2", "-1", "abc", "1e400", " 12 ", "yes", "Dead", "0.5",
           "#N/A", "n.d.", "1,5", "=1+1", "TRUE", "-", "+"]  # fmt: skip
CORRUPTIBLE = ["age", "sex", "npm1", "flt3_itd", "flt3_itd_ar", "dnmt3a", "os_days", "os_event",
               "efs_days", "efs_event", "npm1_vaf", "cr", "aml_type", "karyotype"]  # fmt: skip


def _check_loader_keeps_every_row(tmp_path, seed, n, p_bad):
    rng = np.random.default_rng(seed)
    data = _cohort(seed, n, 0.1)
    raw = data.astype(object).where(data.notna(), "")
    bad_cells = 0
    for col in CORRUPTIBLE:
        hit = rng.random(n) < p_bad
        raw.loc[hit, col] = rng.choice(GARBAGE, int(hit.sum()))
        bad_cells += int(hit.sum())
    path = tmp_path / f"c{seed}.csv"
    raw.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = cohort.load(path, on_error="exclude")
    ids = set(raw["patient_id"])
    kept = set(c.data["patient_id"])
    patients = c.excluded_patients()
    excluded = set(patients["patient_id"])
    assert c.n_input == n == len(c.data) + patients["row"].nunique()
    assert kept | excluded == ids and not kept & excluded
    assert patients["row"].is_unique
    # an endpoint-only problem blanks that endpoint of a kept patient, once per endpoint
    scoped = c.exclusions[c.exclusions["scope"] != "patient"]
    assert set(scoped["patient_id"]) <= kept and not scoped.duplicated(["row", "scope"]).any()
    assert set(c.exclusions["row"]) <= set(range(2, n + 2))  # file rows, header = row 1
    # raising reports exactly the rows that excluding removes
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cohort.load(path)
    except CohortValidationError as exc:
        assert {p.row for p in exc.problems} == set(c.exclusions["row"])
    else:
        assert len(c.exclusions) == 0


@FAST
@given(seed=seeds, n=sizes, p_bad=st.floats(0.0, 0.3))
def test_loader_never_loses_a_row(tmp_path, seed, n, p_bad):
    _check_loader_keeps_every_row(tmp_path, seed, n, p_bad)


@pytest.mark.slow
@SLOW
@given(seed=seeds, n=sizes, p_bad=st.floats(0.0, 0.3))
def test_loader_never_loses_a_row_many(tmp_path, seed, n, p_bad):
    _check_loader_keeps_every_row(tmp_path, seed, n, p_bad)


# ------------------------------------------------------------------------------ classification


def _stratify():
    mod = pytest.importorskip("cohort.stratify")
    if not hasattr(mod, "classify"):
        pytest.skip("cohort.stratify.classify is not written yet")
    return mod


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype("string")


# candidate labels besides the categories: the system may not apply, or the class be ambiguous
LABELS = {"ambiguous", "no class", "not_applicable"}


def _check_one_category_or_candidates(seed, n, p_missing):
    stratify = _stratify()
    data = _cohort(seed, n, p_missing)
    for system in stratify.SYSTEMS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = cohort.classify(data, system)
        allowed = set(stratify.categories(system))
        assert result.index.equals(data.index), system
        assert list(result.columns) == [
            "patient_id",
            "category",
            "rule",
            "candidates",
            "notes",
            "needs",
        ]
        for cat, rule, cand in zip(
            result["category"], result["rule"], result["candidates"], strict=True
        ):
            if pd.notna(cat):  # (a) one category
                assert cat in allowed, (system, cat)
                assert pd.notna(rule) and str(rule), (system, cat)
            elif pd.notna(cand):  # (b) undetermined: more than one category still possible
                options = set(str(cand).split("|"))
                assert len(options) >= 2, (system, cand)
                assert options <= allowed | LABELS, (system, options - allowed)
            else:  # (c) the system does not apply (APL for ELN, ...): a rule says why
                assert pd.notna(rule) and str(rule), (system, "no category, candidates or rule")


@FAST
@given(seed=seeds, n=sizes, p_missing=missingness)
def test_every_patient_gets_one_category_or_candidates(seed, n, p_missing):
    _check_one_category_or_candidates(seed, n, p_missing)


@pytest.mark.slow
@SLOW
@given(seed=seeds, n=sizes, p_missing=missingness)
def test_every_patient_gets_one_category_or_candidates_many(seed, n, p_missing):
    _check_one_category_or_candidates(seed, n, p_missing)


def _check_classify_row_order(seed, n, p_missing):
    stratify = _stratify()
    data = _cohort(seed, n, p_missing)
    order = np.random.default_rng(seed + 1).permutation(n)
    shuffled = data.iloc[order].reset_index(drop=True)
    for system in stratify.SYSTEMS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = _as_text(cohort.classify(data, system))
            b = _as_text(cohort.classify(shuffled, system))
        a.index = data["patient_id"].to_numpy()
        b.index = shuffled["patient_id"].to_numpy()
        pd.testing.assert_frame_equal(a, b.loc[a.index], obj=system)


@FAST
@given(seed=seeds, n=sizes, p_missing=missingness)
def test_classification_is_invariant_to_row_order(seed, n, p_missing):
    _check_classify_row_order(seed, n, p_missing)


@pytest.mark.slow
@SLOW
@given(seed=seeds, n=sizes, p_missing=missingness)
def test_classification_is_invariant_to_row_order_many(seed, n, p_missing):
    _check_classify_row_order(seed, n, p_missing)


# ---------------------------------------------------------------------------- curves in bounds


def _check_curves_in_bounds(seed, n):
    data = _cohort(seed, max(n, 5), 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = cohort.km(data, "os", by="npm1")
        try:
            ci = cohort.cuminc(data, "cir", by="npm1")
        except ModelError as exc:  # allowed only when there is truly nothing to estimate
            assert "no events" in str(exc)
            assert not data["cir_status"].isin([1, 2]).any()
            ci = None
    for _, g in fit.curves.groupby("group"):
        s = g["survival"].to_numpy()
        assert np.all((s >= 0) & (s <= 1))
        assert np.all(np.diff(s) <= 1e-15)
        assert np.all(np.diff(g["at_risk"].to_numpy()) <= 0)
        lo, up = g["lower"].to_numpy(), g["upper"].to_numpy()
        ok = ~np.isnan(lo) & ~np.isnan(up)
        assert np.all(
            (lo[ok] >= 0) & (up[ok] <= 1) & (lo[ok] <= s[ok] + 1e-12) & (s[ok] <= up[ok] + 1e-12)
        )
    assert fit.table["n"].sum() + sum(fit.excluded.values()) == len(data)
    if ci is None:
        return
    curves = ci.curves
    for _, g in curves.groupby(["group", "event"]):
        f = g["cif"].to_numpy()
        assert np.all((f >= -1e-15) & (f <= 1 + 1e-12))
        assert np.all(np.diff(f) >= -1e-12)
    # the causes' incidences cannot add up to more than everyone
    for _, g in curves.groupby("group"):
        wide = g.pivot_table(index="time", columns="event", values="cif").sort_index().ffill()
        assert (wide.fillna(0).sum(axis=1) <= 1 + 1e-10).all()


@FAST
@given(seed=seeds, n=sizes)
def test_survival_and_incidence_stay_in_bounds(seed, n):
    _check_curves_in_bounds(seed, n)


@pytest.mark.slow
@SLOW
@given(seed=seeds, n=st.integers(2, 400))
def test_survival_and_incidence_stay_in_bounds_many(seed, n):
    _check_curves_in_bounds(seed, n)


def test_generated_cohorts_really_have_unknowns():
    """The property tests above exercise missing data, not only complete tables."""
    data = _cohort(5, 200, 0.5)
    assert data["npm1"].isna().mean() > 0.3
    assert str(data["npm1"].dtype) == COLUMNS["npm1"].dtype
