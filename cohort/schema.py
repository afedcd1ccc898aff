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
"""

from __future__ import annotations

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
