"""ELN 2022 genetic risk classification at initial diagnosis (Döhner et al., Blood 2022;140(12):
1345-1377, Table 6; footnote texts as expanded in BMJ Best Practice and Jentzsch et al. 2022).

Rows are in precedence order with their footnotes; footnotes that move patients are conditions:
‡ CBF fusions stay favorable whatever KIT/FLT3 (those genes are not read); § NPM1 with adverse
cytogenetics is adverse; ¶ t(9;11) takes precedence over rare concurrent adverse gene mutations;
‡‡ myelodysplasia-related gene mutations do not make a favorable subtype adverse (their row comes
after the favorable rows); a: TP53 needs VAF >= 10%. The FLT3-ITD allelic ratio is not used.
Ambiguities are options (:data:`OPTIONS`, ``docs/classification.md``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cohort.stratify import eln2017
from cohort.stratify.eln2017 import CYTOGENETIC_FLAGS
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

SYSTEM = "eln2022"
CATEGORIES = ELN_CATEGORIES
SOURCE = "Döhner H et al. Blood 2022;140(12):1345-1377, Table 6"
SOURCE_FN = SOURCE + " (footnotes as expanded in BMJ Best Practice 'Criteria' and Jentzsch 2022)"
FAV, INT, ADV = ELN_CATEGORIES
MR_GENES = ("asxl1", "bcor", "ezh2", "runx1", "sf3b1", "srsf2", "stag2", "u2af1", "zrsr2")

OPTIONS: tuple[Option, ...] = (
    Option("tp53_vaf_threshold", 0.10,
           "TP53 is adverse when its variant allele fraction (0-1 scale) is at least this (footnote a)."),
    Option("tp53_vaf_unknown", "undetermined",
           "TP53 mutated with unknown VAF: 'undetermined' (default), 'adverse' (assume >= threshold) "
           "or 'not_adverse' (assume below); assumptions are noted per patient.",
           ("undetermined", "adverse", "not_adverse")),
    Option("tp53_with_favorable", "adverse",
           "Adverse TP53 (VAF >= threshold) with a favorable subtype: 'adverse' (no footnote exempts "
           "TP53), 'favorable', or 'undetermined' (abstain).", ("adverse", "favorable", "undetermined")),
    Option("cbf_with_adverse_cytogenetics", "favorable",
           "t(8;21)/inv(16) with -5/del(5q), -7, -17/abn(17p): 'favorable' (CK/MK exclude CBF; the "
           "fusion defines the entity) or 'adverse'.", ("favorable", "adverse")),
    Option("cebpa_with_adverse_cytogenetics", "adverse",
           "bZIP CEBPA with adverse cytogenetics: 'adverse' (by analogy with § for NPM1; no footnote "
           "protects CEBPA) or 'favorable'.", ("adverse", "favorable")),
    Option("npm1_itd_with_adverse_genes", "adverse",
           "Mutated NPM1 with FLT3-ITD and an adverse gene (TP53 VAF >= threshold or an MR gene): the "
           "‡‡ exemption covers favorable subtypes only, so 'adverse' (default) or 'intermediate'.",
           ("adverse", "intermediate")),
    Option("t911_over_adverse_cytogenetics", False,
           "t(9;11) with -5/del(5q), -7 or -17/abn(17p): False (default, adverse: ¶ covers gene "
           "mutations only); True: intermediate.", (True, False)),
    Option("t911_over_tp53", True,
           "t(9;11) with adverse TP53: True (default) counts TP53 among the gene mutations of ¶; "
           "False: adverse.", (True, False)),
    Option("complex_karyotype_column", "auto",
           "Column for the ELN 2022 complex karyotype (hyperdiploid exclusion): 'auto' uses "
           "complex_karyotype_2022 when present, else complex_karyotype (noted).",
           ("auto", "complex_karyotype_2022", "complex_karyotype")),
    Option("apl", "exclude",
           "t(15;17) (APL) is outside the ELN tables: 'exclude' (rule ELN2022-APL, no category) or "
           "'ignore'.", ("exclude", "ignore")),
    Option("use_normal_karyotype", True,
           "A missing cytogenetic flag reads absent when normal_karyotype is True.", (True, False)),
)  # fmt: skip


def _cond(flag: bool, t: Terms, fn) -> Tri:
    return fn(t) if flag else Tri.const(False, t.n)


def _complex_2022(t: Terms, o: Any) -> tuple[Tri, tuple[str, ...], bool]:
    """The ELN 2022 complex-karyotype term, its columns, and whether the 2017 flag stood in."""
    inputs = t.inputs
    ck17 = inputs.flag("complex_karyotype")
    choice = o.complex_karyotype_column
    if choice == "auto":
        choice = (
            "complex_karyotype_2022"
            if inputs.has("complex_karyotype_2022")
            else "complex_karyotype"
        )
    if choice == "complex_karyotype":
        return ck17, ("complex_karyotype",), True
    ck22 = inputs.flag("complex_karyotype_2022")
    # The 2022 definition is the 2017 one minus hyperdiploid karyotypes, so "not complex" by 2017
    # implies "not complex" by 2022 for a row whose 2022 flag is missing.
    return (
        Tri(ck22.true, ck22.false | (ck22.unknown & ck17.false)),
        (
            "complex_karyotype_2022",
            "complex_karyotype",
        ),
        False,
    )


def make_inputs(frame: pd.DataFrame, o: Any) -> Inputs:
    """The cohort's columns as read by the ELN 2022 rows."""
    return Inputs(
        frame, use_normal_karyotype=o.use_normal_karyotype, cytogenetic_flags=CYTOGENETIC_FLAGS
    )


