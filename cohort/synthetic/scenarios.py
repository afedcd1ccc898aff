"""Scenarios of the synthetic generator: population, treatment rules and the true outcome model.

The outcome model is a multi-state model with cause-specific proportional hazards:

- induction: complete remission (CR) with a logistic model (``hazard == "complete_remission"``,
  effects are log odds ratios);
- from CR: ``relapse`` and ``non_relapse_death`` (competing; time measured from CR);
- after relapse: ``death_after_relapse`` (time from relapse);
- without CR: ``death_without_cr`` (time from diagnosis).

Each hazard is ``h0(t) * exp(sum(log_hr * feature))`` with a piecewise-constant baseline ``h0``
(rates per year between knots). Transplant enters as a time-dependent indicator (0 before, 1 after
the transplant day): allo-HSCT in first CR on relapse and non-relapse death, salvage HSCT on death
after relapse and death without CR. The effects of each scenario are returned by
:func:`truth`, one row per (effect, hazard). Effects not listed are exactly zero (e.g. FLT3
inhibitor and gemtuzumab are assigned but have no effect of their own: the FLT3-ITD effects are
those of patients treated in the midostaurin era).

Estimands: the effects are conditional log hazard ratios, so a Cox model recovers one only when
it contains every feature with a non-zero effect on that hazard in the analysed subgroup (the
hazard ratio is not collapsible). Within NPM1-mutated, intensively treated patients in CR without
adverse cytogenetics or TP53, the relapse hazard depends on exactly ``npm1_itd_low``,
``npm1_itd_high``, ``npm1_dnmt3a``, ``npm1_itd_dnmt3a``, ``age_per_10y`` and ``hsct_cr1``
(time-dependent). ``npm1_nras`` is listed with a zero effect. Overall survival is a mixture of
these hazards and has no single proportional hazard ratio.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cohort.errors import CohortError

HAZARDS = (
    "complete_remission", "relapse", "non_relapse_death", "death_after_relapse", "death_without_cr",
)  # fmt: skip


@dataclass(frozen=True)
class Effect:
    """One true effect: ``log_hr`` on ``hazard`` per unit of ``name`` (log odds for CR)."""

    name: str
    hazard: str
    log_hr: float
    reference: str
    basis: str
    time_dependent: bool = False


@dataclass(frozen=True)
class Baseline:
    """Piecewise-constant baseline hazard: ``rates[i]`` per year from ``knots[i]`` days on."""

    knots: tuple[float, ...]
    rates: tuple[float, ...]


@dataclass(frozen=True)
class Scenario:
    """Population, treatment and outcome model of one scenario.

    Attributes
    ----------
    name, description : str
    age_model : dict
        ``{"kind": "amlsg"}`` (AMLSG ages) or ``{"kind": "normal", mean, sd, low, high}``.
    age_band_for_class : int or None
        Use the class frequencies of this AMLSG age band for everyone (None: each patient's own).
    treatment : str
        ``"intensive"`` (intensive by age and fitness, HMA otherwise) or ``"venetoclax_hma"``.
    cr_intercept : float
        Log odds of CR for the reference patient (see ``reference`` of the CR effects).
    cr_days : tuple
        ``(offset, gamma shape, gamma scale)``: days from diagnosis to CR.
    hsct_cr1 : dict
        Transplant in CR1: maximum age, probability by ELN 2017 group, reduction from ``age_soft``
        on, planned days after CR ``(offset, gamma shape, gamma scale)``.
    salvage : dict
        Salvage transplant after relapse or without CR: maximum age, probability, days.
    accrual_years, min_follow_up_years : float
        Uniform staggered accrual; data cut ``min_follow_up_years`` after the last patient.
    baselines : dict
        Hazard name -> :class:`Baseline`.
    effects : tuple of Effect
    """

    name: str
    description: str
    age_model: dict
    age_band_for_class: int | None
    treatment: str
    cr_intercept: float
    cr_days: tuple[float, float, float]
    hsct_cr1: dict
    salvage: dict
    accrual_years: float
    min_follow_up_years: float
    baselines: dict[str, Baseline]
    effects: tuple[Effect, ...] = field(default_factory=tuple)

    def effect(self, name: str, hazard: str) -> float:
        """The log hazard ratio (log odds ratio for CR) of ``name`` on ``hazard`` (0 if absent)."""
        for e in self.effects:
            if e.name == name and e.hazard == hazard:
                return e.log_hr
        return 0.0


_L = np.log
_REF_2017 = (
    "NPM1-mutated, FLT3-ITD-negative, normal or intermediate karyotype, age 50, intensive, no HSCT"
)
_REF_2024 = "ELN 2024 favorable with NPM1, IDH1/2 or DDX41 mutation, age 75, no HSCT"

_INTENSIVE_EFFECTS = (
    # --- relapse (from CR) ---
    Effect("npm1_itd_low", "relapse", _L(1.3), _REF_2017,
           "NPM1 with FLT3-ITD low ratio: modestly higher relapse risk (Schlenk 2014 Blood; Döhner 2017 Blood: still favorable)"),
    Effect("npm1_itd_high", "relapse", _L(2.0), _REF_2017,
           "NPM1 with FLT3-ITD ratio >= 0.5: ELN 2017 intermediate; relapse HR about 2 (Schlenk 2014 Blood; Pratcorona 2013 Blood)"),
    Effect("npm1_dnmt3a", "relapse", _L(1.2), _REF_2017,
           "DNMT3A in NPM1-mutated AML: small adverse effect alone (Papaemmanuil 2016 NEJM; Gale 2015 JCO)"),
    Effect("npm1_itd_dnmt3a", "relapse", _L(1.5), _REF_2017,
           "NPM1/FLT3-ITD/DNMT3A triple mutation: extra risk beyond ITD and DNMT3A (Papaemmanuil 2016 NEJM; Bezerra 2020 Blood Adv)"),
    Effect("npm1_nras", "relapse", 0.0, _REF_2017,
           "NPM1 with NRAS: not worse (Papaemmanuil 2016 NEJM: NPM1/NRAS-G12/13 favorable); zero by design"),
    Effect("npm1_adverse", "relapse", _L(2.5), _REF_2017,
           "NPM1 with adverse cytogenetics or TP53 (ELN 2022 adverse; Angenendt 2019 JCO)"),
    Effect("apl", "relapse", _L(0.3), _REF_2017, "APL with ATRA-based therapy: low relapse (Lo-Coco 2013 NEJM)"),
    Effect("cbf", "relapse", _L(0.9), _REF_2017, "t(8;21)/inv(16): ELN favorable (Döhner 2017 Blood)"),
    Effect("npm1wt_cebpa_biallelic", "relapse", _L(0.9), _REF_2017, "biallelic CEBPA: ELN 2017 favorable"),
    Effect("npm1wt_intermediate", "relapse", _L(2.0), _REF_2017,
           "ELN 2017 intermediate (NPM1 wild type): relapse HR about 1.5-2 vs favorable (Herold 2020 Leukemia)"),
    Effect("npm1wt_adverse", "relapse", _L(3.2), _REF_2017,
           "ELN 2017 adverse (NPM1 wild type): relapse HR about 2.5-3 vs favorable (Herold 2020 Leukemia)"),
    Effect("tp53", "relapse", _L(1.5), _REF_2017, "TP53 on top of adverse risk (Grob 2022 Blood; Rücker 2012 Blood)"),
    Effect("age_per_10y", "relapse", _L(1.1), "per 10 years above 50", "age: weak effect on relapse"),
    Effect("non_intensive", "relapse", _L(1.8), "intensive induction", "HMA without intensive chemotherapy"),
    Effect("hsct_cr1", "relapse", _L(0.45), "no HSCT (before transplant)",
           "allo-HSCT in CR1 roughly halves relapse (Cornelissen 2012 Nat Rev Clin Oncol; Koreth 2009 JAMA)", True),
    # --- non-relapse death (from CR) ---
    Effect("age_per_10y", "non_relapse_death", _L(1.5), "per 10 years above 50", "NRM rises steeply with age"),
    Effect("hsct_cr1", "non_relapse_death", _L(3.5), "no HSCT (before transplant)",
           "transplant-related mortality (Cornelissen 2012; 15-20% NRM at 2 years)", True),
    Effect("secondary_aml", "non_relapse_death", _L(1.3), "de novo AML", "secondary or therapy-related AML: comorbidity"),
    Effect("non_intensive", "non_relapse_death", _L(1.3), "intensive induction", "unfit patients"),
    # --- death after relapse (from relapse) ---
    Effect("age_per_10y", "death_after_relapse", _L(1.3), "per 10 years above 50", "older patients get less salvage"),
    Effect("eln2017_adverse", "death_after_relapse", _L(1.5), "ELN 2017 favorable or intermediate",
           "adverse genetics respond poorly to salvage (Breems 2005 JCO)"),
    Effect("tp53", "death_after_relapse", _L(1.5), "TP53 wild type", "TP53: chemoresistant relapse"),
    Effect("hsct_salvage", "death_after_relapse", _L(0.55), "no HSCT (before transplant)",
           "salvage allo-HSCT in relapse (Breems 2005 JCO)", True),
    # --- death without CR (from diagnosis) ---
    Effect("age_per_10y", "death_without_cr", _L(1.25), "per 10 years above 50", "induction death and refractory disease"),
    Effect("eln2017_adverse", "death_without_cr", _L(1.4), "ELN 2017 favorable or intermediate", "refractory adverse-risk AML"),
    Effect("tp53", "death_without_cr", _L(1.5), "TP53 wild type", "TP53"),
    Effect("hsct_salvage", "death_without_cr", _L(0.6), "no HSCT (before transplant)",
           "HSCT for primary refractory AML (Craddock 2011 JCO)", True),
    # --- complete remission (log odds ratios) ---
    Effect("age_per_10y", "complete_remission", -0.35, "per 10 years above 50", "CR rates fall with age (Juliusson 2009 Blood)"),
    Effect("apl", "complete_remission", 0.8, _REF_2017, "APL: CR > 90% with ATRA"),
    Effect("cbf", "complete_remission", 0.5, _REF_2017, "CBF AML: CR about 90%"),
    Effect("npm1_itd_high", "complete_remission", -0.3, _REF_2017, "NPM1/ITD-high: slightly lower CR"),
    Effect("npm1wt_intermediate", "complete_remission", -0.9, _REF_2017, "ELN 2017 intermediate: CR about 70%"),
    Effect("npm1wt_adverse", "complete_remission", -1.6, _REF_2017, "ELN 2017 adverse: CR about 50-55%"),
    Effect("npm1_adverse", "complete_remission", -1.2, _REF_2017, "NPM1 with adverse cytogenetics"),
    Effect("tp53", "complete_remission", -1.0, "TP53 wild type", "TP53: CR about 30-40% (Rücker 2012 Blood)"),
    Effect("non_intensive", "complete_remission", -1.2, "intensive induction", "HMA alone: CR about 20-30%"),
)  # fmt: skip

_VEN_EFFECTS = (
    Effect("eln2024_intermediate", "relapse", _L(2.0), _REF_2024,
           "FLT3-ITD, NRAS or KRAS without TP53 (Döhner 2024 Blood: median OS 12 vs 26.5 months)"),
    Effect("eln2024_adverse", "relapse", _L(3.0), _REF_2024, "TP53 mutated (Döhner 2024 Blood: median OS 5.5 months)"),
    Effect("eln2024_favorable_other", "relapse", _L(1.4), _REF_2024,
           "ELN 2024 favorable without NPM1/IDH/DDX41 (other lesions, no signalling mutation)"),
    Effect("adverse_cytogenetics", "relapse", _L(1.3), "no adverse cytogenetics", "complex/monosomal, -5/-7/17p"),
    Effect("age_per_10y", "relapse", _L(1.1), "per 10 years above 75", "age"),
    Effect("hsct_cr1", "relapse", _L(0.45), "no HSCT (before transplant)", "allo-HSCT in CR1 (rare in this population)", True),
    Effect("age_per_10y", "non_relapse_death", _L(1.4), "per 10 years above 75", "NRM in older patients"),
    Effect("hsct_cr1", "non_relapse_death", _L(3.5), "no HSCT (before transplant)", "transplant-related mortality", True),
    Effect("secondary_aml", "non_relapse_death", _L(1.3), "de novo AML", "secondary or therapy-related AML"),
    Effect("age_per_10y", "death_after_relapse", _L(1.2), "per 10 years above 75", "age"),
    Effect("eln2024_adverse", "death_after_relapse", _L(1.6), "TP53 wild type", "TP53: short survival after relapse"),
    Effect("age_per_10y", "death_without_cr", _L(1.2), "per 10 years above 75", "age"),
    Effect("eln2024_adverse", "death_without_cr", _L(1.5), "TP53 wild type", "TP53"),
    Effect("age_per_10y", "complete_remission", -0.2, "per 10 years above 75", "age"),
    Effect("eln2024_intermediate", "complete_remission", -0.8, _REF_2024, "signalling mutations: lower CR/CRi on VEN+AZA (DiNardo 2022 Blood)"),
    Effect("eln2024_adverse", "complete_remission", -1.5, _REF_2024, "TP53: CR/CRi about 40%"),
    Effect("eln2024_favorable_other", "complete_remission", -0.4, _REF_2024, "other favorable"),
)  # fmt: skip

_YEAR = 365.25

SCENARIOS: dict[str, Scenario] = {
    "intensive_2017": Scenario(
        name="intensive_2017",
        description=(
            "Adults treated in the ELN 2017 era: AMLSG age distribution, intensive induction unless old "
            "and unfit (then HMA), midostaurin for FLT3-mutated, allo-HSCT in CR1 for ELN 2017 "
            "intermediate/adverse risk."
        ),
        age_model={"kind": "amlsg"},
        age_band_for_class=None,
        treatment="intensive",
        cr_intercept=float(np.log(0.88 / 0.12)),
        cr_days=(21.0, 2.0, 10.0),
        hsct_cr1={
            "max_age": 72.0,
            "age_soft": 65.0,
            "soft_factor": 0.5,
            "prob": {"favorable": 0.05, "intermediate": 0.55, "adverse": 0.7},
            "days_after_cr": (40.0, 3.0, 25.0),
        },
        salvage={"max_age": 70.0, "prob": 0.4, "days": (45.0, 3.0, 20.0)},
        accrual_years=6.0,
        min_follow_up_years=2.0,
        baselines={
            "relapse": Baseline((0, 365, 730, 1095), (0.25, 0.12, 0.05, 0.015)),
            "non_relapse_death": Baseline((0, 365), (0.02, 0.012)),
            "death_after_relapse": Baseline((0, 180, 365, 730), (1.1, 0.9, 0.5, 0.2)),
            "death_without_cr": Baseline((0, 60, 365), (1.5, 1.0, 0.4)),
        },
        effects=_INTENSIVE_EFFECTS,
    ),
    "venetoclax_hma": Scenario(
        name="venetoclax_hma",
        description=(
            "Older or unfit patients (age about 60-90, mean 76) treated with venetoclax plus a "
            "hypomethylating agent (VIALE-A-like); rare allo-HSCT; ELN 2024 genetics drive outcome."
        ),
        age_model={"kind": "normal", "mean": 76.0, "sd": 6.0, "low": 60.0, "high": 92.0},
        age_band_for_class=2,
        treatment="venetoclax_hma",
        cr_intercept=float(np.log(0.78 / 0.22)),
        cr_days=(28.0, 2.0, 12.0),
        hsct_cr1={
            "max_age": 75.0,
            "age_soft": 70.0,
            "soft_factor": 0.5,
            "prob": {"favorable": 0.05, "intermediate": 0.12, "adverse": 0.12},
            "days_after_cr": (60.0, 3.0, 30.0),
        },
        salvage={"max_age": 0.0, "prob": 0.0, "days": (45.0, 3.0, 20.0)},
        accrual_years=3.0,
        min_follow_up_years=1.0,
        baselines={
            "relapse": Baseline((0, 365, 730), (0.25, 0.2, 0.1)),
            "non_relapse_death": Baseline((0, 365), (0.08, 0.06)),
            "death_after_relapse": Baseline((0, 180), (2.0, 1.2)),
            "death_without_cr": Baseline((0, 60, 365), (2.5, 1.5, 0.8)),
        },
        effects=_VEN_EFFECTS,
    ),
}
"""Available scenarios by name."""

#: Centre of ``age_per_10y`` per scenario (years).
AGE_CENTRE = {"intensive_2017": 50.0, "venetoclax_hma": 75.0}


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``.

    Raises
    ------
    CohortError
        If ``name`` is not a scenario.
    """
    try:
        return SCENARIOS[name]
    except KeyError:
        raise CohortError(
            f"unknown synthetic scenario {name!r}; choose one of {', '.join(sorted(SCENARIOS))}."
        ) from None


def truth(scenario: str = "intensive_2017") -> pd.DataFrame:
    """The true effects of a scenario's outcome model, one row per (effect, hazard).

    Parameters
    ----------
    scenario : str
        A key of :data:`SCENARIOS`.

    Returns
    -------
    pandas.DataFrame
        Columns ``effect`` (feature name), ``hazard`` (``relapse``, ``non_relapse_death``,
        ``death_after_relapse``, ``death_without_cr`` or ``complete_remission``), ``scale``
        (``"hazard_ratio"``, or ``"odds_ratio"`` for complete remission), ``log_hr`` (the log hazard
        ratio, or the log odds ratio for complete remission), ``hr`` (``exp(log_hr)``),
        ``time_dependent``, ``reference`` (reference group) and ``basis`` (literature).
    """
    sc = get_scenario(scenario)
    rows = [
        {
            "effect": e.name,
            "hazard": e.hazard,
            "scale": "odds_ratio" if e.hazard == "complete_remission" else "hazard_ratio",
            "log_hr": float(e.log_hr),
            "hr": float(np.exp(e.log_hr)),
            "time_dependent": e.time_dependent,
            "reference": e.reference,
            "basis": e.basis,
        }
        for e in sc.effects
    ]
    return pd.DataFrame(rows)
