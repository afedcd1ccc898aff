"""ELN 2017 genetic risk stratification (Döhner et al., Blood 2017;129(4):424-447, Table 5).

The rows below are the published table in precedence order, each with its footnote and source; the
conditions are written over named terms so that :func:`cohort.explain` can show, for one patient,
which facts made each row apply or not. Where the table does not decide (ambiguities listed in
``/work/shared/docs/eln_guidelines.md`` §10 and in ``docs/classification.md``), the choice is a named
option with a documented default; :func:`cohort.stratify.options` lists them.

Missing inputs are never read as wild-type: a patient whose category depends on a missing value
gets no category and ``candidates`` lists the categories still possible.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cohort.stratify.inputs import Inputs
from cohort.stratify.logic import Tri
from cohort.stratify.rule_table import (
    ELN_CATEGORIES,
    NOT_APPLICABLE,
    Option,
    Rule,
    rows_condition,
)
from cohort.stratify.system import RuleSystem
from cohort.stratify.terms import Terms

SYSTEM = "eln2017"
CATEGORIES = ELN_CATEGORIES
SOURCE = "Döhner H et al. Blood 2017;129(4):424-447, Table 5"
SOURCE_FOOTNOTES = SOURCE + " (footnotes as reproduced in PMC7883114 Table 1)"

CYTOGENETIC_FLAGS = (
    "t_8_21", "inv_16", "t_15_17", "t_9_11", "kmt2a_r", "t_6_9", "t_9_22", "inv_3", "mecom_r",
    "t_8_16", "del_5q", "minus_7", "abn_17p", "complex_karyotype", "complex_karyotype_2022",
    "monosomal_karyotype",
)  # fmt: skip

OPTIONS: tuple[Option, ...] = (
    Option("flt3_itd_ar_threshold", 0.5,
           "FLT3-ITD allelic ratio (ITD/wild-type AUC) separating low from high (table note: high >= 0.5)."),
    Option("flt3_itd_ar_high_inclusive", True,
           "True: high means ratio >= threshold (Döhner 2017); False: > threshold (wording of one "
           "reproduction).", (True, False)),
    Option("unknown_ar", "undetermined",
           "FLT3-ITD present with unknown allelic ratio: 'undetermined' leaves the patient between the "
           "possible categories; 'high' or 'low' assume that ratio (noted per patient).",
           ("undetermined", "high", "low")),
    Option("tp53_with_favorable", "adverse",
           "TP53 mutation with a favorable subtype (CBF, NPM1 without FLT3-ITD^high, biallelic CEBPA): "
           "no footnote exempts TP53, so 'adverse' (default); 'favorable' keeps the subtype; "
           "'undetermined' abstains with candidates favorable|adverse.",
           ("adverse", "favorable", "undetermined")),
    Option("cbf_with_adverse_cytogenetics", "favorable",
           "t(8;21)/inv(16) with an adverse cytogenetic lesion (e.g. -7): 'favorable' (CK and MK "
           "exclude CBF AML; the fusion defines the entity) or 'adverse'.",
           ("favorable", "adverse")),
    Option("npm1_cebpa_with_adverse_cytogenetics", "adverse",
           "NPM1-mutated (FLT3-ITD negative or low) or biallelic-CEBPA AML with adverse cytogenetics "
           "(rows A1-A6): 'adverse' (default; worst wins for a non-CBF favorable row, as in the "
           "curated Beat AML and UK-NCRI ELN 2017 labels and as ELN 2022 footnote § made explicit) "
           "or 'row' (the literal 2017 table: the NPM1/CEBPA row).", ("adverse", "row")),
    Option("npm1_itd_high_with_adverse_cytogenetics", "adverse",
           "Mutated NPM1 with FLT3-ITD^high and adverse cytogenetics (rows A1-A6): 'adverse' "
           "(default, as for NPM1/ITD^high with RUNX1, ASXL1 or TP53) or 'intermediate' (the literal "
           "row I1).", ("adverse", "intermediate")),
    Option("npm1_itd_high_with_adverse_genes", "adverse",
           "Mutated NPM1 with FLT3-ITD^high and a RUNX1, ASXL1 or TP53 mutation: the RUNX1/ASXL1 "
           "exemption covers favorable subtypes only, so 'adverse' (default) or 'intermediate' "
           "(row match).", ("adverse", "intermediate")),
    Option("t911_over_adverse_cytogenetics", False,
           "t(9;11) with -5/del(5q), -7 or -17/abn(17p): the footnote gives t(9;11) precedence over "
           "adverse gene mutations only, so False (default: adverse); True: intermediate.",
           (True, False)),
    Option("t911_over_tp53", True,
           "t(9;11) with a TP53 mutation: True (default) counts TP53 among the 'rare, concurrent "
           "adverse-risk gene mutations' t(9;11) takes precedence over; False: adverse.",
           (True, False)),
    Option("apl", "exclude",
           "t(15;17) (APL) is outside the ELN tables: 'exclude' returns no category with rule "
           "ELN2017-APL; 'ignore' classifies by the other rows.", ("exclude", "ignore")),
    Option("use_normal_karyotype", True,
           "A missing cytogenetic flag reads absent when normal_karyotype is True.", (True, False)),
)  # fmt: skip


def _cond(flag: bool, t: Terms, fn) -> Tri:
    return fn(t) if flag else Tri.const(False, t.n)


def add_cytogenetic_terms(t: Terms) -> None:
    """The cytogenetic terms shared by the ELN 2017 rows (and the Eisfeld 2020 refinement)."""
    t.flag("t_8_21", "t(8;21)")
    t.flag("inv_16", "inv(16)/t(16;16)")
    t.derive("cbf", "core-binding-factor fusion", lambda t: t.t_8_21 | t.inv_16)
    t.flag("t_9_11", "t(9;11)")
    t.flag("t_15_17", "t(15;17)")
    t.flag("t_6_9", "t(6;9)")
    t.flag("kmt2a_r", "t(v;11q23.3) KMT2A rearranged")
    t.flag("t_9_22", "t(9;22)")
    t.flag("inv_3", "inv(3)/t(3;3)")
    t.flag("del_5q", "-5/del(5q)")
    t.flag("minus_7", "-7")
    t.flag("abn_17p", "-17/abn(17p)")
    t.derive("a5", "-5/del(5q), -7 or -17/abn(17p)", lambda t: t.del_5q | t.minus_7 | t.abn_17p)
    t.flag("complex_karyotype", "complex karyotype")
    t.flag("monosomal_karyotype", "monosomal karyotype")
    t.derive(
        "a6",
        "complex or monosomal karyotype",
        lambda t: t.complex_karyotype | t.monosomal_karyotype,
    )
    t.derive(
        "adverse_cytogenetics",
        "adverse cytogenetics (rows A1-A6)",
        lambda t: t.t_6_9 | t.kmt2a_r | t.t_9_22 | t.inv_3 | t.a5 | t.a6,
    )


def add_flt3_terms(t: Terms, o: Any) -> None:
    """FLT3-ITD and its allelic ratio (table note AR)."""
    t.flag("npm1", "NPM1 mutated")
    t.flag("flt3_itd", "FLT3-ITD present")
    op = ">=" if o.flt3_itd_ar_high_inclusive else ">"
    ratio = t.inputs.compare("flt3_itd_ar", op, o.flt3_itd_ar_threshold)
    if o.unknown_ar == "high":
        ratio = Tri(ratio.true | ratio.unknown, ratio.false)
    elif o.unknown_ar == "low":
        ratio = Tri(ratio.true, ratio.false | ratio.unknown)
    t.add(
        "ar_high",
        ratio,
        ("flt3_itd_ar",),
        f"FLT3-ITD allelic ratio {op} {o.flt3_itd_ar_threshold:g}",
    )
    t.derive("itd_high", "FLT3-ITD^high", lambda t: t.flt3_itd & t.ar_high)
    t.derive("itd_low_or_none", "no FLT3-ITD or FLT3-ITD^low", lambda t: ~t.itd_high)


def make_inputs(frame: pd.DataFrame, o: Any) -> Inputs:
    """The cohort's columns as read by the ELN 2017 rows."""
    return Inputs(
        frame, use_normal_karyotype=o.use_normal_karyotype, cytogenetic_flags=CYTOGENETIC_FLAGS
    )


