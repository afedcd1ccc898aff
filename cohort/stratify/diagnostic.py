"""WHO 2016 ("who2017"), ICC 2022 and WHO 2022 diagnostic classes for NPM1-mutated AML.

Scope: the three systems are implemented for the question the toolkit serves, "is this patient's
disease *AML with mutated NPM1* under system X, and if not, why not?". Patients without an NPM1
mutation are returned as ``"not NPM1-mutated AML"`` (their own entity is not worked out). The rules,
their sources and the ambiguities turned into options are in ``docs/diagnostic_classes.md``.

The rule tables run on the shared three-valued engine (:mod:`cohort.stratify.walk`): a missing
input never counts as absent, and a patient whose class depends on one gets ``category`` missing and
``candidates`` listing what is still possible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cohort.cohort import as_frame
from cohort.errors import ClassificationError
from cohort.stratify.explanation import explain_rules
from cohort.stratify.inputs import Inputs
from cohort.stratify.logic import Tri
from cohort.stratify.rule_table import RESULT_COLUMNS, Option, Rule, resolve_options
from cohort.stratify.terms import Terms
from cohort.stratify.walk import walk

NPM1_AML = "AML with mutated NPM1"
NOT_NPM1 = "not NPM1-mutated AML"
OTHER_RECURRENT = "AML with another recurrent genetic abnormality"
AML_MRC = "AML-MRC"
AML_MR = "AML, myelodysplasia-related"
T_MN = "therapy-related myeloid neoplasm"
# One label whatever the threshold, so that reclassification between systems with different
# thresholds does not count a patient below both as moved; the threshold is in ``notes``.
BELOW_BLASTS = "below AML blast threshold"

# Balanced recurrent abnormalities that define their own entity in all three systems; an NPM1
# mutation co-occurring with one of them is classified by the rearrangement.
RECURRENT_FLAGS = ("t_8_21", "inv_16", "t_15_17", "t_9_11", "kmt2a_r", "t_6_9", "inv_3", "t_9_22")

# WHO 2016 MDS-related cytogenetic abnormalities available as canonical flags. +8, del(20q) and -Y
# are not MDS-defining in WHO 2016; -17 is not listed either, but the canonical abn_17p pools it
# with t(17p)/del(17p), so abn_17p is kept and the pooling is documented.
WHO2016_MR_CYTO = (
    "complex_karyotype", "del_5q", "minus_7", "del_7q", "del_11q", "del_12p", "i_17q", "abn_17p",
    "idic_x_q13",
)  # fmt: skip
# ICC 2022 (eln_guidelines.md D7) and WHO 2022 MR cytogenetics; WHO 2022 adds del(11q) and drops
# +8 and del(20q) (our reading, see docs).
ICC_MR_CYTO = (
    "complex_karyotype", "del_5q", "minus_7", "del_7q", "plus_8", "del_12p", "i_17q", "abn_17p",
    "del_20q", "idic_x_q13",
)  # fmt: skip
WHO2022_MR_CYTO = (
    "complex_karyotype", "del_5q", "minus_7", "del_7q", "del_11q", "del_12p", "i_17q", "abn_17p",
    "idic_x_q13",
)  # fmt: skip
ICC_MR_GENES = ("asxl1", "bcor", "ezh2", "runx1", "sf3b1", "srsf2", "stag2", "u2af1", "zrsr2")
WHO2022_MR_GENES = ("asxl1", "bcor", "ezh2", "sf3b1", "srsf2", "stag2", "u2af1", "zrsr2")

S_D1 = "eln_guidelines.md D1 (ELN 2017 Table 1 footnote, WHO 2016 blast threshold)"
S_D2 = "eln_guidelines.md D2-D4 (WHO 2016 AML-MRC; NPM1 precedence disputed)"
S_D5 = "eln_guidelines.md D5-D7 (ICC 2022 thresholds, hierarchy, MR lists)"
S_D8 = "eln_guidelines.md D8-D9 (WHO 2022 NPM1 without blast cut-off; AML-MR)"
S_OURS = "our reading (docs/diagnostic_classes.md)"


# --- terms ----------------------------------------------------------------------------------------


def _category_is(frame: pd.DataFrame, column: str, value: str) -> Tri:
    n = len(frame)
    if column not in frame.columns:
        return Tri.unknown_of(n)
    s = frame[column].astype("string")
    known = s.notna().to_numpy()
    hit = (s == value).fillna(False).to_numpy(dtype=bool)
    return Tri(hit & known, ~hit & known)


def mds_history(frame: pd.DataFrame, inputs: Inputs | None = None) -> Tri:
    """Antecedent MDS or MDS/MPN: ``prior_mds`` True or ``aml_type == "secondary"``.

    Known False when ``prior_mds`` is False or the AML is recorded as de novo.
    """
    prior = (inputs or Inputs(frame)).flag("prior_mds")
    secondary = _category_is(frame, "aml_type", "secondary")
    de_novo = _category_is(frame, "aml_type", "de_novo")
    true = prior.true | secondary.true
    return Tri(true, ~true & (prior.false | de_novo.true))


def _blasts_met(inputs: Inputs, minimum: float | None, assume_met: bool) -> Tri:
    if minimum is None:
        return Tri.const(True, inputs.n)
    met = inputs.compare("bm_blasts_pct", ">=", float(minimum))
    if assume_met:
        met = Tri(met.true | met.unknown, met.false)
    return met


def _terms(frame: pd.DataFrame, o: Any, mr_cyto: Sequence[str], mr_genes: Sequence[str]) -> Terms:
    inputs = Inputs(frame)
    n = inputs.n
    t = Terms(inputs)
    t.flag("npm1", "NPM1 mutated")
    t.add(
        "recurrent",
        Tri.any_of([inputs.flag(c) for c in RECURRENT_FLAGS], n),
        RECURRENT_FLAGS,
        "another recurrent rearrangement",
    )
    t.add(
        "therapy_related",
        _category_is(frame, "aml_type", "therapy_related"),
        ("aml_type",),
        "therapy-related",
    )
    t.add("mds", mds_history(frame, inputs), ("prior_mds", "aml_type"), "antecedent MDS or MDS/MPN")
    label = "no blast threshold" if o.min_blasts is None else f"blasts >= {o.min_blasts:g}%"
    t.add(
        "blasts_met",
        _blasts_met(inputs, o.min_blasts, o.assume_blast_threshold_met),
        ("bm_blasts_pct",),
        label,
    )
    t.add("mr_cyto", Tri.any_of([inputs.flag(c) for c in mr_cyto], n), mr_cyto, "MR cytogenetics")
    t.add(
        "mr_genes", Tri.any_of([inputs.flag(c) for c in mr_genes], n), mr_genes, "MR gene mutation"
    )
    return t


def _mrc_criterion(t: Terms) -> Tri:
    """WHO 2016 AML-MRC criterion (other than a dysplasia count): MDS history or MR cytogenetics."""
    return t.mds | t.mr_cyto


def _aml_mr_criterion(t: Terms) -> Tri:
    """WHO 2022 AML-MR criterion: MDS history, an MR gene mutation or MR cytogenetics."""
    return t.mds | t.mr_genes | t.mr_cyto


def _blast_note(minimum: float | None) -> str:
    return f"bone-marrow blasts below {minimum:g}%"


def _not_npm1_rule(prefix: str) -> Rule:
    return Rule(
        f"{prefix}-not-NPM1",
        NOT_NPM1,
        "NPM1 not mutated (outside the toolkit's scope)",
        "",
        S_OURS,
        lambda t: ~t.npm1,
    )


def _recurrent_rule(prefix: str) -> Rule:
    return Rule(
        f"{prefix}-recurrent",
        OTHER_RECURRENT,
        "NPM1 with t(8;21), inv(16), t(15;17), t(9;11), KMT2A-r, t(6;9), inv(3) or t(9;22)",
        "the rearrangement defines the entity",
        S_OURS,
        lambda t: t.recurrent,
    )


def _blasts_rule(prefix: str, source: str) -> Rule:
    return Rule(
        f"{prefix}-blasts",
        BELOW_BLASTS,
        "bone-marrow blasts below the AML threshold",
        "",
        source,
        lambda t: ~t.blasts_met,
    )


def _npm1_rule(prefix: str, source: str) -> Rule:
    return Rule(f"{prefix}-NPM1", NPM1_AML, "AML with mutated NPM1", "", source, lambda t: t.npm1)


def _classify(
    frame: Any,
    system: str,
    declared: Sequence[Option],
    options: dict[str, Any],
    build: Callable[[Any], tuple[list[Rule], list[str], Sequence[str], Sequence[str]]],
    notes: Callable[[Terms, Any], list[tuple[str, np.ndarray]]],
) -> tuple[pd.DataFrame, list[Rule], Terms]:
    o = resolve_options(system, declared, options)
    frame = as_frame(frame, what=f"classify_{system}")
    rules, categories, mr_cyto, mr_genes = build(o)
    terms = _terms(frame, o, mr_cyto, mr_genes)
    out = walk(rules, terms, frame.index, categories, notes=notes(terms, o))
    return out[list(RESULT_COLUMNS)], rules, terms


# --- WHO 2016 (revised 4th edition, "WHO 2017") ---------------------------------------------------

WHO2017_OPTIONS = (
    Option("mrc_precedence", "npm1",
           "NPM1 with antecedent MDS or MDS-related cytogenetics: 'npm1' keeps AML with mutated "
           "NPM1, 'mrc' makes it AML-MRC (sources disagree, eln_guidelines.md D4)", ("npm1", "mrc")),
    Option("min_blasts", 20.0, "blasts (%) required for AML (20 in WHO 2016)"),
    Option("assume_blast_threshold_met", False,
           "treat a missing blast count as meeting min_blasts", (False, True)),
)  # fmt: skip


def _who2017_build(o: Any) -> tuple[list[Rule], list[str], Sequence[str], Sequence[str]]:
    rules = [
        _not_npm1_rule("WHO2016"),
        Rule("WHO2016-t-MN", T_MN, "therapy-related myeloid neoplasm", "", S_OURS,
             lambda t: t.therapy_related),
        _recurrent_rule("WHO2016"),
        _blasts_rule("WHO2016", S_D1),
    ]  # fmt: skip
    if o.mrc_precedence == "mrc":
        rules.append(
            Rule("WHO2016-MRC", AML_MRC, "antecedent MDS or MDS/MPN, or MDS-related cytogenetics",
                 "option mrc_precedence='mrc'", S_D2, _mrc_criterion)
        )  # fmt: skip
    rules.append(_npm1_rule("WHO2016", S_D1))
    return rules, list(CATEGORIES["who2017"]), WHO2016_MR_CYTO, ()


def _who2017_notes(t: Terms, o: Any) -> list[tuple[str, np.ndarray]]:
    npm1 = t.npm1.true
    other = "npm1" if o.mrc_precedence == "mrc" else "mrc"
    mrc = _mrc_criterion(t)
    reached = npm1 & ~t.therapy_related.true & ~t.recurrent.true & ~t.blasts_met.false
    blasts_missing = t.inputs.unknown("bm_blasts_pct")
    return [
        (_blast_note(o.min_blasts), npm1 & t.blasts_met.false),
        (f"precedence-dependent: AML-MRC criterion present (mrc_precedence={other!r} would change "
         "the class)", reached & mrc.true),
        ("MDS-related cytogenetics unknown", npm1 & t.mr_cyto.unknown),
        ("antecedent MDS or MDS/MPN", npm1 & t.mds.true),
        ("blast count missing, threshold assumed met",
         npm1 & blasts_missing & bool(o.assume_blast_threshold_met)),
    ]  # fmt: skip


def classify_who2017(
    frame: pd.DataFrame,
    *,
    mrc_precedence: str = "npm1",
    min_blasts: float = 20.0,
    assume_blast_threshold_met: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """WHO 2016 (revised 4th edition) diagnostic class of NPM1-mutated AML.

    Parameters
    ----------
    frame : pandas.DataFrame or Cohort
        Canonical table. Uses ``npm1``, ``bm_blasts_pct``, ``aml_type``, ``prior_mds``, the
        recurrent-rearrangement flags and the MDS-related cytogenetic flags (absent = unknown).
    mrc_precedence : {"npm1", "mrc"}
        Sources disagree whether an NPM1 mutation with antecedent MDS or MDS-related cytogenetics
        is "AML with mutated NPM1" (``"npm1"``, default) or "AML-MRC" (``"mrc"``). Patients for
        whom the choice matters are named in ``notes`` whichever is chosen.
    min_blasts : float
        Blast percentage required for AML (default 20).
    assume_blast_threshold_met : bool
        Treat a missing blast count as meeting ``min_blasts`` (e.g. a trial that enrolled AML only).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``frame``; columns ``category`` (ordered categorical), ``rule``,
        ``candidates``, ``notes``.
    """
    options.update(
        mrc_precedence=mrc_precedence,
        min_blasts=min_blasts,
        assume_blast_threshold_met=assume_blast_threshold_met,
    )
    out, _, _ = _classify(
        frame, "who2017", WHO2017_OPTIONS, options, _who2017_build, _who2017_notes
    )
    return out


# --- ICC 2022 ---------------------------------------------------------------------------------------

ICC_OPTIONS = (
    Option("min_blasts", 10.0, "blasts (%) required for AML with mutated NPM1 (10 in ICC 2022)"),
    Option("assume_blast_threshold_met", False,
           "treat a missing blast count as meeting min_blasts", (False, True)),
)  # fmt: skip


def _icc_build(o: Any) -> tuple[list[Rule], list[str], Sequence[str], Sequence[str]]:
    rules = [
        _not_npm1_rule("ICC"),
        _recurrent_rule("ICC"),
        _blasts_rule("ICC", S_D5),
        _npm1_rule("ICC", S_D5),
    ]
    return rules, list(CATEGORIES["icc2022"]), ICC_MR_CYTO, ICC_MR_GENES


def _icc_notes(t: Terms, o: Any) -> list[tuple[str, np.ndarray]]:
    npm1 = t.npm1.true
    return [
        (_blast_note(o.min_blasts), npm1 & t.blasts_met.false),
        ("qualifier: therapy-related", npm1 & t.therapy_related.true),
        ("qualifier: progressed from MDS or MDS/MPN", npm1 & t.mds.true),
        ("MDS history unknown", npm1 & t.mds.unknown),
        ("MR gene mutation or MR cytogenetics present (NPM1 takes precedence)",
         npm1 & (t.mr_genes | t.mr_cyto).true),
    ]  # fmt: skip


def classify_icc2022(
    frame: pd.DataFrame,
    *,
    min_blasts: float = 10.0,
    assume_blast_threshold_met: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """International Consensus Classification 2022 class of NPM1-mutated AML.

    AML with recurrent genetic abnormalities (NPM1 included) takes precedence over every other
    category (ICC hierarchy, eln_guidelines.md D6), so myelodysplasia-related gene mutations and
    cytogenetics, TP53 and MDS history never change the class of NPM1-mutated AML; MDS history and
    prior therapy are reported as ICC diagnostic qualifiers in ``notes``.

    Parameters
    ----------
    frame : pandas.DataFrame or Cohort
    min_blasts : float
        Blasts (%) required for AML with mutated NPM1 (default 10).
    assume_blast_threshold_met : bool
        Treat a missing blast count as meeting ``min_blasts``.

    Returns
    -------
    pandas.DataFrame
        Columns ``category``, ``rule``, ``candidates``, ``notes``.
    """
    options.update(min_blasts=min_blasts, assume_blast_threshold_met=assume_blast_threshold_met)
    out, _, _ = _classify(frame, "icc2022", ICC_OPTIONS, options, _icc_build, _icc_notes)
    return out


# --- WHO 2022 (5th edition) -------------------------------------------------------------------------

WHO2022_OPTIONS = (
    Option("mr_precedence", "npm1",
           "'npm1': AML with NPM1 mutation takes precedence over AML-MR (reviews, D9); 'aml_mr': "
           "AML-MR criteria override it", ("npm1", "aml_mr")),
    Option("min_blasts", None, "blast threshold (%); None applies none (WHO 2022 for NPM1)"),
    Option("assume_blast_threshold_met", False,
           "treat a missing blast count as meeting min_blasts", (False, True)),
)  # fmt: skip


def _who2022_build(o: Any) -> tuple[list[Rule], list[str], Sequence[str], Sequence[str]]:
    rules = [_not_npm1_rule("WHO2022"), _recurrent_rule("WHO2022")]
    if o.min_blasts is not None:
        rules.append(_blasts_rule("WHO2022", S_OURS))
    if o.mr_precedence == "aml_mr":
        rules.append(
            Rule("WHO2022-AML-MR", AML_MR, "MR gene mutation (8 genes, no RUNX1), MR cytogenetics "
                 "or antecedent MDS/MDS-MPN", "option mr_precedence='aml_mr'", S_D8,
                 _aml_mr_criterion)
        )  # fmt: skip
    rules.append(_npm1_rule("WHO2022", S_D8))
    return rules, list(CATEGORIES["who2022"]), WHO2022_MR_CYTO, WHO2022_MR_GENES


def _who2022_notes(t: Terms, o: Any) -> list[tuple[str, np.ndarray]]:
    npm1 = t.npm1.true
    other = "npm1" if o.mr_precedence == "aml_mr" else "aml_mr"
    mr = _aml_mr_criterion(t)
    notes = [
        ("post cytotoxic therapy", npm1 & t.therapy_related.true),
        ("antecedent MDS or MDS/MPN", npm1 & t.mds.true),
        ("MDS history unknown", npm1 & t.mds.unknown),
        (f"precedence-dependent: AML-MR criterion present (mr_precedence={other!r} would change "
         "the class)", npm1 & mr.true & ~t.recurrent.true & ~t.blasts_met.false),
    ]  # fmt: skip
    if o.min_blasts is not None:
        notes.insert(0, (_blast_note(o.min_blasts), npm1 & t.blasts_met.false))
    return notes


def classify_who2022(
    frame: pd.DataFrame,
    *,
    mr_precedence: str = "npm1",
    min_blasts: float | None = None,
    assume_blast_threshold_met: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """WHO 2022 (5th edition) class of NPM1-mutated AML.

    AML with NPM1 mutation has no blast cut-off in WHO 2022 (``min_blasts=None``). AML with
    defining genetic abnormalities takes precedence over AML, myelodysplasia-related (AML-MR) in
    the reviews read (eln_guidelines.md D9); ``mr_precedence="aml_mr"`` gives the other reading.
    Therapy-related disease is reported as "post cytotoxic therapy" in ``notes``.

    Parameters
    ----------
    frame : pandas.DataFrame or Cohort
    mr_precedence : {"npm1", "aml_mr"}
        Whether AML-MR criteria (8 MR genes without RUNX1, MR cytogenetics, MDS history) override
        the NPM1 class.
    min_blasts : float or None
        Blast threshold; None (default) applies none.
    assume_blast_threshold_met : bool
        Treat a missing blast count as meeting ``min_blasts``.

    Returns
    -------
    pandas.DataFrame
        Columns ``category``, ``rule``, ``candidates``, ``notes``.
    """
    options.update(
        mr_precedence=mr_precedence,
        min_blasts=min_blasts,
        assume_blast_threshold_met=assume_blast_threshold_met,
    )
    out, _, _ = _classify(
        frame, "who2022", WHO2022_OPTIONS, options, _who2022_build, _who2022_notes
    )
    return out


# --- explanations -----------------------------------------------------------------------------------

_SPECS = {
    "who2017": (WHO2017_OPTIONS, _who2017_build, _who2017_notes),
    "icc2022": (ICC_OPTIONS, _icc_build, _icc_notes),
    "who2022": (WHO2022_OPTIONS, _who2022_build, _who2022_notes),
}


def _explain(system: str, row: pd.Series | dict, options: dict[str, Any]) -> list[str]:
    one = pd.DataFrame([dict(row)])
    declared, build, notes = _SPECS[system]
    _, rules, terms = _classify(one, system, declared, options, build, notes)
    return explain_rules(rules, terms)


def explain_who2017(row: pd.Series | dict, **options: Any) -> list[str]:
    """The WHO 2016 rules considered for one patient, whether each applied, and the result."""
    return _explain("who2017", row, options)


def explain_icc2022(row: pd.Series | dict, **options: Any) -> list[str]:
    """The ICC 2022 rules considered for one patient, whether each applied, and the result."""
    return _explain("icc2022", row, options)


def explain_who2022(row: pd.Series | dict, **options: Any) -> list[str]:
    """The WHO 2022 rules considered for one patient, whether each applied, and the result."""
    return _explain("who2022", row, options)


def explain_patient(row: pd.Series | dict, system: str = "icc2022", **options: Any) -> list[str]:
    """The rules of ``system`` ("who2017", "icc2022" or "who2022") considered for one patient.

    Called by :func:`cohort.explain` with the system name.
    """
    if system not in _SPECS:
        raise ClassificationError(
            f"Unknown diagnostic system {system!r}; one of {', '.join(_SPECS)}."
        )
    return _explain(system, row, options)


CATEGORIES = {
    "who2017": (NPM1_AML, AML_MRC, T_MN, OTHER_RECURRENT, BELOW_BLASTS, NOT_NPM1),
    "icc2022": (NPM1_AML, OTHER_RECURRENT, BELOW_BLASTS, NOT_NPM1),
    "who2022": (NPM1_AML, AML_MR, OTHER_RECURRENT, BELOW_BLASTS, NOT_NPM1),
}
"""Categories of each system in order (read by :func:`cohort.stratify.categories`)."""

SYSTEMS = {
    "who2017": (classify_who2017, explain_who2017, WHO2017_OPTIONS),
    "icc2022": (classify_icc2022, explain_icc2022, ICC_OPTIONS),
    "who2022": (classify_who2022, explain_who2022, WHO2022_OPTIONS),
}
"""System name -> (classifier, explainer, declared options), for the registry."""


__all__ = [
    "AML_MR",
    "AML_MRC",
    "BELOW_BLASTS",
    "CATEGORIES",
    "NOT_NPM1",
    "NPM1_AML",
    "OTHER_RECURRENT",
    "SYSTEMS",
    "T_MN",
    "classify_icc2022",
    "classify_who2017",
    "classify_who2022",
    "explain_icc2022",
    "explain_patient",
    "explain_who2017",
    "explain_who2022",
]