def build_terms(inputs: Inputs, o: Any) -> Terms:
    t = Terms(inputs)
    for name, label in [
        ("t_8_21", "t(8;21)"),
        ("inv_16", "inv(16)/t(16;16)"),
        ("t_9_11", "t(9;11)"),
        ("t_15_17", "t(15;17)"),
        ("t_6_9", "t(6;9)"),
        ("kmt2a_r", "t(v;11q23.3) KMT2A rearranged"),
        ("t_9_22", "t(9;22)"),
        ("t_8_16", "t(8;16)"),
        ("inv_3", "inv(3)/t(3;3)"),
        ("mecom_r", "t(3q26.2;v) MECOM rearranged"),
        ("del_5q", "-5/del(5q)"),
        ("minus_7", "-7"),
        ("abn_17p", "-17/abn(17p)"),
        ("monosomal_karyotype", "monosomal karyotype"),
        ("npm1", "NPM1 mutated"),
        ("flt3_itd", "FLT3-ITD present"),
        ("cebpa_bzip", "bZIP in-frame CEBPA"),
        ("tp53", "TP53 mutated"),
    ]:
        t.flag(name, label)
    ck, ck_cols, fallback = _complex_2022(t, o)
    t.add(
        "complex_karyotype",
        ck,
        ck_cols,
        "complex karyotype (2017 definition)"
        if fallback
        else "complex karyotype (2022 definition)",
    )
    t.ck_fallback = fallback
    for gene in MR_GENES:
        t.flag(gene, f"{gene.upper()} mutated")
    t.derive("cbf", "core-binding-factor fusion", lambda t: t.t_8_21 | t.inv_16)
    t.derive("a7", "-5/del(5q), -7 or -17/abn(17p)", lambda t: t.del_5q | t.minus_7 | t.abn_17p)
    t.derive(
        "a8",
        "complex or monosomal karyotype",
        lambda t: t.complex_karyotype | t.monosomal_karyotype,
    )
    t.derive(
        "adverse_cytogenetics",
        "adverse cytogenetics (rows A1-A8)",
        lambda t: t.t_6_9 | t.kmt2a_r | t.t_9_22 | t.t_8_16 | t.inv_3 | t.mecom_r | t.a7 | t.a8,
    )
    t.derive(
        "mr_gene",
        "myelodysplasia-related gene mutated (ASXL1, BCOR, EZH2, RUNX1, SF3B1, SRSF2, "
        "STAG2, U2AF1, ZRSR2)",
        lambda t: Tri.any_of([getattr(t, g) for g in MR_GENES], t.n),
    )
    vaf = t.inputs.compare("tp53_vaf", ">=", o.tp53_vaf_threshold)
    if o.tp53_vaf_unknown == "adverse":
        vaf = Tri(vaf.true | vaf.unknown, vaf.false)
    elif o.tp53_vaf_unknown == "not_adverse":
        vaf = Tri(vaf.true, vaf.false | vaf.unknown)
    t.add("tp53_vaf_high", vaf, ("tp53_vaf",), f"TP53 VAF >= {o.tp53_vaf_threshold:g}")
    t.derive(
        "tp53_adverse", "TP53 mutated with VAF >= threshold", lambda t: t.tp53 & t.tp53_vaf_high
    )
    t.const("always", True, "no other row applies")
    t.derive(
        "favorable_subtype",
        "favorable subtype (CBF, NPM1 without FLT3-ITD, bZIP CEBPA)",
        lambda t: t.cbf | (t.npm1 & ~t.flt3_itd) | t.cebpa_bzip,
    )
    t.derive(
        "tp53_overrides_favorable",
        "adverse TP53 (option tp53_with_favorable='adverse')",
        lambda t: _cond(o.tp53_with_favorable == "adverse", t, lambda t: t.tp53_adverse),
    )
    t.derive(
        "cyto_overrides_cbf",
        "adverse cytogenetics (option cbf_with_adverse_cytogenetics='adverse')",
        lambda t: _cond(
            o.cbf_with_adverse_cytogenetics == "adverse", t, lambda t: t.adverse_cytogenetics
        ),
    )
    t.derive(
        "cyto_overrides_cebpa",
        "adverse cytogenetics (option cebpa_with_adverse_cytogenetics)",
        lambda t: _cond(
            o.cebpa_with_adverse_cytogenetics == "adverse", t, lambda t: t.adverse_cytogenetics
        ),
    )
    t.derive(
        "genes_override_npm1_itd",
        "adverse TP53 or MR gene (option npm1_itd_with_adverse_genes)",
        lambda t: _cond(
            o.npm1_itd_with_adverse_genes == "adverse", t, lambda t: t.tp53_adverse | t.mr_gene
        ),
    )
    t.derive(
        "t911_overridden",
        "lesion t(9;11) does not take precedence over (options t911_over_*)",
        lambda t: (
            _cond(not o.t911_over_adverse_cytogenetics, t, lambda t: t.adverse_cytogenetics)
            | _cond(not o.t911_over_tp53, t, lambda t: t.tp53_adverse)
        ),
    )
    t.derive(
        "adverse_lesion",
        "any adverse-risk genetic lesion (rows A1-A10)",
        lambda t: t.adverse_cytogenetics | t.mr_gene | t.tp53_adverse,
    )
    eln2017.add_option_gates(t, o)
    return t  # fmt: skip