def add_option_gates(t: Terms, o: Any) -> None:
    """The constant terms that switch the option rows on or off: ``opt_apl`` (row APL, option
    ``apl``) and, for a system with option ``tp53_with_favorable``, ``opt_tp53_undetermined``
    (row TP53?). Shared by the ELN 2017, 2022 and 2024 tables."""
    t.const("opt_apl", o.apl == "exclude", "option apl='exclude'")
    if hasattr(o, "tp53_with_favorable"):
        t.const(
            "opt_tp53_undetermined",
            o.tp53_with_favorable == "undetermined",
            "option tp53_with_favorable='undetermined'",
        )


def build_terms(inputs: Inputs, o: Any) -> Terms:
    t = Terms(inputs)
    add_cytogenetic_terms(t)
    add_flt3_terms(t, o)
    t.flag("cebpa_biallelic", "biallelic CEBPA")
    t.flag("runx1", "RUNX1 mutated")
    t.flag("asxl1", "ASXL1 mutated")
    t.flag("tp53", "TP53 mutated")
    t.add(
        "abnormal_karyotype",
        ~t.inputs.flag("normal_karyotype"),
        ("normal_karyotype",),
        "abnormal karyotype",
    )
    t.derive(
        "favorable_subtype",
        "favorable subtype (CBF, NPM1 without FLT3-ITD^high, biallelic CEBPA)",
        lambda t: t.cbf | (t.npm1 & t.itd_low_or_none) | t.cebpa_biallelic,
    )
    t.derive(
        "tp53_overrides_favorable",
        "TP53 mutated (option tp53_with_favorable='adverse')",
        lambda t: _cond(o.tp53_with_favorable == "adverse", t, lambda t: t.tp53),
    )
    t.derive(
        "cyto_overrides_cbf",
        "adverse cytogenetics (option cbf_with_adverse_cytogenetics='adverse')",
        lambda t: _cond(
            o.cbf_with_adverse_cytogenetics == "adverse", t, lambda t: t.adverse_cytogenetics
        ),
    )
    t.derive(
        "cyto_overrides_npm1_cebpa",
        "adverse cytogenetics outrank the NPM1/CEBPA row "
        f"(option npm1_cebpa_with_adverse_cytogenetics={o.npm1_cebpa_with_adverse_cytogenetics!r})",
        lambda t: _cond(
            o.npm1_cebpa_with_adverse_cytogenetics == "adverse", t, lambda t: t.adverse_cytogenetics
        ),
    )
    t.derive(
        "cyto_overrides_npm1_itd_high",
        "adverse cytogenetics outrank row I1 (option "
        f"npm1_itd_high_with_adverse_cytogenetics={o.npm1_itd_high_with_adverse_cytogenetics!r})",
        lambda t: _cond(
            o.npm1_itd_high_with_adverse_cytogenetics == "adverse",
            t,
            lambda t: t.adverse_cytogenetics,
        ),
    )
    t.derive(
        "genes_override_npm1_itd_high",
        "RUNX1, ASXL1 or TP53 mutated (option npm1_itd_high_with_adverse_genes='adverse')",
        lambda t: _cond(
            o.npm1_itd_high_with_adverse_genes == "adverse", t, lambda t: t.runx1 | t.asxl1 | t.tp53
        ),
    )
    t.derive(
        "t911_overridden",
        "lesion t(9;11) does not take precedence over (options t911_over_*)",
        lambda t: (
            _cond(not o.t911_over_adverse_cytogenetics, t, lambda t: t.adverse_cytogenetics)
            | _cond(not o.t911_over_tp53, t, lambda t: t.tp53)
        ),
    )
    t.derive(
        "adverse_lesion",
        "any adverse-risk genetic lesion (rows A1-A10)",
        lambda t: t.adverse_cytogenetics | (~t.npm1 & t.itd_high) | t.runx1 | t.asxl1 | t.tp53,
    )
    conflict_terms(t)
    add_option_gates(t, o)
    return t  # fmt: skip


