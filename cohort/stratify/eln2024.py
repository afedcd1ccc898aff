"""ELN 2024 genetic risk for patients receiving less-intensive therapy (Döhner et al., Blood 2024;
144(21):2169, Table 1).

Scope (article introduction and table note): patients treated with a hypomethylating agent (HMA)
alone or with venetoclax, or with azacitidine + ivosidenib (AZA+IVO) for IDH1-mutated AML; "This
classification does not apply to patients who have received prior treatment with an HMA." The
scope is checked first from the treatment columns (``intensive``, ``hma``, ``venetoclax``) and two
non-schema columns named by options (AZA+IVO, prior HMA); a patient outside the scope gets no
category and a rule ``ELN2024-NA*`` saying why. Unknown treatment leaves the patient undetermined
(``not_applicable`` among the candidates) unless an ``assume_*`` option states it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cohort.stratify import eln2017
from cohort.stratify.inputs import Inputs
from cohort.stratify.rule_table import ELN_CATEGORIES, NOT_APPLICABLE, Option, Rule
from cohort.stratify.system import RuleSystem
from cohort.stratify.terms import Terms

SYSTEM = "eln2024"
CATEGORIES = ELN_CATEGORIES
SOURCE = "Döhner H et al. Blood 2024;144(21):2169, Table 1"
SCOPE_SOURCE = SOURCE + " (scope: article introduction and table note)"
FAV, INT, ADV = ELN_CATEGORIES

OPTIONS: tuple[Option, ...] = (
    Option("aza_ivo_column", "aza_ivosidenib",
           "Boolean column (not in the schema) marking treatment with azacitidine + ivosidenib; "
           "absent = unknown."),
    Option("prior_hma_column", "prior_hma",
           "Boolean column (not in the schema) marking prior HMA treatment (e.g. for MDS); absent = "
           "unknown."),
    Option("assume_less_intensive", False,
           "True: every patient is taken to be on a less-intensive regimen (the treatment columns are "
           "not checked); use only when the cohort was selected that way.", (True, False)),
    Option("assume_no_prior_hma", False,
           "True: no patient received a prior HMA (when the cohort excludes them by design).",
           (True, False)),
    Option("tp53_vaf_threshold", None,
           "The 2024 table gives no TP53 VAF threshold (None: any TP53 mutation). A number (0-1) "
           "applies a threshold; a TP53 mutation with unknown VAF is then undetermined."),
    Option("ddx41_with_tp53", "adverse",
           "DDX41 row has no TP53^wt condition: 'adverse' (default: TP53 row wins) or 'favorable'.",
           ("adverse", "favorable")),
    Option("apl", "exclude",
           "t(15;17) (APL) is outside the ELN tables: 'exclude' (rule ELN2024-APL) or 'ignore'.",
           ("exclude", "ignore")),
    Option("use_normal_karyotype", True,
           "A missing t_15_17 reads absent when normal_karyotype is True.", (True, False)),
)  # fmt: skip


def make_inputs(frame: pd.DataFrame, o: Any) -> Inputs:
    """The cohort's columns as read by the ELN 2024 rows."""
    return Inputs(
        frame, use_normal_karyotype=o.use_normal_karyotype, cytogenetic_flags=("t_15_17",)
    )


def build_terms(inputs: Inputs, o: Any) -> Terms:
    t = Terms(inputs)
    for name, label in [
        ("npm1", "NPM1 mutated"),
        ("idh1", "IDH1 mutated"),
        ("idh2", "IDH2 mutated"),
        ("ddx41", "DDX41 mutated"),
        ("flt3_itd", "FLT3-ITD present"),
        ("nras", "NRAS mutated"),
        ("kras", "KRAS mutated"),
        ("tp53", "TP53 mutated"),
        ("t_15_17", "t(15;17)"),
        ("intensive", "intensive chemotherapy"),
        ("hma", "HMA"),
        ("venetoclax", "venetoclax"),
    ]:
        t.flag(name, label)
    if o.tp53_vaf_threshold is not None:
        vaf = t.inputs.compare("tp53_vaf", ">=", o.tp53_vaf_threshold)
        t.add("tp53_vaf_ok", vaf, ("tp53_vaf",), f"TP53 VAF >= {o.tp53_vaf_threshold:g}")
        t.derive("tp53_mut", "TP53 mutated (VAF >= threshold)", lambda t: t.tp53 & t.tp53_vaf_ok)
    else:
        t.derive("tp53_mut", "TP53 mutated", lambda t: t.tp53)
    t.flag("aza_ivo", "azacitidine + ivosidenib", column=o.aza_ivo_column)
    if o.assume_no_prior_hma:
        t.const("prior_hma", False, "prior HMA (assumed none)")
    else:
        t.flag("prior_hma", "prior HMA", column=o.prior_hma_column)
    if o.assume_less_intensive:
        t.const("intensive_tx", False, "intensive chemotherapy (assumed not)")
        t.const("lit", True, "less-intensive regimen (assumed)")
    else:
        t.derive("intensive_tx", "intensive chemotherapy", lambda t: t.intensive)
        t.derive("lit", "HMA, venetoclax or AZA+IVO", lambda t: t.hma | t.venetoclax | t.aza_ivo)
    t.derive("signaling", "FLT3-ITD, NRAS or KRAS mutated", lambda t: t.flt3_itd | t.nras | t.kras)
    t.derive(
        "wt_conditions",
        "FLT3-ITD^neg, NRAS^wt, KRAS^wt, TP53^wt",
        lambda t: ~t.signaling & ~t.tp53_mut,
    )
    t.const("ddx41_first", o.ddx41_with_tp53 == "favorable", "option ddx41_with_tp53='favorable'")
    eln2017.add_option_gates(t, o)
    return t  # fmt: skip


