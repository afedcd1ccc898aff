"""NPM1 MRD trajectories (NPM1-mutant / ABL1 transcripts x 100) linked to relapse.

Model, on the log10 scale, for each NPM1-mutated patient (bone marrow, BM):

- diagnosis level ``L0 ~ N(2.7, 0.35)`` (about 500%, as in qPCR series: Ivey et al., NEJM 2016);
- clearance ``c(t) = L0 - D * min(1, t / 120) ** 0.3`` with total log reduction
  ``D ~ N(7.5, 1.0) - 3.0 * exp(-r / 365)`` for patients in CR, where ``r`` is the patient's latent
  time from CR to relapse (drawn by the outcome model whether or not it is observed), so early
  relapsers clear less; ``D ~ N(1.0, 0.6)`` without CR;
- regrowth before relapse ``g(t) = Lr + s * (t - R)`` (``R`` the latent relapse day,
  ``Lr ~ N(2.0, 0.3)``, doubling every 12-25 days: ``s ~ U(0.012, 0.025)`` log10 per day), so
  molecular relapse precedes haematological relapse by a few months (Ivey 2016; Shayegi 2013);
- level ``log10(10**c + 10**g)`` plus measurement noise ``N(0, 0.25)``; peripheral blood (PB) is
  0.2 log lower at diagnosis and 0.8 log lower afterwards (PB is less sensitive than BM).

Values below the limit of detection (:data:`LOD_PCT`) are reported as 0 (MRD-negative).
The MRD table is generated after the outcomes and never feeds back into them, so the true
hazards of :mod:`cohort.synthetic.scenarios` are unchanged by it; MRD is a marker of the latent
relapse time, not a cause.

Schedule (days from diagnosis): diagnosis (BM, PB); after cycle 2 (CR day + 14-27: BM, PB);
end of treatment (day 180-210: BM, PB); then every 3 months for 2 years (PB; BM every 6 months).
Sampling stops at relapse (one BM sample on the relapse day), death or the data cut; patients
without CR are sampled at diagnosis and after cycle 2 only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cohort.schema import MRD_COLUMNS

LOD_PCT = 1e-3  # limit of detection, % (about 1e-5 relative to a diagnostic level of 100-1000%)

_FOLLOW_UP_VISITS = 8  # every 3 months for 2 years after the end of treatment


def _sig4(x: np.ndarray) -> np.ndarray:
    """Round positive values to 4 significant digits (0 stays 0)."""
    out = np.zeros_like(x)
    pos = x > 0
    e = np.floor(np.log10(x[pos]))
    out[pos] = np.round(x[pos] / 10.0**e, 3) * 10.0**e
    return out


def draw_mrd(
    rng: np.random.Generator,
    patient_id: np.ndarray,
    npm1: np.ndarray,
    cr: np.ndarray,
    cr_days: np.ndarray,
    planned_cr_days: np.ndarray,
    latent_relapse_days: np.ndarray,
    relapse_days: np.ndarray,
    os_days: np.ndarray,
) -> pd.DataFrame:
    """The MRD long table (``patient_id``, ``days``, ``sample``, ``npm1_abl1_pct``), sorted by
    patient, day and sample.

    Parameters
    ----------
    rng : numpy.random.Generator
    patient_id : numpy.ndarray of str
    npm1, cr : numpy.ndarray of bool
    cr_days, latent_relapse_days, relapse_days : numpy.ndarray of float
        Days from diagnosis (NaN when not applicable).
    planned_cr_days : numpy.ndarray of float
        Day of the response assessment (used for the after-cycle-2 sample without CR).
    os_days : numpy.ndarray of float
        Death or last follow-up, days from diagnosis.
    """
    idx = np.flatnonzero(npm1)
    m = len(idx)
    in_cr = cr[idx]
    l0 = rng.normal(2.7, 0.35, m)
    r_from_cr = np.where(in_cr, latent_relapse_days[idx] - cr_days[idx], np.inf)
    d_cr = rng.normal(7.5, 1.0, m) - 3.0 * np.exp(-np.nan_to_num(r_from_cr, nan=np.inf) / 365.0)
    d_nocr = rng.normal(1.0, 0.6, m)
    drop = np.where(in_cr, d_cr, d_nocr)
    l_rel = rng.normal(2.0, 0.3, m)
    slope = rng.uniform(0.012, 0.025, m)
    j_c2 = rng.integers(0, 14, m)
    j_eot = rng.integers(0, 31, m)
    j_fu = rng.integers(-7, 8, (m, _FOLLOW_UP_VISITS))

    base_cr = np.where(in_cr, cr_days[idx], planned_cr_days[idx])
    c2 = base_cr + 14 + j_c2
    eot = np.maximum(180.0 + j_eot, c2 + 30)
    fu = eot[:, None] + 91.0 * np.arange(1, _FOLLOW_UP_VISITS + 1)[None, :] + j_fu
    # Slots: (days, is_bm, only_in_cr)
    day_cols = [np.zeros(m), np.zeros(m), c2, c2, eot, eot]
    bm_cols = [True, False, True, False, True, False]
    cr_only = [False, False, False, False, True, True]
    for k in range(_FOLLOW_UP_VISITS):
        day_cols.append(fu[:, k])
        bm_cols.append(False)
        cr_only.append(True)
        if k % 2 == 1:
            day_cols.append(fu[:, k])
            bm_cols.append(True)
            cr_only.append(True)
    relapse = relapse_days[idx]
    has_relapse = ~np.isnan(relapse)
    day_cols.append(np.where(has_relapse, relapse, np.nan))
    bm_cols.append(True)
    cr_only.append(True)

    days = np.column_stack(day_cols)
    is_bm = np.broadcast_to(np.array(bm_cols), days.shape)
    end = np.where(has_relapse, relapse, os_days[idx])
    valid = days <= end[:, None]
    valid &= ~(np.array(cr_only)[None, :] & ~in_cr[:, None])
    # Before the relapse day only (the relapse sample itself is the last column).
    valid[:, :-1] &= ~(has_relapse[:, None] & (days[:, :-1] >= relapse[:, None]))
    valid[:, -1] &= has_relapse

    t = days
    frac = np.minimum(1.0, t / 120.0) ** 0.3
    clear = l0[:, None] - drop[:, None] * frac
    latent = np.where(in_cr, latent_relapse_days[idx], np.inf)
    grow = np.where(
        np.isfinite(latent)[:, None],
        l_rel[:, None] + slope[:, None] * (t - np.nan_to_num(latent, posinf=0.0)[:, None]),
        -np.inf,
    )
    grow = np.minimum(grow, l_rel[:, None])
    with np.errstate(over="ignore"):
        level = np.log10(10.0**clear + 10.0**grow)
    pb_offset = np.where(t <= 0, 0.2, 0.8)
    noise = rng.normal(0.0, 0.25, days.shape)
    level = level - np.where(is_bm, 0.0, pb_offset) + noise
    pct = 10.0**level
    pct = np.where(pct < LOD_PCT, 0.0, _sig4(np.minimum(pct, 1e4)))

    rows, cols = np.nonzero(valid)
    out = pd.DataFrame(
        {
            "patient_id": pd.array(patient_id[idx][rows], dtype="string"),
            "days": pd.array(days[rows, cols], dtype="Float64"),
            "sample": pd.array(np.where(is_bm[rows, cols], "BM", "PB"), dtype="string"),
            "npm1_abl1_pct": pd.array(pct[rows, cols], dtype="Float64"),
        }
    )
    # Order: patient, then day, then BM before PB (stable across machines: integer keys only).
    order = np.lexsort((~is_bm[rows, cols], days[rows, cols], idx[rows]))
    out = out.iloc[order].reset_index(drop=True)
    return out[list(MRD_COLUMNS)]
