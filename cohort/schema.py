"""The canonical cohort schema: one row per patient, these column names, types, units and values.

Every loader produces this schema and every analysis consumes it. ``docs/schema.md`` is generated
from :data:`COLUMNS` (``python -m cohort.schema > docs/schema.md``) and a test keeps the two equal.

Conventions
-----------
- Genotypes and cytogenetic flags are pandas nullable booleans (``"boolean"``): ``True`` mutated or
  present, ``False`` wild-type or absent, ``<NA>`` unknown (not tested, failed, not reported).
  Unknown is never silently read as wild-type.
- Times are days from diagnosis (float). Events are 1 (event) / 0 (censored) as ``Int64``.
- Fractions (VAF) are on the 0-1 scale; the FLT3-ITD allelic ratio is ITD / wild-type (ELN 2017),
  not a VAF and not a percentage.

The module is about 610 lines, over the ~600 the layout aims for, on purpose: most of it is the
column table (:data:`COLUMNS`, with each column's labels and level order) and the label helpers
that read it; kept together, one file is the whole schema a reader checks against
``docs/schema.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Attributes
    ----------
    name : str
    kind : {"string", "boolean", "float", "integer", "category"}
    group : str
        Section of the schema (identity, diagnosis, genotype, quantity, cytogenetics, treatment, outcome).
    unit : str
    allowed : tuple or None
        Allowed values for categories, or ``(low, high)`` bounds for numbers.
    meaning : str
    """

    name: str
    kind: str
    group: str
    unit: str = ""
    allowed: tuple | None = None
    meaning: str = ""

    @property
    def dtype(self) -> str:
        return {
            "string": "string",
            "boolean": "boolean",
            "float": "Float64",
            "integer": "Int64",
            "category": "string",
        }[self.kind]


GENES: tuple[str, ...] = (
    "npm1", "flt3_itd", "flt3_tkd", "dnmt3a", "idh1", "idh2", "nras", "kras", "ptpn11", "wt1",
    "tet2", "asxl1", "runx1", "tp53", "bcor", "ezh2", "sf3b1", "srsf2", "stag2", "u2af1", "zrsr2",
    "rad21", "kit", "ddx41", "setbp1", "cebpa_biallelic", "cebpa_bzip", "kmt2a_ptd",
)  # fmt: skip

_GENE_MEANING = {
    "flt3_itd": "FLT3 internal tandem duplication",
    "flt3_tkd": "FLT3 tyrosine-kinase-domain mutation (D835/I836)",
    "cebpa_biallelic": "biallelic (double) CEBPA mutation (ELN 2017 favorable)",
    "cebpa_bzip": "in-frame mutation of the CEBPA bZIP domain, mono- or biallelic (ELN 2022 favorable)",
    "kmt2a_ptd": "KMT2A (MLL) partial tandem duplication (not a KMT2A rearrangement)",
}

CYTOGENETIC_FLAGS: tuple[str, ...] = (
    "t_8_21", "inv_16", "t_15_17", "t_9_11", "kmt2a_r", "t_6_9", "t_9_22", "inv_3", "mecom_r",
    "t_8_16", "del_5q", "minus_7", "abn_17p", "complex_karyotype", "monosomal_karyotype",
    "normal_karyotype",
)  # fmt: skip

