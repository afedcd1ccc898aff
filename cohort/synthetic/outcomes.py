"""Response, competing relapse and non-relapse death, survival and censoring of synthetic patients.

Event times are drawn by inverting each cause-specific cumulative hazard
(``Lambda(t) = exp(lp) * Lambda0(t)``, with the time-dependent transplant effect switching on at
the planned transplant day); competing events are the minimum of independently drawn latent
times, which gives exactly the cause-specific hazards of :mod:`cohort.synthetic.scenarios`.
Continuous event times are rounded up to whole days; planned days (CR, transplant, data cut) are
whole days already, so the order of events survives the rounding.

Censoring is administrative only: uniform staggered accrual over ``accrual_years`` and a data cut
``min_follow_up_years`` after the last patient, so every patient's response is known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from cohort.synthetic.scenarios import Baseline, Scenario
from cohort.synthetic.treatment import TreatmentPlan

_YEAR = 365.25
_FAR = 1e7  # days; beyond every data cut, so clamping the inverse there changes nothing observed


@dataclass(frozen=True)
class OutcomeDraw:
    """Outcome arrays (length n); times in days, NaN where not applicable."""

    cr: np.ndarray
    cr_days: np.ndarray
    os_days: np.ndarray
    os_event: np.ndarray
    efs_days: np.ndarray
    efs_event: np.ndarray
    rfs_days: np.ndarray
    rfs_event: np.ndarray
    cir_days: np.ndarray
    cir_status: np.ndarray
    hsct: np.ndarray
    hsct_days: np.ndarray
    hsct_in_cr1: np.ndarray
    censor_days: np.ndarray  # data cut, days from diagnosis
    latent_relapse_days: np.ndarray  # days from diagnosis (CR patients), observed or not
    relapse_days: np.ndarray  # observed relapse, days from diagnosis (NaN if none)


def _grid(b: Baseline) -> tuple[np.ndarray, np.ndarray]:
    knots = np.array(b.knots, dtype=float)
    rates = np.array(b.rates, dtype=float) / _YEAR
    t = np.append(knots, _FAR)
    cum = np.concatenate([[0.0], np.cumsum(rates * np.diff(t))])
    return t, cum


def draw_times(
    e: np.ndarray, lp: np.ndarray, td_log_hr: float, switch: np.ndarray, baseline: Baseline
) -> np.ndarray:
    """Invert a proportional cumulative hazard with one time-dependent switch.

    The hazard is ``h0(t) exp(lp)`` before ``switch`` and ``h0(t) exp(lp + td_log_hr)`` from
    ``switch`` on (``switch = inf``: never). ``e`` are unit exponential draws.
    """
    t, cum = _grid(baseline)
    target = e * np.exp(-lp)
    at_switch = np.interp(np.minimum(switch, _FAR), t, cum)
    before = np.interp(target, cum, t)
    after = np.interp(at_switch + (target - at_switch) * np.exp(-td_log_hr), cum, t)
    return np.where(target > at_switch, after, before)


def _lp(sc: Scenario, hazard: str, feats: dict[str, np.ndarray], n: int) -> np.ndarray:
    lp = np.zeros(n)
    for eff in sc.effects:
        if eff.hazard == hazard and not eff.time_dependent and eff.log_hr != 0.0:
            lp = lp + eff.log_hr * feats[eff.name]
    return lp


def simulate_outcomes(
    rng: np.random.Generator, sc: Scenario, feats: dict[str, np.ndarray], plan: TreatmentPlan
) -> OutcomeDraw:
    """Draw response, events and censoring for every patient (see the module docstring)."""
    n = len(plan.cr_days)
    u_cr = rng.random(n)
    u_acc = rng.random(n)
    e_rel, e_nrm, e_par, e_ncr = (rng.standard_exponential(n) for _ in range(4))

    cr = u_cr < expit(sc.cr_intercept + _lp(sc, "complete_remission", feats, n))
    censor = np.ceil((sc.min_follow_up_years + u_acc * sc.accrual_years) * _YEAR)
    cr_days = np.minimum(plan.cr_days, 365.0)
    c_rel = censor - cr_days  # follow-up available after CR

    # From CR: relapse and non-relapse death compete; allo-HSCT in CR1 switches both hazards.
    h1 = plan.hsct_cr1_after_cr
    r = draw_times(
        e_rel,
        _lp(sc, "relapse", feats, n),
        sc.effect("hsct_cr1", "relapse"),
        h1,
        sc.baselines["relapse"],
    )
    d = draw_times(
        e_nrm, _lp(sc, "non_relapse_death", feats, n), sc.effect("hsct_cr1", "non_relapse_death"),
        h1, sc.baselines["non_relapse_death"],
    )  # fmt: skip
    first = np.minimum(r, d)
    hsct1 = cr & (h1 < first) & (h1 <= c_rel)
    ri, di = np.ceil(r), np.ceil(d)
    relapse = cr & (r < d) & (ri <= c_rel)
    nrm = cr & (d <= r) & (di <= c_rel)
    rfs = np.where(relapse, ri, np.where(nrm, di, c_rel))
    cir_status = np.where(relapse, 1, np.where(nrm, 2, 0))

    # After relapse: death, with salvage HSCT (only without an HSCT in CR1) as a switch.
    salv_rel = np.where(hsct1, np.inf, plan.salvage_after_event)
    p = draw_times(
        e_par, _lp(sc, "death_after_relapse", feats, n), sc.effect("hsct_salvage", "death_after_relapse"),
        salv_rel, sc.baselines["death_after_relapse"],
    )  # fmt: skip
    relapse_abs = cr_days + ri
    death_after_rel = relapse_abs + np.ceil(p)
    salvage_after_rel = relapse & (salv_rel < p) & (relapse_abs + salv_rel <= censor)

    # Without CR: death from diagnosis, salvage HSCT as a switch.
    t = draw_times(
        e_ncr, _lp(sc, "death_without_cr", feats, n), sc.effect("hsct_salvage", "death_without_cr"),
        plan.salvage_after_event, sc.baselines["death_without_cr"],
    )  # fmt: skip
    ti = np.ceil(t)
    salvage_no_cr = ~cr & (plan.salvage_after_event < t) & (plan.salvage_after_event <= censor)

    death = np.where(
        cr,
        np.where(relapse, death_after_rel, np.where(nrm, cr_days + di, np.inf)),
        ti,
    )
    os_event = death <= censor
    os_days = np.where(os_event, death, censor)
    efs_event = np.where(cr, relapse | nrm, True)
    efs_days = np.where(cr, cr_days + rfs, 1.0)  # ELN 2017: induction failure is an event at day 1
    hsct = hsct1 | salvage_after_rel | salvage_no_cr
    hsct_days = np.select(
        [hsct1, salvage_after_rel, salvage_no_cr],
        [cr_days + h1, relapse_abs + salv_rel, plan.salvage_after_event],
        default=np.nan,
    )
    nan = np.full(n, np.nan)
    return OutcomeDraw(
        cr=cr,
        cr_days=np.where(cr, cr_days, nan),
        os_days=os_days,
        os_event=os_event.astype(np.int64),
        efs_days=efs_days,
        efs_event=efs_event.astype(np.int64),
        rfs_days=np.where(cr, rfs, nan),
        rfs_event=np.where(cr, (relapse | nrm).astype(float), nan),
        cir_days=np.where(cr, rfs, nan),
        cir_status=np.where(cr, cir_status.astype(float), nan),
        hsct=hsct,
        hsct_days=hsct_days,
        hsct_in_cr1=hsct1,
        censor_days=censor,
        latent_relapse_days=np.where(cr, cr_days + r, nan),
        relapse_days=np.where(relapse, relapse_abs, nan),
    )
