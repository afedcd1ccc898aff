"""Treatment allocation of synthetic patients (induction, FLT3 inhibitor, gemtuzumab, HSCT plans).

Planned transplant days are drawn here, before outcomes; whether a planned transplant happens is
decided in :mod:`cohort.synthetic.outcomes` (the patient must still be alive, in the right state
and under follow-up on that day). Because the plan depends only on baseline features and
independent noise, transplant is a time-dependent covariate that a Cox model can adjust for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort.synthetic.scenarios import Scenario

#: Intensive induction by age (intensive scenario): logistic in age, 50% at 76 years, so nearly all
#: patients under 65 and about a fifth of those over 80 receive it (fitness is the noise).
INTENSIVE_AGE_MIDPOINT = 76.0
INTENSIVE_AGE_SCALE = 2.5
FLT3_INHIBITOR_PROB = 0.9  # midostaurin for FLT3-mutated patients given intensive induction
GEMTUZUMAB_PROB = 0.5  # gemtuzumab ozogamicin for CBF AML given intensive induction


@dataclass(frozen=True)
class TreatmentPlan:
    """Baseline treatment and planned transplant days (``inf`` when none is planned)."""

    intensive: np.ndarray
    hma: np.ndarray
    venetoclax: np.ndarray
    flt3_inhibitor: np.ndarray
    gemtuzumab: np.ndarray
    cr_days: np.ndarray  # days from diagnosis to CR if CR is reached (integer-valued)
    hsct_cr1_after_cr: np.ndarray  # planned days from CR to allo-HSCT in CR1
    salvage_after_event: np.ndarray  # planned days from relapse / diagnosis to salvage HSCT


def _gamma_days(rng: np.random.Generator, n: int, spec: tuple[float, float, float]) -> np.ndarray:
    offset, shape, scale = spec
    return np.ceil(offset + rng.gamma(shape, scale, size=n))


def plan_treatment(
    rng: np.random.Generator,
    sc: Scenario,
    age: np.ndarray,
    genes: dict[str, np.ndarray],
    cbf: np.ndarray,
    eln2017: np.ndarray,
) -> TreatmentPlan:
    """Allocate baseline treatment and plan transplant days for every patient."""
    n = len(age)
    u_int, u_flt3, u_go, u_hsct, u_salv = (rng.random(n) for _ in range(5))
    if sc.treatment == "intensive":
        p_int = 1.0 / (1.0 + np.exp((age - INTENSIVE_AGE_MIDPOINT) / INTENSIVE_AGE_SCALE))
        intensive = u_int < p_int
        hma = ~intensive
        venetoclax = np.zeros(n, dtype=bool)
        flt3m = genes["flt3_itd"] | genes["flt3_tkd"]
        flt3_inhibitor = intensive & flt3m & (u_flt3 < FLT3_INHIBITOR_PROB)
        gemtuzumab = intensive & cbf & (u_go < GEMTUZUMAB_PROB)
    else:
        intensive = np.zeros(n, dtype=bool)
        hma = np.ones(n, dtype=bool)
        venetoclax = np.ones(n, dtype=bool)
        flt3_inhibitor = np.zeros(n, dtype=bool)
        gemtuzumab = np.zeros(n, dtype=bool)
    cr_days = _gamma_days(rng, n, sc.cr_days)
    h = sc.hsct_cr1
    p = np.select(
        [eln2017 == "favorable", eln2017 == "intermediate", eln2017 == "adverse"],
        [h["prob"]["favorable"], h["prob"]["intermediate"], h["prob"]["adverse"]],
        default=0.0,
    )
    p = np.where(age >= h["age_soft"], p * h["soft_factor"], p)
    eligible = (age < h["max_age"]) & (intensive | (sc.treatment != "intensive"))
    planned = eligible & (u_hsct < p)
    hsct_after_cr = np.where(planned, _gamma_days(rng, n, h["days_after_cr"]), np.inf)
    s = sc.salvage
    salvage = (age < s["max_age"]) & intensive & (u_salv < s["prob"])
    salvage_after = np.where(salvage, _gamma_days(rng, n, s["days"]), np.inf)
    return TreatmentPlan(
        intensive=intensive,
        hma=hma,
        venetoclax=venetoclax,
        flt3_inhibitor=flt3_inhibitor,
        gemtuzumab=gemtuzumab,
        cr_days=cr_days,
        hsct_cr1_after_cr=hsct_after_cr,
        salvage_after_event=salvage_after,
    )