_FLAG_MEANING = {
    "t_8_21": "t(8;21)(q22;q22.1); RUNX1::RUNX1T1",
    "inv_16": "inv(16)(p13.1q22) or t(16;16)(p13.1;q22); CBFB::MYH11",
    "t_15_17": "t(15;17)(q24;q21); PML::RARA (acute promyelocytic leukemia)",
    "t_9_11": "t(9;11)(p21.3;q23.3); MLLT3::KMT2A",
    "kmt2a_r": "t(v;11q23.3); KMT2A rearranged other than t(9;11) (KMT2A-PTD excluded)",
    "t_6_9": "t(6;9)(p23;q34.1); DEK::NUP214",
    "t_9_22": "t(9;22)(q34.1;q11.2); BCR::ABL1",
    "inv_3": "inv(3)(q21.3q26.2) or t(3;3)(q21.3;q26.2); GATA2, MECOM",
    "mecom_r": "t(3q26.2;v); MECOM rearranged (ELN 2022)",
    "t_8_16": "t(8;16)(p11.2;p13.3); KAT6A::CREBBP (ELN 2022)",
    "del_5q": "-5 or del(5q)",
    "minus_7": "-7 (monosomy 7)",
    "abn_17p": "-17 or abn(17p)",
    "complex_karyotype": "complex karyotype, ELN 2017 definition (>= 3 unrelated abnormalities, no WHO recurring lesion)",
    "monosomal_karyotype": "monosomal karyotype (>= 2 autosomal monosomies, or 1 plus a structural abnormality; not CBF)",
    "normal_karyotype": "normal karyotype (46,XX or 46,XY; constitutional variants allowed)",
}

TREATMENT_COLUMNS: tuple[str, ...] = (
    "intensive", "flt3_inhibitor", "venetoclax", "hma", "gemtuzumab", "hsct", "hsct_days", "hsct_in_cr1",
)  # fmt: skip

ENDPOINTS: dict[str, tuple[str, str]] = {
    "os": ("os_days", "os_event"),
    "efs": ("efs_days", "efs_event"),
    "rfs": ("rfs_days", "rfs_event"),
    "cir": ("cir_days", "cir_status"),
}
"""Endpoint name -> (time column, event column)."""


def _cols() -> list[Column]:
    c: list[Column] = [
        Column(
            "patient_id", "string", "identity", "", None, "unique patient identifier (pseudonymous)"
        ),
        Column("age", "float", "identity", "years", (0, 120), "age at diagnosis"),
        Column("sex", "category", "identity", "", ("female", "male"), "sex"),
        Column(
            "aml_type",
            "category",
            "diagnosis",
            "",
            ("de_novo", "secondary", "therapy_related"),
            "de novo AML, secondary AML (after MDS or MDS/MPN) or therapy-related AML",
        ),
        Column("prior_mds", "boolean", "diagnosis", "", None, "antecedent MDS or MDS/MPN"),
        Column(
            "bm_blasts_pct", "float", "diagnosis", "%", (0, 100), "bone-marrow blasts at diagnosis"
        ),
        Column(
            "wbc", "float", "diagnosis", "10^9/L", (0, 2000), "white blood cell count at diagnosis"
        ),
    ]
    for g in GENES:
        c.append(
            Column(
                g,
                "boolean",
                "genotype",
                "",
                None,
                _GENE_MEANING.get(g, f"{g.upper()} mutated (True) or wild-type (False)"),
            )
        )
    c += [
        Column(
            "flt3_itd_ar",
            "float",
            "quantity",
            "ratio",
            (0, 1e6),
            "FLT3-ITD allelic ratio, ITD / wild-type area under the curve (ELN 2017; high means >= 0.5); 0 when ITD-negative",
        ),
        Column("npm1_vaf", "float", "quantity", "fraction", (0, 1), "NPM1 variant allele fraction"),
        Column(
            "tp53_vaf",
            "float",
            "quantity",
            "fraction",
            (0, 1),
            "TP53 variant allele fraction (largest clone)",
        ),
        Column(
            "npm1_type", "category", "quantity", "", ("A", "B", "D", "other"), "NPM1 mutation type"
        ),
        Column("karyotype", "string", "cytogenetics", "", None, "karyotype in ISCN notation"),
    ]
    for f in CYTOGENETIC_FLAGS:
        c.append(Column(f, "boolean", "cytogenetics", "", None, _FLAG_MEANING[f]))
    c += [
        Column("intensive", "boolean", "treatment", "", None, "intensive induction chemotherapy"),
        Column(
            "flt3_inhibitor",
            "boolean",
            "treatment",
            "",
            None,
            "FLT3 inhibitor (midostaurin, quizartinib, gilteritinib, ...)",
        ),
        Column("venetoclax", "boolean", "treatment", "", None, "venetoclax-based therapy"),
        Column(
            "hma",
            "boolean",
            "treatment",
            "",
            None,
            "hypomethylating agent (azacitidine, decitabine)",
        ),
        Column("gemtuzumab", "boolean", "treatment", "", None, "gemtuzumab ozogamicin"),
        Column(
            "hsct",
            "boolean",
            "treatment",
            "",
            None,
            "allogeneic hematopoietic stem-cell transplantation at any time",
        ),
        Column(
            "hsct_days",
            "float",
            "treatment",
            "days",
            (0, 36500),
            "days from diagnosis to allo-HSCT",
        ),
        Column(
            "hsct_in_cr1", "boolean", "treatment", "", None, "allo-HSCT in first complete remission"
        ),
        Column("cr", "boolean", "outcome", "", None, "complete remission (CR/CRi) after induction"),
        Column("cr_days", "float", "outcome", "days", (0, 36500), "days from diagnosis to CR"),
        Column(
            "os_days",
            "float",
            "outcome",
            "days",
            (0, 36500),
            "overall survival time: diagnosis to death or last follow-up",
        ),
        Column("os_event", "integer", "outcome", "", (0, 1), "1 death, 0 censored"),
        Column(
            "efs_days",
            "float",
            "outcome",
            "days",
            (0, 36500),
            "event-free survival (ELN 2017): diagnosis to induction failure (day 1), relapse or death",
        ),
        Column("efs_event", "integer", "outcome", "", (0, 1), "1 event, 0 censored"),
        Column(
            "rfs_days",
            "float",
            "outcome",
            "days",
            (0, 36500),
            "relapse-free survival: from CR to relapse or death (time measured from CR; only patients in CR)",
        ),
        Column("rfs_event", "integer", "outcome", "", (0, 1), "1 relapse or death, 0 censored"),
        Column(
            "cir_days",
            "float",
            "outcome",
            "days",
            (0, 36500),
            "cumulative incidence of relapse: from CR to relapse, death in CR or last follow-up",
        ),
        Column(
            "cir_status",
            "integer",
            "outcome",
            "",
            (0, 2),
            "0 censored, 1 relapse, 2 death without relapse",
        ),
    ]
    return c