def _row(
    id_: str, category, text: str, footnote: str, when, source: str = SOURCE, gate: str = ""
) -> Rule:
    return Rule(id_, category, text, footnote, source, when, gate)


FAV, INT, ADV = ELN_CATEGORIES
AR_NOTE = (
    "AR: low < 0.5, high >= 0.5; ratio of the AUC 'FLT3-ITD' to the AUC 'FLT3-wild type' by DNA "
    "fragment analysis"
)
RUNX1_ASXL1_NOTE = (
    "RUNX1/ASXL1: 'These markers should not be used as an adverse prognostic marker if they co-occur "
    "with favorable-risk AML subtypes' (rows A8/A9 come after the favorable rows)"
)

# Precedence order. Exclusions imposed by footnotes or options are written as named terms.
RULES: tuple[Rule, ...] = (
    _row("ELN2017-APL", NOT_APPLICABLE,
         "t(15;17)(q24;q21); PML-RARA: acute promyelocytic leukemia is outside the ELN risk table",
         "option apl", lambda t: t.t_15_17, "cohort: option 'apl'", gate="opt_apl"),
    _row("ELN2017-TP53?", (FAV, ADV),
         "Favorable subtype with mutated TP53: left undetermined by option",
         "option tp53_with_favorable='undetermined'", lambda t: t.favorable_subtype & t.tp53,
         "cohort: option", gate="opt_tp53_undetermined"),
    _row("ELN2017-F1", FAV, "t(8;21)(q22;q22.1); RUNX1-RUNX1T1", "",
         lambda t: t.t_8_21 & ~t.tp53_overrides_favorable & ~t.cyto_overrides_cbf),
    _row("ELN2017-F2", FAV, "inv(16)(p13.1q22) or t(16;16)(p13.1;q22); CBFB-MYH11", "",
         lambda t: t.inv_16 & ~t.tp53_overrides_favorable & ~t.cyto_overrides_cbf),
    _row("ELN2017-F3", FAV, "Mutated NPM1 without FLT3-ITD or with FLT3-ITD^low", AR_NOTE,
         lambda t: t.npm1 & t.itd_low_or_none & ~t.tp53_overrides_favorable
         & ~t.cyto_overrides_npm1_cebpa),
    _row("ELN2017-F4", FAV, "Biallelic mutated CEBPA", "",
         lambda t: t.cebpa_biallelic & ~t.tp53_overrides_favorable & ~t.cyto_overrides_npm1_cebpa),
    _row("ELN2017-I1", INT, "Mutated NPM1 and FLT3-ITD^high", AR_NOTE,
         lambda t: t.npm1 & t.itd_high & ~t.genes_override_npm1_itd_high
         & ~t.cyto_overrides_npm1_itd_high),
    _row("ELN2017-I3", INT, "t(9;11)(p21.3;q23.3); MLLT3-KMT2A",
         "'The presence of t(9;11)(p21.3;q23.3) takes precedence over rare, concurrent adverse-risk "
         "gene mutations.'",
         lambda t: t.t_9_11 & ~t.t911_overridden),
    _row("ELN2017-A1", ADV, "t(6;9)(p23;q34.1); DEK-NUP214", "", lambda t: t.t_6_9),
    _row("ELN2017-A2", ADV, "t(v;11q23.3); KMT2A rearranged", "", lambda t: t.kmt2a_r),
    _row("ELN2017-A3", ADV, "t(9;22)(q34.1;q11.2); BCR-ABL1", "", lambda t: t.t_9_22),
    _row("ELN2017-A4", ADV, "inv(3)(q21.3q26.2) or t(3;3)(q21.3;q26.2); GATA2, MECOM(EVI1)", "",
         lambda t: t.inv_3),
    _row("ELN2017-A5", ADV, "-5 or del(5q); -7; -17/abn(17p)", "", lambda t: t.a5),
    _row("ELN2017-A6", ADV, "Complex karyotype, monosomal karyotype",
         "CK: three or more unrelated chromosome abnormalities in the absence of one of the "
         "WHO-designated recurring translocations or inversions; MK: one single monosomy (excluding "
         "loss of X or Y) with at least one additional monosomy or structural abnormality (excluding "
         "CBF AML)", lambda t: t.a6, SOURCE_FOOTNOTES),
    _row("ELN2017-A7", ADV, "Wild-type NPM1 and FLT3-ITD^high", AR_NOTE,
         lambda t: ~t.npm1 & t.itd_high),
    _row("ELN2017-A8", ADV, "Mutated RUNX1", RUNX1_ASXL1_NOTE, lambda t: t.runx1, SOURCE_FOOTNOTES),
    _row("ELN2017-A9", ADV, "Mutated ASXL1", RUNX1_ASXL1_NOTE, lambda t: t.asxl1, SOURCE_FOOTNOTES),
    _row("ELN2017-A10", ADV, "Mutated TP53",
         "'TP53 mutations are significantly associated with AML with complex and monosomal "
         "karyotype' (no VAF threshold in 2017)", lambda t: t.tp53, SOURCE_FOOTNOTES),
    _row("ELN2017-I4", INT, "Cytogenetic abnormalities not classified as favorable or adverse",
         "checked before I2 so that an abnormal karyotype is reported by its own row",
         lambda t: t.abnormal_karyotype),
    _row("ELN2017-I2", INT,
         "Wild-type NPM1 without FLT3-ITD or with FLT3-ITD^low (without adverse-risk genetic lesions)",
         AR_NOTE, lambda t: ~t.npm1 & t.itd_low_or_none & ~t.adverse_lesion),
)  # fmt: skip


