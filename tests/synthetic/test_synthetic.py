"""Tests of the synthetic cohort generator (cohort.synthetic)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort import Cohort, CohortError
from cohort.schema import COLUMNS, CYTOGENETIC_FLAGS, GENES, MRD_COLUMNS
from cohort.synthetic import SCENARIOS, calibration, generate, truth, write_default
from cohort.synthetic.features import eln2017_group, features
from cohort.synthetic.karyotypes import KaryotypeDraw, templates_for
from cohort.synthetic.scenarios import HAZARDS

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "synthetic_data"
N_FREQ = 20_000
# Frequencies are compared with a tolerance of 4 binomial standard errors of the generated
# proportion (SE from the target; floored at one event so that zero targets get a small slack).
# The generator reproduces the calibration targets exactly in expectation up to the smoothing of
# sparse cells, which is far below 1 SE at n = 20,000.
K_SE = 4.0


@pytest.fixture(scope="module")
def big() -> Cohort:
    return generate(N_FREQ, seed=7, mrd=True)


@pytest.fixture(scope="module")
def cal() -> dict:
    return calibration.targets()


def _close(observed: float, target: float, m: int) -> tuple[bool, float]:
    p = max(target, 1.0 / m)
    tol = K_SE * math.sqrt(p * (1 - min(p, 0.999)) / m)
    return abs(observed - target) <= tol, tol


def _b(frame: pd.DataFrame, col: str) -> np.ndarray:
    return frame[col].to_numpy(dtype=bool)


# --- schema and conventions ------------------------------------------------------------------


def test_full_canonical_schema_with_dtypes(big):
    d = big.data
    assert list(d.columns) == list(COLUMNS)
    for name, col in COLUMNS.items():
        assert str(d[name].dtype) == col.dtype, name
    assert list(big.mrd.columns) == list(MRD_COLUMNS)
    for name, col in MRD_COLUMNS.items():
        assert str(big.mrd[name].dtype) == col.dtype, name
    assert d["patient_id"].iloc[0] == "SYN000001"
    assert d["patient_id"].iloc[-1] == f"SYN{N_FREQ:06d}"
    assert d["patient_id"].is_unique
    assert big.provenance["seed"] == 7 and big.provenance["scenario"] == "intensive_2017"


def test_every_patient_column_filled_where_it_applies(big):
    d = big.data
    always = [c for c in COLUMNS if c not in (
        "npm1_vaf", "tp53_vaf", "npm1_type", "hsct_days", "cr_days", "rfs_days", "rfs_event",
        "cir_days", "cir_status",
    )]  # fmt: skip
    missing = {c: int(d[c].isna().sum()) for c in always if d[c].isna().any()}
    assert missing == {}
    npm1, tp53, cr = _b(d, "npm1"), _b(d, "tp53"), _b(d, "cr")
    assert (d["npm1_vaf"].notna().to_numpy() == npm1).all()
    assert (d["npm1_type"].notna().to_numpy() == npm1).all()
    assert (d["tp53_vaf"].notna().to_numpy() == tp53).all()
    for c in ("cr_days", "rfs_days", "rfs_event", "cir_days", "cir_status"):
        assert (d[c].notna().to_numpy() == cr).all(), c
    assert (d["hsct_days"].notna().to_numpy() == _b(d, "hsct")).all()


def test_endpoint_conventions(big):
    d = big.data
    cr = _b(d, "cr")
    f = lambda c: d[c].to_numpy(dtype=float, na_value=np.nan)  # noqa: E731
    # ELN 2017 EFS: induction failure is an event at day 1.
    assert (f("efs_days")[~cr] == 1).all() and (f("efs_event")[~cr] == 1).all()
    assert (f("os_days") >= 1).all()
    assert (f("efs_days") <= f("os_days")).all()
    # RFS and CIR are measured from CR and end by death or last follow-up.
    assert (f("cr_days")[cr] + f("rfs_days")[cr] <= f("os_days")[cr]).all()
    assert (f("rfs_days")[cr] >= 1).all()
    assert np.array_equal(f("rfs_days")[cr], f("cir_days")[cr])
    assert set(np.unique(f("cir_status")[cr])) == {0.0, 1.0, 2.0}
    assert np.array_equal(f("rfs_event")[cr], (f("cir_status")[cr] > 0).astype(float))
    # Death without relapse is an OS event at the same time (from diagnosis).
    nrm = cr & (f("cir_status") == 2)
    assert (f("os_event")[nrm] == 1).all()
    assert np.array_equal(f("os_days")[nrm], f("cr_days")[nrm] + f("rfs_days")[nrm])
    # A censored CR patient is censored for OS on the same day.
    cens = cr & (f("cir_status") == 0)
    assert (f("os_event")[cens] == 0).all()
    assert np.array_equal(f("os_days")[cens], f("cr_days")[cens] + f("rfs_days")[cens])
    # Staggered accrual: follow-up of censored patients spreads over the accrual window.
    alive = f("os_event") == 0
    assert f("os_days")[alive].min() >= 2 * 365 and f("os_days")[alive].max() > 7 * 365


def test_transplant_columns_consistent(big):
    d = big.data
    f = lambda c: d[c].to_numpy(dtype=float, na_value=np.nan)  # noqa: E731
    hsct, cr1 = _b(d, "hsct"), _b(d, "hsct_in_cr1")
    assert not (cr1 & ~hsct).any()
    assert (f("hsct_days")[hsct] <= f("os_days")[hsct]).all()
    # In CR1: after CR and before relapse or death in CR.
    end_cr1 = f("cr_days") + f("rfs_days")
    assert (f("hsct_days")[cr1] > f("cr_days")[cr1]).all()
    assert (f("hsct_days")[cr1] <= end_cr1[cr1]).all()
    gap = f("hsct_days")[cr1] - f("cr_days")[cr1]
    assert 60 <= np.median(gap) <= 180  # median 3-4 months from CR to transplant
    # Transplant in CR1 mostly for ELN 2017 intermediate/adverse risk, and only if intensive.
    assert not (cr1 & ~_b(d, "intensive")).any()
    g = _eln2017(d)
    assert cr1[g == "favorable"].mean() < 0.1 < cr1[g == "adverse"].mean()


def _eln2017(d: pd.DataFrame) -> np.ndarray:
    genes = {g: _b(d, g) for g in ("npm1", "flt3_itd", "cebpa_biallelic", "tp53", "runx1", "asxl1")}
    flags = {f: _b(d, f) for f in CYTOGENETIC_FLAGS}
    return eln2017_group(genes, d["flt3_itd_ar"].to_numpy(dtype=float), flags)


def test_quantities_and_treatment_rules(big):
    d = big.data
    itd = _b(d, "flt3_itd")
    ar = d["flt3_itd_ar"].to_numpy(dtype=float)
    assert (ar[~itd] == 0).all() and (ar[itd] > 0).all()
    assert 0.4 < (ar[itd] >= 0.5).mean() < 0.6  # about half ITD-high by design
    vaf = d["npm1_vaf"].dropna().to_numpy(dtype=float)
    assert vaf.max() <= 0.6 and 0.2 < np.median(vaf) < 0.35
    assert (d["age"].to_numpy(dtype=float) >= 18).all()
    assert set(d["sex"].unique()) == {"female", "male"}
    flt3m = itd | _b(d, "flt3_tkd")
    assert not (_b(d, "flt3_inhibitor") & ~flt3m).any()
    assert _b(d, "flt3_inhibitor")[flt3m & _b(d, "intensive")].mean() > 0.8
    # Intensity by age: almost everyone under 60, a minority over 78.
    age = d["age"].to_numpy(dtype=float)
    intensive = _b(d, "intensive")
    assert intensive[age < 60].mean() > 0.99 and intensive[age >= 78].mean() < 0.5
    assert np.array_equal(_b(d, "hma"), ~intensive)
    assert not _b(d, "venetoclax").any()
    assert np.array_equal(_b(d, "prior_mds"), d["aml_type"].to_numpy() == "secondary")


def test_venetoclax_scenario():
    d = generate(3000, seed=3, scenario="venetoclax_hma", mrd=False).data
    assert _b(d, "venetoclax").all() and _b(d, "hma").all() and not _b(d, "intensive").any()
    age = d["age"].to_numpy(dtype=float)
    assert age.min() >= 60 and 74 < np.median(age) < 78
    assert _b(d, "hsct").mean() < 0.05
    # ELN 2024 acts: TP53 patients do far worse than the rest.
    dead_1y = (d["os_event"].to_numpy() == 1) & (d["os_days"].to_numpy(dtype=float) <= 365)
    tp53 = _b(d, "tp53")
    assert dead_1y[tp53].mean() > dead_1y[~tp53].mean() + 0.2


# --- determinism -----------------------------------------------------------------------------


def test_deterministic_and_independent_of_global_random_state():
    np.random.seed(0)
    a = generate(500, seed=42)
    state = np.random.get_state()
    np.random.seed(12345)
    b = generate(500, seed=42)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.mrd, b.mrd)
    np.random.seed(0)
    generate(50, seed=1)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1])
    c = generate(500, seed=43)
    assert not a.data["os_days"].equals(c.data["os_days"])


def test_mrd_switch_does_not_change_patients():
    with_mrd = generate(400, seed=9, mrd=True)
    without = generate(400, seed=9, mrd=False)
    assert without.mrd is None
    pd.testing.assert_frame_equal(with_mrd.data, without.data)


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"n": 10, "seed": 1, "scenario": "chemo_1990"}, "unknown synthetic scenario 'chemo_1990'"),
        ({"n": 0, "seed": 1}, "n must be a positive whole number"),
        ({"n": 10.5, "seed": 1}, "n must be a positive whole number"),
        ({"n": 10, "seed": -1}, "seed must be a non-negative whole number"),
        ({"n": 10, "seed": 1.5}, "seed must be a non-negative whole number"),
    ],
)
def test_bad_arguments_raise_cohort_error(kwargs, text):
    with pytest.raises(CohortError, match=text.replace("(", r"\(")):
        generate(**kwargs)


# --- calibration -----------------------------------------------------------------------------


def test_calibration_json_is_current(cal):
    shipped = (SHIPPED / "calibration_targets.json").read_text(encoding="utf-8")
    assert shipped == calibration.to_json(), "run python -m cohort.synthetic.calibration"
    figures = json.loads(shipped)
    assert figures["source"]["n_patients"] == 1540


def test_calibration_figures_match_known_amlsg_counts(cal):
    # Counts stated in cohort/datasets/amlsg/SOURCE.md and by the NEJM 2016 paper: 436 NPM1-mutated
    # of 1,540 (28%); NPM1 type A (TCTG) is about 75-80% of NPM1 mutations.
    df = calibration.load_amlsg()
    assert int(df["npm1"].sum()) == 436 and len(df) == 1540
    assert int(df["flt3_itd"].sum()) == 341
    t = cal["targets"]
    assert 0.25 < t["npm1"] < 0.31
    assert 0.75 <= t["npm1_type_within_npm1"]["A"] <= 0.82
    assert 0.8 < t["normal_karyotype_within_npm1"] < 0.92


def _gene_targets(d: pd.DataFrame, targets: dict[str, float], label: str) -> list[str]:
    bad = []
    for gene, target in targets.items():
        obs = d[gene].to_numpy(dtype=bool).mean()
        ok, tol = _close(obs, target, len(d))
        if not ok:
            bad.append(f"{label} {gene}: {obs:.4f} vs {target:.4f} (tol {tol:.4f})")
    return bad


def test_marginal_gene_frequencies_match_calibration(big, cal):
    d = big.data
    t = cal["targets"]
    bad = _gene_targets(d, t["marginal"], "all")
    bad += _gene_targets(d[_b(d, "npm1")], t["within_npm1"], "NPM1-mut")
    ok, tol = _close(_b(d, "npm1").mean(), t["npm1"], len(d))
    if not ok:
        bad.append(f"npm1 {_b(d, 'npm1').mean():.4f} vs {t['npm1']:.4f}")
    assert bad == []


def test_joint_frequencies_match_calibration(big, cal):
    d = big.data
    t = cal["targets"]
    bad = []
    for key, target in t["joint"].items():
        obs = np.logical_and.reduce([_b(d, g) for g in key.split("&")]).mean()
        ok, tol = _close(obs, target, len(d))
        if not ok:
            bad.append(f"{key}: {obs:.4f} vs {target:.4f} (tol {tol:.4f})")
    npm = d[_b(d, "npm1")]
    for key, target in t["within_npm1_joint"].items():
        obs = np.logical_and.reduce([_b(npm, g) for g in key.split("&")]).mean()
        ok, tol = _close(obs, target, len(npm))
        if not ok:
            bad.append(f"NPM1 {key}: {obs:.4f} vs {target:.4f} (tol {tol:.4f})")
    obs = _b(npm, "normal_karyotype").mean()
    ok, tol = _close(obs, t["normal_karyotype_within_npm1"], len(npm))
    if not ok:
        bad.append(f"NK within NPM1: {obs:.4f}")
    for typ, target in t["npm1_type_within_npm1"].items():
        obs = (npm["npm1_type"] == typ).mean()
        ok, tol = _close(obs, target, len(npm))
        if not ok:
            bad.append(f"npm1_type {typ}: {obs:.4f} vs {target:.4f}")
    male = (d["sex"] == "male").mean()
    if not _close(male, t["male"], len(d))[0]:
        bad.append(f"male {male:.4f}")
    assert bad == []
    # Co-occurrence is real, not independence: NPM1 goes with DNMT3A and FLT3-ITD (AMLSG joint
    # frequencies about twice the product of the marginals) and the generator keeps the excess.
    for a, b in (("npm1", "dnmt3a"), ("npm1", "flt3_itd")):
        joint = (_b(d, a) & _b(d, b)).mean()
        assert joint > _b(d, a).mean() * _b(d, b).mean() + 0.03, (a, b)


def test_cytogenetic_classes_match_calibration(big, cal):
    d = big.data
    classes = cal["targets"]["classes"]
    observed = {
        "apl": _b(d, "t_15_17").mean(),
        "t_8_21": _b(d, "t_8_21").mean(),
        "inv_16": _b(d, "inv_16").mean(),
        "kmt2a": (_b(d, "t_9_11") | _b(d, "kmt2a_r")).mean(),
    }
    for k, obs in observed.items():
        assert _close(obs, classes[k], len(d))[0], (k, obs, classes[k])
    # TP53 goes with complex karyotype.
    ck = _b(d, "complex_karyotype")
    assert _b(d, "tp53")[ck].mean() > 0.3 > 5 * _b(d, "tp53")[~ck].mean()


# --- karyotypes ------------------------------------------------------------------------------


def test_karyotype_strings_agree_with_flags(big):
    cyto = pytest.importorskip("cohort.cytogenetics.flags")
    d = big.data
    first = d.drop_duplicates("karyotype")
    derived = cyto.flags(first["karyotype"])
    assert (derived["karyotype_status"] == "ok").all()
    for f in CYTOGENETIC_FLAGS:
        got = derived[f].to_numpy(dtype=bool)
        want = first[f].to_numpy(dtype=bool)
        assert np.array_equal(got, want), (f, first["karyotype"][got != want].tolist()[:3])


def test_karyotype_examples_are_valid_iscn():
    (t,) = templates_for("t_8_21", "lesion")[:1]
    assert t.tokens == ("t(8;21)(q22;q22.1)",)
    complex_ = templates_for("complex", "complex+minus_7+del_5q+abn_17p")
    assert all(x.flags["complex_karyotype"] and x.flags["monosomal_karyotype"] for x in complex_)
    assert templates_for("other", "minus_7")[0].count == 45
    d = generate(2000, seed=5, mrd=False).data
    k = d["karyotype"]
    assert k.str.fullmatch(r"\d{2},X[XY](,[^,/\[]+)*\[\d+\](/46,X[XY]\[\d+\])?").all()
    assert ((k == "46,XY[20]") | (k == "46,XX[20]")).sum() == _b(d, "normal_karyotype").sum()
    # Sex in the karyotype matches the sex column.
    assert ((k.str[3:5] == "XY") == (d["sex"] == "male")).all()


# --- MRD -------------------------------------------------------------------------------------


def test_mrd_table_structure(big):
    m, d = big.mrd, big.data
    npm1_ids = set(d.loc[_b(d, "npm1"), "patient_id"])
    assert set(m["patient_id"]) == npm1_ids  # every NPM1 patient has a diagnostic sample
    assert set(m["sample"].unique()) == {"BM", "PB"}
    assert (m["days"] >= 0).all() and (m["npm1_abl1_pct"] >= 0).all()
    last = m.groupby("patient_id")["days"].max()
    os_days = d.set_index("patient_id").loc[last.index, "os_days"]
    assert (last <= os_days).all()
    dx = m[m["days"] == 0]
    assert dx.groupby("patient_id").size().eq(2).all()
    assert 100 < dx.loc[dx["sample"] == "BM", "npm1_abl1_pct"].median() < 2000


def test_mrd_trajectories_linked_to_relapse(big):
    # Ivey et al. NEJM 2016: PB MRD positivity after cycle 2 predicts relapse (CIR 82% vs 30%).
    m, d = big.mrd, big.data
    npm = d[_b(d, "npm1") & _b(d, "cr")].set_index("patient_id")
    first_post = m[(m["days"] > 0) & (m["sample"] == "PB")].groupby("patient_id").first()
    pos = first_post["npm1_abl1_pct"].reindex(npm.index) > 0
    relapse = npm["cir_status"].eq(1)
    assert 0.05 < pos.mean() < 0.5
    assert relapse[pos].mean() > relapse[~pos].mean() + 0.25
    # Rising MRD before relapse: the last sample before relapse is positive in most relapsers.
    rel_ids = npm.index[relapse.to_numpy(dtype=bool)]
    rel_day = (npm["cr_days"] + npm["rfs_days"]).loc[rel_ids]
    before = m[m["patient_id"].isin(rel_ids)].merge(
        rel_day.rename("rel").reset_index(), on="patient_id"
    )
    before = before[before["days"] < before["rel"]]
    last_before = before.sort_values("days").groupby("patient_id")["npm1_abl1_pct"].last()
    assert (last_before > 0).mean() > 0.8


# --- truth -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_truth_table(scenario):
    t = truth(scenario)
    assert list(t.columns) == [
        "effect", "hazard", "scale", "log_hr", "hr", "time_dependent", "reference", "basis",
    ]  # fmt: skip
    assert set(t["hazard"]) <= set(HAZARDS)
    assert np.allclose(t["hr"], np.exp(t["log_hr"]))
    assert not t.duplicated(["effect", "hazard"]).any()
    assert (t["basis"].str.len() > 0).all() and (t["reference"].str.len() > 0).all()
    # Every effect acts on a feature the generator computes (transplant effects are switches).
    n = 3
    genes = {g: np.zeros(n, dtype=bool) for g in ("npm1", *GENES)}
    kary = KaryotypeDraw(
        karyotype=np.array(["46,XX[20]"] * n, dtype=object),
        flags={f: np.zeros(n, dtype=bool) for f in CYTOGENETIC_FLAGS},
    )
    feats = features(
        genes, np.zeros(n), kary, np.full(n, 60.0), 50.0, np.ones(n, dtype=bool),
        np.array(["de_novo"] * n, dtype=object),
    )  # fmt: skip
    time_dependent = set(t.loc[t["time_dependent"], "effect"])
    assert time_dependent <= {"hsct_cr1", "hsct_salvage"}
    assert set(t["effect"]) - time_dependent <= set(feats)
    assert np.allclose(feats["age_per_10y"], 1.0)


def test_truth_encodes_literature_directions():
    t = truth("intensive_2017").set_index(["effect", "hazard"])["log_hr"]
    assert t["npm1_itd_high", "relapse"] > t["npm1_itd_low", "relapse"] > 0
    assert t["npm1_itd_dnmt3a", "relapse"] > 0
    assert t["npm1_nras", "relapse"] == 0.0
    assert t["hsct_cr1", "relapse"] < 0 < t["hsct_cr1", "non_relapse_death"]
    assert t["npm1wt_adverse", "relapse"] > t["npm1wt_intermediate", "relapse"] > 0
    with pytest.raises(CohortError, match="unknown synthetic scenario"):
        truth("nope")


def test_outcome_gradient_by_eln2017_group(big):
    d = big.data
    g = _eln2017(d)
    dead_3y = (d["os_event"].to_numpy() == 1) & (d["os_days"].to_numpy(dtype=float) <= 3 * 365)
    fav, inter, adv = (dead_3y[g == k].mean() for k in ("favorable", "intermediate", "adverse"))
    assert fav < inter < adv
    assert 0.2 < fav < 0.45 and 0.5 < adv < 0.8


# --- shipped files ---------------------------------------------------------------------------


def test_shipped_files_regenerate_identically(tmp_path):
    paths = write_default(tmp_path)
    assert [p.name for p in paths] == ["npm1_cohort.csv", "npm1_mrd.csv"]
    for p in paths:
        assert p.read_bytes() == (SHIPPED / p.name).read_bytes(), (
            f"{p.name} differs: regenerate with `cohort synth --n 2000 --seed 2020 --out synthetic_data/`"
        )


def test_shipped_files_load_without_mapping_exclusions_or_warnings():
    loading = pytest.importorskip("cohort.io.loading")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coh = loading.load(SHIPPED / "npm1_cohort.csv")
    assert len(coh) == 2000 and len(coh.exclusions) == 0
    assert not coh.report.get("warnings")
    expected = generate(2000, seed=2020)
    for name, col in COLUMNS.items():
        assert str(coh.data[name].dtype) == col.dtype, name
    pd.testing.assert_frame_equal(
        coh.data[list(COLUMNS)].reset_index(drop=True), expected.data, check_exact=False, rtol=1e-12
    )
    if hasattr(loading, "load_mrd"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mrd = loading.load_mrd(SHIPPED / "npm1_mrd.csv")
        mrd_frame = mrd.mrd if isinstance(mrd, Cohort) else mrd
        assert len(mrd_frame) == len(expected.mrd)