COLUMNS: dict[str, Column] = {col.name: col for col in _cols()}
"""Every canonical column by name, in schema order."""

MRD_COLUMNS: dict[str, Column] = {
    col.name: col
    for col in [
        Column(
            "patient_id", "string", "mrd", "", None, "patient identifier (as in the cohort table)"
        ),
        Column("days", "float", "mrd", "days", (-60, 36500), "days from diagnosis to the sample"),
        Column("sample", "category", "mrd", "", ("PB", "BM"), "peripheral blood or bone marrow"),
        Column(
            "npm1_abl1_pct",
            "float",
            "mrd",
            "%",
            (0, 1e4),
            "NPM1-mutant transcripts / ABL1 transcripts x 100",
        ),
    ]
}
"""The NPM1 MRD long table: one row per sample."""

DERIVED_COLUMNS: dict[str, Column] = {
    col.name: col
    for col in [
        Column("complex_karyotype_2022", "boolean", "derived", "", None,
               "complex karyotype, ELN 2022 definition (excludes hyperdiploid karyotypes with >= 3 trisomies/polysomies and no structural abnormality)"),
        Column("n_abnormalities", "integer", "derived", "", (0, 100), "number of abnormalities counted for the complex-karyotype rule"),
        Column("del_7q", "boolean", "derived", "", None, "del(7q) (ICC 2022 myelodysplasia-related)"),
        Column("plus_8", "boolean", "derived", "", None, "trisomy 8 (ICC 2022 myelodysplasia-related)"),
        Column("del_12p", "boolean", "derived", "", None, "del(12p)/t(12p)/add(12p) (ICC 2022 myelodysplasia-related)"),
        Column("i_17q", "boolean", "derived", "", None, "i(17q) (ICC 2022 myelodysplasia-related)"),
        Column("del_20q", "boolean", "derived", "", None, "del(20q) (ICC 2022 myelodysplasia-related)"),
        Column("idic_x_q13", "boolean", "derived", "", None, "idic(X)(q13) (ICC 2022 myelodysplasia-related)"),
        Column("del_11q", "boolean", "derived", "", None, "del(11q) (ICC 2022 myelodysplasia-related)"),
        Column("karyotype_status", "category", "derived", "",
               ("ok", "missing", "failed", "unparseable", "free_text"), "how the karyotype text was read"),
        Column("karyotype_note", "string", "derived", "", None, "why a karyotype could not be read, or what free text meant"),
    ]
}  # fmt: skip
"""Columns that :func:`cohort.cytogenetics.flags` adds when the loader derives flags from ``karyotype``.

They are not required in an input table; the ELN 2022 and ICC rules use them when present."""