def flt3_notes(t: Terms, o: Any) -> list[tuple[str, Any]]:
    ratio_unknown = t.flt3_itd.true & t.inputs.unknown("flt3_itd_ar")
    if o.unknown_ar == "undetermined":
        return [("FLT3-ITD present, allelic ratio unknown", ratio_unknown)]
    return [
        (
            f"FLT3-ITD allelic ratio unknown, assumed {o.unknown_ar} (option unknown_ar)",
            ratio_unknown,
        )
    ]


#: Conflicts the 2017 table does not settle, with the option that decides each and, per choice, the
#: outcome. Every patient with a conflict gets a note naming the option, its value and whether that
#: value is the default ("Every patient moved by a default or option gets a note").
CONFLICTS: tuple[tuple[str, str, str, dict[Any, str]], ...] = (
    ("npm1_cebpa_adverse_cyto",
     "NPM1 mutated (FLT3-ITD negative/low) or biallelic CEBPA with adverse cytogenetics",
     "npm1_cebpa_with_adverse_cytogenetics",
     {"adverse": "adverse, not row F3/F4", "row": "row F3/F4 kept (favorable)"}),
    ("npm1_itd_high_adverse_cyto", "NPM1 mutated with FLT3-ITD^high and adverse cytogenetics",
     "npm1_itd_high_with_adverse_cytogenetics",
     {"adverse": "adverse, not row I1", "intermediate": "row I1 kept (intermediate)"}),
    ("npm1_itd_high_adverse_gene", "NPM1 mutated with FLT3-ITD^high and RUNX1, ASXL1 or TP53",
     "npm1_itd_high_with_adverse_genes",
     {"adverse": "adverse, not row I1", "intermediate": "row I1 kept (intermediate)"}),
    ("favorable_tp53", "favorable subtype with mutated TP53", "tp53_with_favorable",
     {"adverse": "adverse (row A10)", "favorable": "favorable row kept",
      "undetermined": "left undetermined"}),
    ("cbf_adverse_cyto", "t(8;21)/inv(16) with adverse cytogenetics",
     "cbf_with_adverse_cytogenetics",
     {"favorable": "CBF row kept (favorable)", "adverse": "adverse, not row F1/F2"}),
    ("t911_adverse_cyto", "t(9;11) with adverse cytogenetics", "t911_over_adverse_cytogenetics",
     {False: "adverse, not row I3", True: "row I3 kept (intermediate)"}),
    ("t911_tp53", "t(9;11) with mutated TP53", "t911_over_tp53",
     {True: "row I3 kept (intermediate)", False: "adverse, not row I3"}),
)  # fmt: skip