def _row(
    id_: str, category, text: str, footnote: str, when, source: str = SOURCE, gate: str = ""
) -> Rule:
    return Rule(id_, category, text, footnote, source, when, gate)


CBF_NOTE = "‡: concurrent KIT and/or FLT3 mutation does not alter risk categorization"
NPM1_NOTE = ("§: 'AML with NPM1 mutation and adverse-risk cytogenetic abnormalities are categorized as "
             "adverse risk'")  # fmt: skip
MR_NOTE = ("‡‡: these markers 'should not be used as adverse prognostic markers if they co-occur with "
           "favorable-risk AML subtypes'")  # fmt: skip

RULES: tuple[Rule, ...] = (
    _row("ELN2022-APL", NOT_APPLICABLE,
         "t(15;17)(q24;q21); PML::RARA: acute promyelocytic leukemia is outside the ELN risk table",
         "option apl", lambda t: t.t_15_17, "cohort: option 'apl'", gate="opt_apl"),
    _row("ELN2022-TP53?", (FAV, ADV), "Favorable subtype with adverse TP53: left undetermined by option",
         "option tp53_with_favorable='undetermined'", lambda t: t.favorable_subtype & t.tp53_adverse,
         "cohort: option", gate="opt_tp53_undetermined"),
    _row("ELN2022-F1", FAV, "t(8;21)(q22;q22.1)/RUNX1::RUNX1T1", CBF_NOTE,
         lambda t: t.t_8_21 & ~t.tp53_overrides_favorable & ~t.cyto_overrides_cbf, SOURCE_FN),
    _row("ELN2022-F2", FAV, "inv(16)(p13.1q22) or t(16;16)(p13.1;q22)/CBFB::MYH11", CBF_NOTE,
         lambda t: t.inv_16 & ~t.tp53_overrides_favorable & ~t.cyto_overrides_cbf, SOURCE_FN),
    _row("ELN2022-F3", FAV, "Mutated NPM1 without FLT3-ITD", NPM1_NOTE,
         lambda t: t.npm1 & ~t.flt3_itd & ~t.adverse_cytogenetics & ~t.tp53_overrides_favorable,
         SOURCE_FN),
    _row("ELN2022-F4", FAV, "bZIP in-frame mutated CEBPA",
         "‖: only in-frame mutations in the bZIP region, mono- or biallelic",
         lambda t: t.cebpa_bzip & ~t.tp53_overrides_favorable & ~t.cyto_overrides_cebpa, SOURCE_FN),
    _row("ELN2022-I1", INT, "Mutated NPM1 with FLT3-ITD", NPM1_NOTE,
         lambda t: t.npm1 & t.flt3_itd & ~t.adverse_cytogenetics & ~t.genes_override_npm1_itd,
         SOURCE_FN),
    _row("ELN2022-I3", INT, "t(9;11)(p21.3;q23.3)/MLLT3::KMT2A",
         "¶: 't(9;11)(p21.3;q23.3) takes precedence over rare, concurrent adverse-risk gene mutations'",
         lambda t: t.t_9_11 & ~t.t911_overridden, SOURCE_FN),
    _row("ELN2022-A1", ADV, "t(6;9)(p23.3;q34.1)/DEK::NUP214", "", lambda t: t.t_6_9),
    _row("ELN2022-A2", ADV, "t(v;11q23.3)/KMT2A-rearranged", "#: excluding KMT2A-PTD",
         lambda t: t.kmt2a_r, SOURCE_FN),
    _row("ELN2022-A3", ADV, "t(9;22)(q34.1;q11.2)/BCR::ABL1", "", lambda t: t.t_9_22),
    _row("ELN2022-A4", ADV, "t(8;16)(p11.2;p13.3)/KAT6A::CREBBP", "", lambda t: t.t_8_16),
    _row("ELN2022-A5", ADV, "inv(3)(q21.3q26.2) or t(3;3)(q21.3;q26.2)/GATA2, MECOM(EVI1)", "",
         lambda t: t.inv_3),
    _row("ELN2022-A6", ADV, "t(3q26.2;v)/MECOM(EVI1)-rearranged", "", lambda t: t.mecom_r),
    _row("ELN2022-A7", ADV, "-5 or del(5q); -7; -17/abn(17p)", "", lambda t: t.a7),
    _row("ELN2022-A8", ADV, "Complex karyotype, monosomal karyotype",
         "**: >= 3 unrelated chromosome abnormalities without class-defining recurring genetic "
         "abnormalities, excluding hyperdiploid karyotypes with >= 3 trisomies (or polysomies) without "
         "structural abnormalities; ††: >= 2 distinct monosomies (excluding loss of X or Y), or one "
         "autosomal monosomy with at least one structural abnormality (excluding CBF AML)",
         lambda t: t.a8, SOURCE_FN),
    _row("ELN2022-A9", ADV,
         "Mutated ASXL1, BCOR, EZH2, RUNX1, SF3B1, SRSF2, STAG2, U2AF1, and/or ZRSR2", MR_NOTE,
         lambda t: t.mr_gene, SOURCE_FN),
    _row("ELN2022-A10", ADV, "Mutated TP53",
         "a: TP53 mutation at a variant allele fraction of at least 10%, irrespective of allelic status",
         lambda t: t.tp53_adverse, SOURCE_FN),
    _row("ELN2022-I2", INT, "Wild-type NPM1 with FLT3-ITD (without adverse-risk genetic lesions)", "",
         lambda t: ~t.npm1 & t.flt3_itd & ~t.adverse_lesion),
    _row("ELN2022-I4", INT,
         "Cytogenetic and/or molecular abnormalities not classified as favorable or adverse", "",
         lambda t: t.always),
)  # fmt: skip