BOOLEAN_COLUMNS = tuple(n for n, c in COLUMNS.items() if c.kind == "boolean")
NUMERIC_COLUMNS = tuple(n for n, c in COLUMNS.items() if c.kind in ("float", "integer"))
CATEGORY_COLUMNS = tuple(n for n, c in COLUMNS.items() if c.kind == "category")


# ----------------------------------------------------------------------------------------------
# Human labels, display units and the natural order of levels (tables, legends, risk tables, CSVs)
# ----------------------------------------------------------------------------------------------

_GENE_LABEL = {"flt3_itd": "FLT3-ITD", "flt3_tkd": "FLT3-TKD", "cebpa_biallelic": "CEBPA biallelic",
               "cebpa_bzip": "CEBPA bZIP", "kmt2a_ptd": "KMT2A-PTD"}  # fmt: skip
_FLAG_LABEL = {
    "t_8_21": "t(8;21)", "inv_16": "inv(16)/t(16;16)", "t_15_17": "t(15;17)", "t_9_11": "t(9;11)",
    "kmt2a_r": "KMT2A rearranged", "t_6_9": "t(6;9)", "t_9_22": "t(9;22)", "inv_3": "inv(3)/t(3;3)",
    "mecom_r": "MECOM rearranged", "t_8_16": "t(8;16)", "del_5q": "-5/del(5q)", "minus_7": "-7",
    "abn_17p": "-17/abn(17p)", "complex_karyotype": "Complex karyotype",
    "monosomal_karyotype": "Monosomal karyotype", "normal_karyotype": "Normal karyotype",
}  # fmt: skip
_SYSTEM_LABEL = {"eln2017": "ELN 2017 risk", "eln2017_eisfeld2020": "ELN 2017 (Eisfeld 2020) risk",
                 "eln2022": "ELN 2022 risk", "eln2024": "ELN 2024 risk", "eln2010": "ELN 2010 risk"}  # fmt: skip

_LABELS: dict[str, str] = {
    "patient_id": "Patient", "age": "Age", "sex": "Sex", "aml_type": "AML type",
    "prior_mds": "Prior MDS", "bm_blasts_pct": "Bone-marrow blasts", "wbc": "WBC",
    "flt3_itd_ar": "FLT3-ITD allelic ratio", "npm1_vaf": "NPM1 VAF", "tp53_vaf": "TP53 VAF",
    "npm1_type": "NPM1 mutation type", "karyotype": "Karyotype",
    "intensive": "Intensive induction", "flt3_inhibitor": "FLT3 inhibitor",
    "venetoclax": "Venetoclax", "hma": "Hypomethylating agent", "gemtuzumab": "Gemtuzumab ozogamicin",
    "hsct": "Allo-HSCT", "hsct_days": "Time to allo-HSCT", "hsct_in_cr1": "Allo-HSCT in CR1",
    "cr": "CR/CRi", "cr_days": "Time to CR", "os_days": "Overall survival time",
    "os_event": "Death", "efs_days": "Event-free survival time", "efs_event": "EFS event",
    "rfs_days": "Relapse-free survival time", "rfs_event": "Relapse or death",
    "cir_days": "Time to relapse", "cir_status": "Relapse status", "days": "Time to sample",
    "sample": "Sample", "npm1_abl1_pct": "NPM1mut/ABL1",
    # columns the analyses derive
    "itd_group": "FLT3-ITD group", "age_band": "Age group", "mrd_c2": "NPM1 MRD after cycle 2",
    "triple": "NPM1/FLT3-ITD/DNMT3A", "genotype": "Genotype", "group": "Group",
    **{g: _GENE_LABEL.get(g, g.upper()) for g in GENES},
    **_FLAG_LABEL,
    **_SYSTEM_LABEL,
}  # fmt: skip