def conflict_terms(t: Terms) -> None:
    """The conflicts of :data:`CONFLICTS` as terms (independent of the options)."""
    npm1_low = t.npm1 & t.itd_low_or_none
    t.add(
        "npm1_cebpa_adverse_cyto",
        (npm1_low | t.cebpa_biallelic) & ~t.cbf & t.adverse_cytogenetics,
        (),
        "",
    )
    t.add(
        "npm1_itd_high_adverse_cyto", t.npm1 & t.itd_high & ~t.cbf & t.adverse_cytogenetics, (), ""
    )
    t.add(
        "npm1_itd_high_adverse_gene",
        t.npm1 & t.itd_high & ~t.cbf & (t.runx1 | t.asxl1 | t.tp53),
        (),
        "",
    )
    t.add("favorable_tp53", t.favorable_subtype & t.tp53, (), "")
    t.add("cbf_adverse_cyto", t.cbf & t.adverse_cytogenetics, (), "")
    t.add("t911_adverse_cyto", t.t_9_11 & t.adverse_cytogenetics, (), "")
    t.add("t911_tp53", t.t_9_11 & t.tp53, (), "")  # fmt: skip


def conflict_notes(t: Terms, o: Any) -> list[tuple[str, Any]]:
    """One note per conflict present: what was decided and by which option value."""
    defaults = {opt.name: opt.default for opt in OPTIONS}
    out = []
    for term, what, option, outcomes in CONFLICTS:
        value = getattr(o, option)
        kind = "default" if value == defaults[option] else "option"
        out.append((f"{what}: {outcomes[value]} ({kind} {option}={value!r})",
                    getattr(t, term).true))  # fmt: skip
    return out