CBF_ROWS = ("ELN2022-F1", "ELN2022-F2")
FAVORABLE_ROWS = (*CBF_ROWS, "ELN2022-F3", "ELN2022-F4")


def notes(t: Terms, o: Any) -> list[tuple[str, np.ndarray]]:
    """The per-patient footnote notes; a note about the patients of a row reads that row."""
    fav = rows_condition(RULES, FAVORABLE_ROWS, t)
    cbf_kept = rows_condition(RULES, CBF_ROWS, t)
    t911_kept = rows_condition(RULES, ("ELN2022-I3",), t)
    inputs = t.inputs
    kit_flt3 = inputs.flag("kit") | inputs.flag("flt3_tkd") | t.flt3_itd
    tp53_vaf_unknown = t.tp53.true & inputs.unknown("tp53_vaf")
    out = [
        (
            "§: NPM1 mutation with adverse cytogenetics is adverse",
            t.npm1.true & t.adverse_cytogenetics.true,
        ),
        (
            "‡: KIT/FLT3 mutation does not alter CBF risk",
            cbf_kept.true & kit_flt3.true,
        ),
        ("‡‡: MR-gene mutation not used (favorable subtype)", fav.true & t.mr_gene.true),
        (
            "¶: t(9;11) takes precedence over a concurrent adverse gene mutation",
            t911_kept.true & (t.mr_gene | t.tp53_adverse).true,
        ),
        (
            f"TP53 mutated with VAF < {o.tp53_vaf_threshold:g}: not adverse (footnote a)",
            t.tp53.true & t.tp53_vaf_high.false & ~tp53_vaf_unknown,
        ),
    ]
    if o.tp53_vaf_unknown != "undetermined":
        out.append(
            (
                f"TP53 VAF unknown, assumed {o.tp53_vaf_unknown} (option tp53_vaf_unknown)",
                tp53_vaf_unknown,
            )
        )
    if t.ck_fallback:
        out.append(
            (
                "complex karyotype by the 2017 definition (complex_karyotype_2022 absent)",
                t.complex_karyotype.true,
            )
        )
    return out  # fmt: skip


RULE_SYSTEM = RuleSystem(SYSTEM, OPTIONS, RULES, CATEGORIES, make_inputs, build_terms, notes)
"""The parts of the system, assembled (:class:`~cohort.stratify.system.RuleSystem`)."""


def classify_eln2022(frame: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """ELN 2022 genetic risk category of every patient.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical table. Reads npm1, flt3_itd, cebpa_bzip, tp53, tp53_vaf, the nine MR genes, the
        cytogenetic flags and complex_karyotype_2022 when present; absent columns are unknown.
    **options
        See :data:`OPTIONS` or ``cohort.stratify.options("eln2022")``.

    Returns
    -------
    pandas.DataFrame
        ``category``, ``rule``, ``candidates``, ``notes``; indexed like ``frame``.
    """
    return RULE_SYSTEM.classify(frame, options)


def explain_patient(row: pd.Series, result: Any = None, **options: Any) -> list[str]:
    """The ELN 2022 rows considered for one patient and why each did or did not apply."""
    return RULE_SYSTEM.explain(row, result, options)
