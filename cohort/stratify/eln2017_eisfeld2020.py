"""ELN 2017 refined by Eisfeld et al. 2020 (CALGB/Alliance, de novo AML, age < 60). EXPERIMENTAL.

**Experimental**: the proposals below are read from the paper's abstract only (the full rules were
not available), they were derived in patients under 60 with de novo AML, and they are not a
guideline. Every patient whose result a proposal may touch gets a note saying so, and a patient
outside the derivation scope (age 60 or more, or AML that is not de novo) or whose scope cannot be
checked (age or AML type missing) gets a note too; the refinement is still applied.

Eisfeld A-K et al., "Additional gene mutations may refine the 2017 European LeukemiaNet
classification in adult patients with de novo acute myeloid leukemia aged <60 years", Leukemia 2020
(PMID 32461631; PMC7882079). The proposals, as stated in the abstract:

- FLT3-ITD^high "conferred adverse rather than intermediate risk irrespective of the NPM1 mutation
  status" (row EISFELD2020-A1 replaces ELN2017-I1);
- NPM1/WT1 co-mutation -> adverse (EISFELD2020-A2);
- ZRSR2 mutation -> adverse (EISFELD2020-A3);
- BCOR- or SETBP1-mutated favorable patients with non-CBF AML -> intermediate (modifier);
- IDH1/IDH2-mutated adverse patients -> intermediate (modifier);
- DNMT3A mutations "associated with very poor survival": the abstract gives no reassignment rule, so
  it is an option (``dnmt3a="adverse"`` moves DNMT3A-mutated intermediate patients to adverse; our
  reading, off by default).

The abstract does not say whether ZRSR2 and NPM1/WT1 override favorable subtypes; we read "-> adverse"
as applying to every patient except t(9;11) (whose footnote gives it precedence over adverse gene
mutations) and CBF AML for NPM1/WT1 (the rows come after the CBF rows). Everything else is ELN 2017
with the same options (see :mod:`cohort.stratify.eln2017`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cohort.stratify import eln2017
from cohort.stratify.inputs import Inputs
from cohort.stratify.logic import Tri
from cohort.stratify.rule_table import (
    ELN_CATEGORIES,
    Modifier,
    Option,
    Rule,
    rows_condition,
)
from cohort.stratify.system import RuleSystem
from cohort.stratify.terms import Terms

SYSTEM = "eln2017_eisfeld2020"
CATEGORIES = ELN_CATEGORIES
SOURCE = "Eisfeld A-K et al. Leukemia 2020 (PMID 32461631; PMC7882079), abstract"
FAV, INT, ADV = ELN_CATEGORIES

OPTIONS: tuple[Option, ...] = eln2017.OPTIONS + (
    Option("flt3_itd_high_adverse", True,
           "FLT3-ITD^high is adverse irrespective of NPM1 (replaces ELN2017-I1).", (True, False)),
    Option("npm1_wt1_adverse", True, "NPM1/WT1 co-mutation is adverse.", (True, False)),
    Option("zrsr2_adverse", True,
           "ZRSR2 mutation is adverse (also over favorable subtypes; not over t(9;11)).", (True, False)),
    Option("bcor_setbp1_intermediate", True,
           "Favorable patients without a CBF fusion who carry a BCOR or SETBP1 mutation become "
           "intermediate.", (True, False)),
    Option("idh_intermediate", True,
           "Adverse patients with an IDH1 or IDH2 mutation become intermediate.", (True, False)),
    Option("dnmt3a", "ignore",
           "DNMT3A: 'ignore' (the abstract states no rule) or 'adverse' (DNMT3A-mutated intermediate "
           "patients become adverse; our reading).", ("ignore", "adverse")),
)  # fmt: skip


make_inputs = eln2017.make_inputs


def build_terms(inputs: Inputs, o: Any) -> Terms:
    t = eln2017.build_terms(inputs, o)
    for gene in ("wt1", "zrsr2", "bcor", "setbp1", "idh1", "idh2", "dnmt3a"):
        t.flag(gene, f"{gene.upper()} mutated")
    t.const("opt_itd_high_adverse", o.flt3_itd_high_adverse, "option flt3_itd_high_adverse")
    t.const(
        "opt_itd_high_intermediate",
        not o.flt3_itd_high_adverse,
        "option flt3_itd_high_adverse=False",
    )
    t.const("opt_npm1_wt1", o.npm1_wt1_adverse, "option npm1_wt1_adverse")
    t.const("opt_zrsr2", o.zrsr2_adverse, "option zrsr2_adverse")
    t.const("opt_bcor_setbp1", o.bcor_setbp1_intermediate, "option bcor_setbp1_intermediate")
    t.const("opt_idh", o.idh_intermediate, "option idh_intermediate")
    t.const("opt_dnmt3a", o.dnmt3a == "adverse", "option dnmt3a='adverse'")
    t.derive(
        "t911_protects",
        "t(9;11) taking precedence over adverse gene mutations",
        lambda t: rows_condition(eln2017.RULES, ("ELN2017-I3",), t),
    )
    return t  # fmt: skip


def _row(id_: str, category: str, text: str, when, footnote: str = "", gate: str = "") -> Rule:
    return Rule(id_, category, text, footnote, SOURCE, when, gate)


_BY_ID = {r.id: r for r in eln2017.RULES}
_NEW_ROWS = {
    "EISFELD2020-A3": _row(
        "EISFELD2020-A3", ADV, "ZRSR2-mutated -> adverse",
        lambda t: t.zrsr2 & ~t.t911_protects,
        "placed before the favorable rows (our reading: overrides favorable subtypes)",
        gate="opt_zrsr2"),
    "EISFELD2020-A2": _row(
        "EISFELD2020-A2", ADV, "NPM1/WT1 co-mutated -> adverse",
        lambda t: t.npm1 & t.wt1 & ~t.t911_protects, gate="opt_npm1_wt1"),
    "EISFELD2020-A1": _row(
        "EISFELD2020-A1", ADV,
        "FLT3-ITD^high 'conferred adverse rather than intermediate risk irrespective of the NPM1 "
        "mutation status'",
        lambda t: t.itd_high & ~t.t911_protects, eln2017.AR_NOTE, "opt_itd_high_adverse"),
}  # fmt: skip
_I1 = _BY_ID["ELN2017-I1"]
_I1_GATED = Rule(
    _I1.id, _I1.category, _I1.text, _I1.footnote, _I1.source,
    _I1.when, "opt_itd_high_intermediate",
)  # fmt: skip


def _order() -> tuple[Rule, ...]:
    out: list[Rule] = []
    for rule in eln2017.RULES:
        if rule.id == "ELN2017-F1":
            out.append(_NEW_ROWS["EISFELD2020-A3"])
        if rule.id == "ELN2017-F3":
            out.append(_NEW_ROWS["EISFELD2020-A2"])
        if rule.id == "ELN2017-I1":
            out += [_NEW_ROWS["EISFELD2020-A1"], _I1_GATED]
            continue
        out.append(rule)
    return tuple(out)


RULES: tuple[Rule, ...] = _order()

MODIFIERS: tuple[Modifier, ...] = (
    Modifier("EISFELD2020-DNMT3A", INT, ADV, "DNMT3A-mutated intermediate -> adverse (option dnmt3a)",
             "cohort option (Eisfeld 2020 abstract: DNMT3A 'associated with very poor survival')",
             lambda t: t.opt_dnmt3a & t.dnmt3a),
    Modifier("EISFELD2020-BCOR_SETBP1", FAV, INT,
             "BCOR- or SETBP1-mutated favorable patients with non-CBF AML -> intermediate", SOURCE,
             lambda t: t.opt_bcor_setbp1 & (t.bcor | t.setbp1) & ~t.cbf),
    Modifier("EISFELD2020-IDH", ADV, INT, "IDH-mutated adverse patients -> intermediate", SOURCE,
             lambda t: t.opt_idh & (t.idh1 | t.idh2)),
)  # fmt: skip


def notes(t: Terms, o: Any) -> list[tuple[str, Any]]:
    """The ELN 2017 notes and the refinement's scope notes (:func:`scope_notes`)."""
    return [*eln2017.notes(t, o), *scope_notes(t)]