FAVORABLE_ROWS = ("ELN2017-F1", "ELN2017-F2", "ELN2017-F3", "ELN2017-F4")


def notes(t: Terms, o: Any) -> list[tuple[str, Any]]:
    """The per-patient notes; a note about the patients of a row reads that row (the rows are
    those of :data:`RULES`, which the Eisfeld 2020 refinement keeps)."""
    fav_rows = rows_condition(RULES, FAVORABLE_ROWS, t)
    t911_kept = rows_condition(RULES, ("ELN2017-I3",), t)
    out = flt3_notes(t, o)
    out.extend(conflict_notes(t, o))
    out.append(
        (
            "RUNX1/ASXL1 mutation not used: favorable subtype (footnote)",
            fav_rows.true & (t.runx1 | t.asxl1).true,
        )
    )
    out.append(
        (
            "t(9;11) takes precedence over a concurrent adverse gene mutation (footnote)",
            t911_kept.true & (t.runx1 | t.asxl1 | t.tp53).true,
        )
    )
    return out  # fmt: skip


RULE_SYSTEM = RuleSystem(SYSTEM, OPTIONS, RULES, CATEGORIES, make_inputs, build_terms, notes)
"""The parts of the system, assembled (:class:`~cohort.stratify.system.RuleSystem`)."""


def classify_eln2017(frame: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """ELN 2017 genetic risk category of every patient.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical table. Reads npm1, flt3_itd, flt3_itd_ar, cebpa_biallelic, runx1, asxl1, tp53 and
        the cytogenetic flags; an absent column is all unknown.
    **options
        See :func:`cohort.stratify.options` (``"eln2017"``) or :data:`OPTIONS`.

    Returns
    -------
    pandas.DataFrame
        ``category`` (favorable/intermediate/adverse, missing when undetermined), ``rule``,
        ``candidates``, ``notes``; indexed like ``frame``.
    """
    return RULE_SYSTEM.classify(frame, options)


def explain_patient(row: pd.Series, result: Any = None, **options: Any) -> list[str]:
    """The ELN 2017 rows considered for one patient and why each did or did not apply."""
    return RULE_SYSTEM.explain(row, result, options)