_UNIT_LABEL = {"10^9/L": "x10^9/L", "ratio": "", "fraction": ""}
"""Schema unit -> unit as printed after a label (empty: the label says it all)."""

TIME_UNITS: dict[str, float] = {"days": 1.0, "months": 30.4375, "years": 365.25}
"""Days per display time unit (a month is 365.25 / 12 days)."""

_POS_NEG = ("flt3_itd", "kmt2a_ptd")  # said as positive / negative rather than mutated / wild-type
_YES_NO = {
    "prior_mds": ("Prior MDS", "No prior MDS"), "intensive": ("Intensive induction", "Non-intensive"),
    "hsct": ("Allo-HSCT", "No allo-HSCT"), "hsct_in_cr1": ("Allo-HSCT in CR1", "No allo-HSCT in CR1"),
    "cr": ("CR/CRi", "No CR/CRi"),
}  # fmt: skip
_ELN_LEVELS = {"favorable": "Favorable", "intermediate": "Intermediate", "adverse": "Adverse"}
_LEVELS: dict[str, dict] = {
    "sex": {"female": "Female", "male": "Male"},
    "aml_type": {"de_novo": "De novo", "secondary": "Secondary", "therapy_related": "Therapy-related"},
    "npm1_type": {"A": "Type A", "B": "Type B", "D": "Type D", "other": "Other type"},
    "sample": {"PB": "Peripheral blood", "BM": "Bone marrow"},
    "os_event": {0: "Censored", 1: "Death"},
    "efs_event": {0: "Censored", 1: "Event"},
    "rfs_event": {0: "Censored", 1: "Relapse or death"},
    "cir_status": {0: "Censored", 1: "Relapse", 2: "Death without relapse"},
    "itd_group": {"ITD-neg": "FLT3-ITD negative", "ITD-low": "FLT3-ITD low (AR < 0.5)",
                  "ITD-high": "FLT3-ITD high (AR >= 0.5)",
                  "ITD-unknown-ratio": "FLT3-ITD, ratio unknown"},
    "mrd_c2": {"negative": "MRD negative", "low level": "MRD low level", "positive": "MRD positive"},
    "age_band": {"<=60": "60 years or younger", "61-65": "61-65 years", ">65": "Older than 65 years"},
    **{s: _ELN_LEVELS for s in _SYSTEM_LABEL},
}  # fmt: skip

LEVEL_ORDER: dict[str, tuple] = {
    "itd_group": ("ITD-neg", "ITD-low", "ITD-high", "ITD-unknown-ratio"),
    "mrd_c2": ("negative", "low level", "positive"),
    "age_band": ("<=60", "61-65", ">65"),
    "cir_status": (0, 1, 2),
    **{s: tuple(_ELN_LEVELS) for s in _SYSTEM_LABEL},
    **{name: col.allowed for name, col in COLUMNS.items() if col.kind == "category"},
}  # fmt: skip
"""The natural order of the levels of columns whose order is not alphabetical."""


def unit(column: str, *, time_unit: str | None = None) -> str:
    """The unit of ``column`` as printed in a header ("x10^9/L", "%", "years"; "" if none).

    Times stored in days are shown in ``time_unit`` when given (e.g. ``"months"``).
    """
    col = COLUMNS.get(column) or MRD_COLUMNS.get(column)
    u = col.unit if col is not None else ""
    if u == "days" and time_unit is not None:
        if time_unit not in TIME_UNITS:
            raise ValueError(f"time_unit={time_unit!r}: use one of {', '.join(TIME_UNITS)}.")
        return time_unit
    return _UNIT_LABEL.get(u, u)