RULE_SYSTEM = RuleSystem(
    SYSTEM, OPTIONS, RULES, CATEGORIES, make_inputs, build_terms, notes, modifiers=MODIFIERS
)
"""The parts of the system, assembled (:class:`~cohort.stratify.system.RuleSystem`)."""


def classify_eln2017_eisfeld2020(frame: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """ELN 2017 with the Eisfeld et al. 2020 refinements (**experimental**, see the module docstring).

    The notes mark every patient a proposal may touch as experimental and every patient outside
    the derivation scope (age >= 60, not de novo) or with an unknown scope.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical table; reads the ELN 2017 inputs plus wt1, zrsr2, bcor, setbp1, idh1, idh2, dnmt3a.
    **options
        The ELN 2017 options plus one switch per refinement (see :data:`OPTIONS`).

    Returns
    -------
    pandas.DataFrame
        ``category``, ``rule``, ``candidates``, ``notes``; a refinement that moved a patient is
        appended to the rule, e.g. ``"ELN2017-A8>EISFELD2020-IDH"``.
    """
    return RULE_SYSTEM.classify(frame, options)


EXPERIMENTAL_NOTE = "experimental: Eisfeld 2020 refinement (read from the abstract; derived in de novo AML under 60)"


def scope_notes(t: Terms) -> list[tuple[str, Any]]:
    """Notes marking the refinement as experimental and checking its scope (age < 60, de novo).

    The experimental note goes to every patient carrying a lesion a proposal reads (FLT3-ITD^high,
    NPM1 with WT1, ZRSR2, BCOR, SETBP1, IDH1/2, DNMT3A when the option is on).
    """
    frame = t.inputs.frame
    old = t.inputs.compare("age", ">=", 60.0)
    if t.inputs.has("aml_type"):  # through the inputs, so that the column is recorded as read
        kind = frame["aml_type"].astype("string")
        not_de_novo = (kind.notna() & kind.ne("de_novo")).to_numpy(dtype=bool, na_value=False)
        kind_unknown = kind.isna().to_numpy()
    else:
        not_de_novo = np.zeros(t.n, bool)
        kind_unknown = np.ones(t.n, bool)
    touched = (
        t.itd_high | (t.npm1 & t.wt1) | t.zrsr2 | t.bcor | t.setbp1 | t.idh1 | t.idh2
        | (t.opt_dnmt3a & t.dnmt3a)
    ).true  # fmt: skip
    return [
        (EXPERIMENTAL_NOTE, touched),
        ("outside the Eisfeld 2020 scope: age 60 or more (refinement applied anyway)", old.true),
        (
            "outside the Eisfeld 2020 scope: not de novo AML (refinement applied anyway)",
            not_de_novo,
        ),
        (
            "Eisfeld 2020 scope (age < 60, de novo) not checked: age or AML type unknown",
            old.unknown | kind_unknown,
        ),
    ]


def explain_patient(row: pd.Series, result: Any = None, **options: Any) -> list[str]:
    """The refined ELN 2017 rows and refinements considered for one patient."""
    return RULE_SYSTEM.explain(row, result, options)


__all__ = ["CATEGORIES", "MODIFIERS", "OPTIONS", "RULES", "Tri", "classify_eln2017_eisfeld2020"]