def _row(
    id_: str, category: str, text: str, footnote: str, when, source: str = SOURCE, gate: str = ""
) -> Rule:
    return Rule(id_, category, text, footnote, source, when, gate)


OTHER_NOTE = (
    "‡: 'For many cytogenetic and molecular abnormalities, single or as coaberrations, no data are "
    "currently available; they are tentatively categorized as favorable and intermediate-risk "
    "depending on the absence or presence of activating signaling gene mutations.'"
)

RULES: tuple[Rule, ...] = (
    _row("ELN2024-NA1", NOT_APPLICABLE, "Prior treatment with an HMA",
         "'This classification does not apply to patients who have received prior treatment with an HMA.'",
         lambda t: t.prior_hma, SCOPE_SOURCE),
    _row("ELN2024-NA2", NOT_APPLICABLE, "Intensive chemotherapy (the table is for less-intensive therapy)",
         "", lambda t: t.intensive_tx, SCOPE_SOURCE),
    _row("ELN2024-NA3", NOT_APPLICABLE,
         "No less-intensive regimen (HMA with or without venetoclax, or AZA+IVO) recorded", "",
         lambda t: ~t.lit, SCOPE_SOURCE),
    _row("ELN2024-APL", NOT_APPLICABLE, "t(15;17); PML::RARA (APL) is outside the ELN tables",
         "option apl", lambda t: t.t_15_17, "cohort: option 'apl'", gate="opt_apl"),
    _row("ELN2024-F4*", FAV, "Mutated DDX41 (placed before TP53 by option)",
         "†: a DDX41 mutation at near-heterozygous frequency should prompt consideration of germ line "
         "DDX41 mutation", lambda t: t.ddx41, gate="ddx41_first"),
    _row("ELN2024-A1", ADV, "Mutated TP53", "", lambda t: t.tp53_mut),
    _row("ELN2024-F3", FAV, "Mutated IDH1 (TP53^wt)",
         "*: 'Favorable risk applies specifically to patients treated with AZA + IVO, irrespective of "
         "the presence of activating signaling gene mutations.'",
         lambda t: t.idh1 & ~t.tp53_mut & t.aza_ivo),
    _row("ELN2024-F4", FAV, "Mutated DDX41",
         "†: a DDX41 mutation at near-heterozygous frequency should prompt consideration of germ line "
         "DDX41 mutation", lambda t: t.ddx41),
    _row("ELN2024-F1", FAV, "Mutated NPM1 (FLT3-ITD^neg, NRAS^wt, KRAS^wt, TP53^wt)", "",
         lambda t: t.npm1 & t.wt_conditions),
    _row("ELN2024-F2", FAV, "Mutated IDH2 (FLT3-ITD^neg, NRAS^wt, KRAS^wt, TP53^wt)", "",
         lambda t: t.idh2 & t.wt_conditions),
    _row("ELN2024-F5", FAV,
         "Other cytogenetic and/or molecular abnormalities (FLT3-ITD^neg, NRAS^wt, KRAS^wt, TP53^wt)",
         OTHER_NOTE, lambda t: t.wt_conditions),
    _row("ELN2024-I1", INT,
         "Other cytogenetic and molecular abnormalities (FLT3-ITD^pos and/or NRAS^mut and/or "
         "KRAS^mut; TP53^wt)", OTHER_NOTE, lambda t: t.signaling & ~t.tp53_mut),
)  # fmt: skip


def notes(t: Terms, o: Any) -> list[tuple[str, np.ndarray]]:
    out = [
        (
            "IDH1 mutated without AZA+IVO: classified by the other rows (footnote *)",
            t.idh1.true & t.aza_ivo.false,
        ),
    ]
    if o.assume_less_intensive:
        out.append(
            ("less-intensive therapy assumed (option assume_less_intensive)", np.ones(t.n, bool))
        )
    if o.assume_no_prior_hma:
        out.append(("no prior HMA assumed (option assume_no_prior_hma)", np.ones(t.n, bool)))
    return out  # fmt: skip


RULE_SYSTEM = RuleSystem(SYSTEM, OPTIONS, RULES, CATEGORIES, make_inputs, build_terms, notes)
"""The parts of the system, assembled (:class:`~cohort.stratify.system.RuleSystem`)."""


def classify_eln2024(frame: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """ELN 2024 genetic risk category for less-intensive therapy.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical table. Reads npm1, idh1, idh2, ddx41, flt3_itd, nras, kras, tp53 (tp53_vaf with a
        threshold), the treatment columns intensive, hma, venetoclax and the option-named AZA+IVO and
        prior-HMA columns; absent columns are unknown.
    **options
        See :data:`OPTIONS` or ``cohort.stratify.options("eln2024")``.

    Returns
    -------
    pandas.DataFrame
        ``category``, ``rule``, ``candidates``, ``notes``; a patient outside the scope has no category,
        rule ``ELN2024-NA1``/``NA2``/``NA3`` and a note.
    """
    return RULE_SYSTEM.classify(frame, options)


def explain_patient(row: pd.Series, result: Any = None, **options: Any) -> list[str]:
    """The ELN 2024 rows considered for one patient and why each did or did not apply."""
    return RULE_SYSTEM.explain(row, result, options)