def label(column: str, *, with_unit: bool = True, time_unit: str | None = None) -> str:
    """The human label of a column, with its unit: ``label("wbc") == "WBC (x10^9/L)"``.

    Columns the schema does not know are returned unchanged, so the helper can be applied to any
    header. ``with_unit=False`` drops the unit; ``time_unit`` converts day units (see :func:`unit`).
    """
    text = _LABELS.get(column, column)
    u = unit(column, time_unit=time_unit) if with_unit else ""
    return f"{text} ({u})" if u else text


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def level_label(column: str, value: object) -> str:
    """The human label of one value of ``column``.

    ``level_label("npm1", True) == "NPM1 mutated"``, ``level_label("npm1", False) == "NPM1 wild-type"``,
    ``level_label("cir_status", 2) == "Death without relapse"``. Values given as text (``"True"``, as
    in the group labels of :func:`cohort.km`) are understood. Unknown values come back as text.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "Unknown"
    flag = _as_bool(value)
    col = COLUMNS.get(column)
    if flag is not None and (column in _LABELS) and (col is None or col.kind == "boolean"):
        name = _LABELS[column]
        if column in _YES_NO:
            return _YES_NO[column][0 if flag else 1]
        if column in GENES:
            if column in _POS_NEG:
                return f"{name} {'positive' if flag else 'negative'}"
            return f"{name} {'mutated' if flag else 'wild-type'}"
        if column in _FLAG_LABEL:
            if flag:
                return name
            if name.endswith(" rearranged"):
                return name.replace(" rearranged", " not rearranged")
            return f"No {name[0].lower() + name[1:] if name[1:2].islower() else name}"
        return f"{name}: {'yes' if flag else 'no'}"
    levels = _LEVELS.get(column, {})
    if value in levels:
        return levels[value]
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and int(value) in levels:
        return levels[int(value)]
    if isinstance(value, float) and value.is_integer() and int(value) in levels:
        return levels[int(value)]
    return str(value)


_STRATUM = re.compile(r",\s*(?=[A-Za-z_][A-Za-z0-9_]*=)")


def group_label(stratum: str) -> str:
    """A group label as :func:`cohort.km` prints it, in words.

    ``group_label("npm1=True, flt3_itd=False") == "NPM1 mutated, FLT3-ITD negative"``;
    ``"all"`` becomes ``"All patients"``; text without ``column=value`` parts is returned unchanged.
    """
    if stratum in ("all", ""):
        return "All patients"
    parts = _STRATUM.split(str(stratum))
    out = []
    for part in parts:
        column, sep, value = part.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", column.strip()):
            return str(stratum)
        out.append(level_label(column.strip(), value))
    return ", ".join(out)


def term_label(term: str) -> str:
    """A model term in words: ``npm1`` "NPM1 mutated", ``sex[male]`` "Sex: Male", ``age`` "Age, per year"."""
    term = str(term)
    if ":" in term:
        return " x ".join(term_label(t) for t in term.split(":"))
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\[(.+)\]", term)
    if m:
        return f"{label(m.group(1), with_unit=False)}: {level_label(m.group(1), m.group(2))}"
    col = COLUMNS.get(term)
    if col is not None and col.kind == "boolean":
        return level_label(term, True)
    if col is not None:
        u = unit(term)
        name = label(term, with_unit=False)
        if not u:
            return name
        return f"{name}, per {u[:-1]}" if u.endswith("s") and u.isalpha() else f"{name}, per 1 {u}"
    return term


def _band_key(value: object) -> tuple[float, float]:
    """Sort key of a numeric band written as '<=60', '61-65', '>65', '<2', '2-5'."""
    text = str(value).strip()
    nums = re.findall(r"\d+(?:\.\d+)?", text)
    first = float(nums[0]) if nums else float("inf")
    if text.startswith("<"):
        return (first, -1.0)
    if text.startswith(">"):
        return (first, 1.0)
    return (first, 0.0)


def level_order(column: str, values: Sequence | None = None) -> list:
    """The levels of ``column`` in their natural order.

    Known columns use :data:`LEVEL_ORDER` (ITD-neg, ITD-low, ITD-high; MRD negative, low level,
    positive; ELN favorable, intermediate, adverse); booleans put False (wild-type) first; numeric
    bands ('<=60', '61-65', '>65') sort by their numbers. With ``values`` the result holds exactly
    the distinct values given (unknown ones after the known, in their first-seen order).
    """
    seen = list(dict.fromkeys(v for v in (values or []) if not pd.isna(v)))
    known = LEVEL_ORDER.get(column)
    if known is None and seen and all(_as_bool(v) is not None for v in seen):
        seen_key = {v: _as_bool(v) for v in seen}
        return sorted(seen, key=lambda v: seen_key[v])
    if known is None:
        if seen and all(re.search(r"\d", str(v)) for v in seen):
            return sorted(seen, key=_band_key)
        return seen
    if values is None:
        return list(known)
    rank = {k: i for i, k in enumerate(known)}
    return sorted(seen, key=lambda v: (rank.get(v, len(rank)), seen.index(v)))


def ordered(series: pd.Series, column: str | None = None) -> pd.Series:
    """``series`` as an ordered Categorical in the natural order of its levels (see :func:`level_order`)."""
    order = level_order(column or str(series.name), list(series.dropna().unique()))
    return pd.Series(
        pd.Categorical(series.astype("object"), categories=order, ordered=True),
        index=series.index,
        name=series.name,
    )


def empty_cohort_frame(n: int = 0) -> pd.DataFrame:
    """A canonical DataFrame of ``n`` rows with every column missing and the right dtypes."""
    return pd.DataFrame(
        {name: pd.Series([pd.NA] * n, dtype=col.dtype) for name, col in COLUMNS.items()}
    )


def apply_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Cast the canonical columns present in ``frame`` to their canonical dtypes (a copy).

    Columns outside the schema are left unchanged. Values must already be normalised; use
    :func:`cohort.load` for raw tables.
    """
    out = frame.copy()
    for name in out.columns:
        col = COLUMNS.get(name)
        if col is not None and str(out[name].dtype) != col.dtype:
            out[name] = out[name].astype(col.dtype)
    return out


def to_markdown() -> str:
    """The schema as a Markdown document (the content of ``docs/schema.md``)."""
    lines = [
        "# Canonical cohort schema",
        "",
        "Generated from `cohort/schema.py` by `python -m cohort.schema > docs/schema.md`; a test keeps it current.",
        "",
        "One row per patient. Genotypes and flags are nullable booleans: True = mutated/present, "
        "False = wild-type/absent, missing = unknown (never read as wild-type). Times are days from diagnosis.",
        "Columns outside the schema are kept unchanged and listed in the load report.",
        "",
    ]
    group = None
    sections = {
        "mrd": "## NPM1 MRD long table (one row per sample)",
        "derived": "## derived from the karyotype (added by cohort.cytogenetics.flags when loading)",
    }
    for col in (
        list(COLUMNS.values())
        + ["derived"]
        + list(DERIVED_COLUMNS.values())
        + ["mrd"]
        + list(MRD_COLUMNS.values())
    ):
        if isinstance(col, str):
            lines += ["", sections[col], ""]
            lines += ["| name | type | unit | allowed values | meaning |", "|---|---|---|---|---|"]
            group = col
            continue
        if col.group != group:
            group = col.group
            lines += [
                "",
                f"## {group}",
                "",
                "| name | type | unit | allowed values | meaning |",
                "|---|---|---|---|---|",
            ]
        if col.allowed is None:
            allowed = "True / False / missing" if col.kind == "boolean" else ""
        elif col.kind == "category":
            allowed = ", ".join(f'"{a}"' for a in col.allowed)
        else:
            allowed = f"{col.allowed[0]} to {col.allowed[1]}"
        lines.append(f"| `{col.name}` | {col.dtype} | {col.unit} | {allowed} | {col.meaning} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(to_markdown(), end="")
