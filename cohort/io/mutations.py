"""Pivot a long variant table (one row per variant) into one genotype row per patient.

:func:`pivot_variants` reads the variant tables of the bundled cohorts and the common formats met in
practice (MAF, the AMLSG ``AMLSG_Genetic.txt`` layout, Beat AML ``mutations.json`` records and a
plain ``patient_id, gene, vaf, protein_change`` table) and returns the canonical genotype columns of
:data:`cohort.schema.GENES` plus ``npm1_vaf``, ``tp53_vaf`` and ``npm1_type``.

Rules (also in ``docs/datasets.md``)
------------------------------------
- A gene column is True if the patient has any variant in that gene, False if the patient was
  sequenced and has none, missing if the patient was not sequenced (or the assay cannot detect the
  lesion, see ``undetectable``).
- FLT3: an internal tandem duplication (variant type ``ITD``, a protein change containing ``ITD``,
  or an in-frame insertion starting at residues 572-650, juxtamembrane domain and first TKD
  beta-sheet) counts as ``flt3_itd``; a change of codon D835 or I836 (substitution or deletion) as
  ``flt3_tkd``. Other FLT3 variants (e.g. N676K, V491L) set neither.
- KMT2A: only a partial tandem duplication (variant type ``PTD`` or a protein change containing
  ``PTD``) sets ``kmt2a_ptd``; KMT2A point mutations are not PTDs.
- CEBPA: ``cebpa_bzip`` is True for an in-frame variant (missense, in-frame insertion, deletion or
  duplication; not frameshift, not nonsense) whose first affected residue lies in the bZIP domain,
  residues 278-358 (ELN 2022: basic region and leucine zipper of C/EBPalpha, NP_004355); it is
  missing when the patient has a CEBPA variant without a protein change. ``cebpa_biallelic`` is
  True when two or more distinct CEBPA variants were called; the allelic phase is not known from
  short reads, so this is an approximation (datasets with a curated biallelic call override it).
- ``npm1_type`` comes from the NPM1 exon-12 4-base insertion written in cDNA (``c.860_863dupTCTG``,
  ``c.863_864insCATG``): the mutant sequence is rebuilt on the reference and compared with type A
  (dup TCTG), B (ins CATG) and D (ins CCTG), so equivalent left-aligned and right-aligned
  descriptions agree. Other NPM1 insertions give ``"other"``; an NPM1 variant with no cDNA change
  gives missing, because the short protein change (``p.W288Cfs*12``) is the same for A, B and D.
- VAF: a table whose VAF values include any value above 1 is read as percent and divided by 100
  (reported in the notes). ``npm1_vaf`` and ``tp53_vaf`` are the largest VAF of the gene.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from cohort.errors import CohortValidationError, LoadError, Problem
from cohort.schema import GENES

_SOURCE = "the variant table (rows are 0-based positions)"

# Accepted input column names -> role. Matching is case-insensitive.
COLUMN_ROLES: dict[str, tuple[str, ...]] = {
    "patient_id": ("patient_id", "Tumor_Sample_Barcode", "SAMPLE_NAME", "p", "TCGA_ID", "sample"),
    "gene": ("gene", "Hugo_Symbol", "GENE", "g", "symbol"),
    "protein_change": ("protein_change", "HGVSp_Short", "Protein_Change", "AA_CHANGE", "hp"),
    "vaf": ("vaf", "t_vaf", "i_TumorVAF_WU", "VAF", "tumor_vaf"),
    "cdna_change": ("cdna_change", "HGVSc", "CDNA_CHANGE", "cDNA_Change", "c_change"),
    "variant_type": ("variant_type", "VARIANT_TYPE", "Variant_Classification", "c"),
    "position": ("position", "Start_Position", "POSITION", "pos"),
    "alt_allele": ("alt_allele", "Tumor_Seq_Allele2", "MT", "alt"),
}

GENE_ALIASES: dict[str, str] = {
    "SFRS2": "SRSF2",
    "MLL": "KMT2A",
    "MLL2": "KMT2D",
    "MLL3": "KMT2C",
    "MLL4": "KMT2B",
    "MLL5": "KMT2E",
    "FAM5C": "BRINP3",
    "C20ORF4": "SETBP1",
}
"""Old gene symbols -> current HGNC symbols."""

# Genes whose any variant sets the schema column of the same name (FLT3, CEBPA, KMT2A need rules).
_SIMPLE = {g.upper(): g for g in GENES if g not in ("flt3_itd", "flt3_tkd", "cebpa_biallelic",
                                                    "cebpa_bzip", "kmt2a_ptd")}  # fmt: skip

NPM1_EXON12_CDNA_START = 856
NPM1_EXON12_REFERENCE = "GATCTCTGGCAGTGGAGGAAGTCTCTTTAAG"
"""NPM1 coding sequence c.856-886 (codons D286 to the stop; NM_002520), as in Falini et al. 2005."""
NPM1_TYPES: dict[str, tuple[int, str]] = {
    "A": (863, "TCTG"),
    "B": (863, "CATG"),
    "D": (863, "CCTG"),
}
"""Mutation type -> (cDNA position after which the bases are inserted, inserted bases)."""

CEBPA_BZIP = (278, 358)
FLT3_ITD_REGION = (572, 650)
"""FLT3 residues where ITDs insert: juxtamembrane domain and first TKD beta-sheet (exons 14-15)."""

_INS = re.compile(r"^c\.(\d+)_(\d+)(ins|dup)([ACGTacgt]+)$")
_FIRST_RESIDUE = re.compile(r"^p\.\(?([A-Z*]?[a-z]{0,2})(\d+)")
# "ITD" / "PTD" as a word, not letters inside an inserted amino-acid sequence (insKITDE).
_TOKEN_ITD = re.compile(r"(?<![A-Za-z])ITD(?![A-Za-z])", re.IGNORECASE)
_TOKEN_PTD = re.compile(r"(?<![A-Za-z])PTD(?![A-Za-z])", re.IGNORECASE)
_FRAMESHIFT = re.compile(r"fs|\*|Ter|X$", re.IGNORECASE)


def _npm1_mutant(after: int, bases: str) -> str | None:
    offset = after - NPM1_EXON12_CDNA_START + 1
    if not 0 <= offset <= len(NPM1_EXON12_REFERENCE):
        return None
    ref = NPM1_EXON12_REFERENCE
    return ref[:offset] + bases.upper() + ref[offset:]


_NPM1_TYPE_SEQUENCES = {t: _npm1_mutant(pos, ins) for t, (pos, ins) in NPM1_TYPES.items()}


def npm1_type_from_cdna(cdna: Any) -> str | None:
    """NPM1 mutation type (``"A"``, ``"B"``, ``"D"``, ``"other"``) from a cDNA change, or None.

    Parameters
    ----------
    cdna : str
        An HGVS cDNA insertion or duplication, e.g. ``"c.860_863dupTCTG"`` or ``"c.863_864insCATG"``.

    Returns
    -------
    str or None
        ``"other"`` for an insertion that is not type A, B or D (also outside c.856-886); None when
        the text is not an HGVS insertion or duplication with its bases written out.
    """
    if cdna is None or (not isinstance(cdna, str)) or not cdna.strip():
        return None
    text = cdna.strip().split(":")[-1]
    m = _INS.match(text)
    if m is None:
        return None
    start, end, kind, bases = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    # A duplication of c.a_b inserts the duplicated bases after c.b; an insertion lies between
    # c.a and c.a+1.
    after = end if kind == "dup" else start
    mutant = _npm1_mutant(after, bases)
    if mutant is None:
        return "other"
    for name, seq in _NPM1_TYPE_SEQUENCES.items():
        if mutant == seq:
            return name
    return "other"


def npm1_cdna_from_genomic(
    position: int, ref: str, alt: str, *, build: str = "GRCh37"
) -> str | None:
    """An HGVS-style NPM1 exon-12 insertion (``c.863_864insTCTG``) from a genomic insertion.

    Parameters
    ----------
    position : int
        Genomic position on chromosome 5.
    ref, alt : str
        VCF style (``ref="C"``, ``alt="CTCTG"``, ``position`` = the anchor base) or MAF style
        (``ref="-"``, ``alt="TCTG"``, ``position`` = the base before the insertion).
    build : {"GRCh37", "hg19", "37", "NCBI36", "hg18", "36"}

    Returns
    -------
    str or None
        None when the variant is not a pure insertion in exon 12 (c.856-886) or the build is not
        supported.
    """
    # c.859 on each build, read off the AMLSG (GRCh37) and TCGA (NCBI36) variant tables where the
    # same left-aligned type A insertion is reported at these positions.
    c859 = {"grch37": 170837543, "hg19": 170837543, "37": 170837543,
            "ncbi36": 170770148, "hg18": 170770148, "36": 170770148}  # fmt: skip
    base = c859.get(str(build).strip().lower().removesuffix(".0"))
    if base is None or not isinstance(alt, str) or not isinstance(ref, str):
        return None
    if ref in ("-", ""):
        inserted = alt
    elif len(ref) == 1 and alt.startswith(ref) and len(alt) > 1:
        inserted = alt[1:]
    else:
        return None
    if not re.fullmatch(r"[ACGTacgt]+", inserted):
        return None
    try:
        after = int(position) - base + 859
    except (TypeError, ValueError):
        return None
    # Genomic offsets give cDNA numbers only within exon 12 (no intron in between).
    if not NPM1_EXON12_CDNA_START <= after < NPM1_EXON12_CDNA_START + len(NPM1_EXON12_REFERENCE):
        return None
    return f"c.{after}_{after + 1}ins{inserted.upper()}"


def _first_residue(protein: Any) -> int | None:
    if not isinstance(protein, str):
        return None
    m = _FIRST_RESIDUE.match(protein.strip())
    return int(m.group(2)) if m else None


_IN_FRAME_INS_CLASSES = ("in_frame_ins", "in-frame ins", "inframe_insertion", "in_frame_insertion")


def _is_itd(protein: Any, vtype: Any) -> bool:
    vt = str(vtype).strip().lower() if isinstance(vtype, str) else ""
    pc = protein.strip() if isinstance(protein, str) else ""
    if vt == "itd" or _TOKEN_ITD.search(pc):
        return True
    in_frame_class = vt in _IN_FRAME_INS_CLASSES
    in_frame_text = bool(re.search(r"ins|dup", pc)) and "fs" not in pc
    if not (in_frame_class or in_frame_text):
        return False
    res = _first_residue(pc)
    # An in-frame insertion without a protein change can only be placed by its variant class; the
    # exome tables that report ITDs this way (TCGA) report no other in-frame FLT3 insertions.
    if res is None:
        return in_frame_class
    return FLT3_ITD_REGION[0] <= res <= FLT3_ITD_REGION[1]


def _is_tkd(protein: Any) -> bool:
    if not isinstance(protein, str):
        return False
    return bool(re.match(r"^p\.\(?(D835|I836|Asp835|Ile836)", protein.strip()))


def _is_ptd(protein: Any, vtype: Any) -> bool:
    vt = str(vtype).lower() if isinstance(vtype, str) else ""
    return vt == "ptd" or (isinstance(protein, str) and bool(_TOKEN_PTD.search(protein)))


def _is_cebpa_bzip(protein: Any, vtype: Any) -> bool | None:
    if not isinstance(protein, str) or not protein.strip() or protein.strip().lower() == "na":
        return None
    pc = protein.strip()
    vt = str(vtype).lower() if isinstance(vtype, str) else ""
    if "frame_shift" in vt or "frameshift" in vt or "nonsense" in vt or _FRAMESHIFT.search(pc):
        return False
    res = _first_residue(pc)
    if res is None:
        return None
    return CEBPA_BZIP[0] <= res <= CEBPA_BZIP[1]


def _find_columns(variants: pd.DataFrame) -> dict[str, str]:
    lower = {str(c).lower(): c for c in variants.columns}
    found: dict[str, str] = {}
    for role, names in COLUMN_ROLES.items():
        for name in names:
            if name.lower() in lower:
                found[role] = lower[name.lower()]
                break
    return found


def _patient_list(patients: Any) -> pd.Index:
    if isinstance(patients, pd.DataFrame):
        if "patient_id" not in patients.columns:
            raise LoadError(
                "pivot_variants: the patients table has no 'patient_id' column; pass the list of "
                "patient identifiers or a canonical table."
            )
        patients = patients["patient_id"]
    ids = pd.Index([str(p) for p in patients], dtype="object")
    if ids.has_duplicates:
        dup = ids[ids.duplicated()].unique()[:5].tolist()
        raise LoadError(
            f"pivot_variants: patient identifiers must be unique; repeated: {dup}. Keep one row per "
            "patient before pivoting the variant table."
        )
    return ids


def _read_vaf(values: pd.Series, column: str) -> tuple[pd.Series, str]:
    text = values.astype("string").str.strip()
    missing = text.isna() | text.str.lower().isin(["", "na", "nan", ".", "n/a", "none", "<na>"])
    num = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = num.isna() & ~missing
    problems = []
    for pos in np.flatnonzero(bad.to_numpy()):
        problems.append(
            Problem("not_a_number", "the variant allele fraction is not a number.", column,
                    int(pos), values.iloc[pos], "Write VAFs as numbers (fraction or percent).")
        )  # fmt: skip
    for pos in np.flatnonzero(((num < 0) | (num > 100)).fillna(False).to_numpy()):
        problems.append(
            Problem("out_of_range", "a variant allele fraction must lie between 0 and 1 (or 0 and "
                    "100 percent).", column, int(pos), values.iloc[pos],
                    "Check the VAF column and its unit.")
        )  # fmt: skip
    if problems:
        raise CohortValidationError(problems, source=_SOURCE)
    unit = "percent" if bool((num > 1).any()) else "fraction"
    if unit == "percent":
        num = num / 100.0
    return num.astype("Float64"), unit


def standardise_variants(variants: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A variant table in any recognised layout as the long canonical variant table.

    Parameters
    ----------
    variants : pandas.DataFrame
        MAF, AMLSG, Beat AML ``mutations.json`` records or plain layout (see :data:`COLUMN_ROLES`).

    Returns
    -------
    (pandas.DataFrame, dict)
        Columns ``patient_id``, ``gene`` (current HGNC symbol), ``vaf`` (0-1), ``protein_change``,
        ``cdna_change`` and ``variant_type`` (missing where the input has no such column), and notes
        (``vaf_unit``, ``columns_used``, ``gene_aliases_applied``).

    Raises
    ------
    LoadError
        If the patient or gene column cannot be found.
    CohortValidationError
        If a VAF is not a number or out of range, or a patient or gene cell is empty.
    """
    if not isinstance(variants, pd.DataFrame):
        raise LoadError(
            f"pivot_variants expects the variant table as a pandas DataFrame, got "
            f"{type(variants).__name__}."
        )
    cols = _find_columns(variants)
    for role in ("patient_id", "gene"):
        if role not in cols:
            raise LoadError(
                f"The variant table has no {role} column. Accepted names: "
                f"{', '.join(COLUMN_ROLES[role])} (case-insensitive); it has: "
                f"{', '.join(map(str, variants.columns[:15]))}."
            )
    out = pd.DataFrame(index=range(len(variants)))
    pid = variants[cols["patient_id"]].reset_index(drop=True)
    gene = variants[cols["gene"]].reset_index(drop=True)
    problems = []
    for name, series in (("patient_id", pid), ("gene", gene)):
        empty = series.isna() | series.astype("string").str.strip().eq("")
        for pos in np.flatnonzero(empty.fillna(True).to_numpy()):
            problems.append(
                Problem("missing_value", f"the variant has no {name}.", cols[name], int(pos),
                        None, "Fill the cell or remove the row from the variant table.")
            )  # fmt: skip
    if problems:
        raise CohortValidationError(problems, source=_SOURCE)
    out["patient_id"] = pid.astype(str).str.strip().astype("string")
    symbols = gene.astype(str).str.strip().str.upper()
    renamed = symbols[symbols.isin(list(GENE_ALIASES))]
    out["gene"] = symbols.replace(GENE_ALIASES).astype("string")
    notes: dict[str, Any] = {
        "columns_used": dict(cols),
        "gene_aliases_applied": {k: GENE_ALIASES[k] for k in sorted(renamed.unique())},
    }
    if "vaf" in cols:
        out["vaf"], notes["vaf_unit"] = _read_vaf(
            variants[cols["vaf"]].reset_index(drop=True), cols["vaf"]
        )
    else:
        out["vaf"] = pd.Series(pd.NA, index=out.index, dtype="Float64")
        notes["vaf_unit"] = None
    for role in ("protein_change", "cdna_change", "variant_type", "position", "alt_allele"):
        if role in cols:
            s = variants[cols[role]].reset_index(drop=True).astype("string").str.strip()
            out[role] = s.mask(s.str.lower().isin(["", "na", "nan", "."]))
        else:
            out[role] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out, notes


def _tcga_patient(barcode: str) -> str:
    return barcode[:12] if barcode.startswith("TCGA-") else barcode


def pivot_variants(
    variants: pd.DataFrame,
    patients: Iterable[Any] | pd.DataFrame,
    *,
    sequenced: Iterable[Any] | None = None,
    undetectable: Iterable[str] = (),
) -> pd.DataFrame:
    """One genotype row per patient from a long variant table.

    Parameters
    ----------
    variants : pandas.DataFrame
        One row per variant, in MAF, AMLSG, Beat AML or plain layout (see module docstring).
    patients : iterable of str or pandas.DataFrame
        Every patient of the cohort (a canonical table's ``patient_id`` column is used).
    sequenced : iterable of str, optional
        Patients whose sample was sequenced. None means everyone in ``patients``. Unsequenced
        patients get missing genotypes; a patient with a variant row counts as sequenced.
    undetectable : iterable of str
        Schema columns the assay cannot detect (e.g. ``"kmt2a_ptd"`` for exome sequencing): missing
        unless a variant sets them True. Names in ``variants.attrs["undetectable"]`` are added: the
        dataset readers set it on their long tables so that pivoting them again (as
        :func:`cohort.load` does) keeps the readers' missing values.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``patient_id`` in the order of ``patients``; the boolean columns of
        :data:`cohort.schema.GENES`, ``npm1_vaf``, ``tp53_vaf`` (largest VAF, 0-1) and ``npm1_type``.
        ``result.attrs["notes"]`` holds ``vaf_unit``, ``unknown_patients`` (identifiers in the
        variant table but not in ``patients``, with their variant counts), ``unmapped_genes``
        (genes outside the schema, kept in the long table only), ``gene_aliases_applied`` and
        ``sequenced_added`` (patients with variants but absent from ``sequenced``).

    Raises
    ------
    LoadError
        Unrecognised columns, duplicated patients, unknown names in ``undetectable``.
    CohortValidationError
        Bad cells in the variant table (row numbers count the header as row 1).
    """
    ids = _patient_list(patients)
    undetectable = tuple(undetectable) + tuple(
        getattr(variants, "attrs", {}).get("undetectable", ())
    )
    long, notes = standardise_variants(variants)
    bad_cols = sorted(set(undetectable) - set(GENES))
    if bad_cols:
        raise LoadError(f"pivot_variants: undetectable names {bad_cols} are not genotype columns.")
    known = set(ids)
    pid = long["patient_id"].astype(str)
    if not pid.isin(known).all() and all(i.startswith("TCGA-") and len(i) == 12 for i in ids):
        # TCGA variant tables name the aliquot (TCGA-AB-2802-03A-...), the clinical table the
        # patient (first 12 characters).
        pid = pid.map(_tcga_patient)
        long["patient_id"] = pid.astype("string")
    in_cohort = pid.isin(known)
    unknown = pid[~in_cohort].value_counts().sort_index()
    notes["unknown_patients"] = {str(k): int(v) for k, v in unknown.items()}
    long = long[in_cohort.to_numpy()].reset_index(drop=True)

    seq = set(ids) if sequenced is None else {str(s) for s in sequenced}
    with_variants = set(long["patient_id"].astype(str))
    added = sorted(with_variants - seq)
    notes["sequenced_added"] = added
    seq |= with_variants
    is_seq = pd.Series(ids.isin(list(seq)), index=ids)

    out = pd.DataFrame(index=ids)
    out.index.name = "patient_id"
    base = pd.Series(pd.NA, index=ids, dtype="boolean").mask(is_seq, False)
    for g in GENES:
        out[g] = base.copy()
    for g in undetectable:
        out[g] = pd.Series(pd.NA, index=ids, dtype="boolean")

    gene = long["gene"].astype(str)
    notes["unmapped_genes"] = sorted(set(gene) - set(_SIMPLE) - {"FLT3", "CEBPA", "KMT2A"})

    def mark(column: str, patient_ids: Iterable[str]) -> None:
        p = pd.Index(sorted(set(patient_ids)))
        if len(p):
            out.loc[p, column] = True

    for symbol, column in _SIMPLE.items():
        mark(column, long.loc[gene.eq(symbol), "patient_id"].astype(str))

    flt3 = long[gene.eq("FLT3")]
    itd = [_is_itd(p, v) for p, v in zip(flt3["protein_change"], flt3["variant_type"], strict=True)]
    mark("flt3_itd", flt3.loc[itd, "patient_id"].astype(str))
    tkd = [_is_tkd(p) for p in flt3["protein_change"]]
    mark("flt3_tkd", flt3.loc[tkd, "patient_id"].astype(str))

    kmt2a = long[gene.eq("KMT2A")]
    ptd = [
        _is_ptd(p, v) for p, v in zip(kmt2a["protein_change"], kmt2a["variant_type"], strict=True)
    ]
    mark("kmt2a_ptd", kmt2a.loc[ptd, "patient_id"].astype(str))

    cebpa = long[gene.eq("CEBPA")].copy()
    if len(cebpa):
        cebpa["bzip"] = [
            _is_cebpa_bzip(p, v)
            for p, v in zip(cebpa["protein_change"], cebpa["variant_type"], strict=True)
        ]
        for patient, rows in cebpa.groupby(cebpa["patient_id"].astype(str)):
            flags = rows["bzip"].tolist()
            if any(f is True for f in flags):
                out.loc[patient, "cebpa_bzip"] = True
            elif any(f is None for f in flags):
                out.loc[patient, "cebpa_bzip"] = pd.NA
            key = rows[["protein_change", "cdna_change", "position", "alt_allele"]]
            key = key.astype(str).agg("|".join, axis=1)
            if key.nunique() >= 2:
                out.loc[patient, "cebpa_biallelic"] = True
            elif "cebpa_biallelic" not in undetectable:
                out.loc[patient, "cebpa_biallelic"] = False

    for symbol, column in (("NPM1", "npm1_vaf"), ("TP53", "tp53_vaf")):
        rows = long[gene.eq(symbol)]
        vaf = rows.groupby(rows["patient_id"].astype(str))["vaf"].max()
        out[column] = pd.Series(pd.NA, index=ids, dtype="Float64")
        if len(vaf):
            out.loc[vaf.index, column] = vaf.astype("Float64")

    out["npm1_type"] = pd.Series(pd.NA, index=ids, dtype="string")
    npm1 = long[gene.eq("NPM1")]
    types = npm1["cdna_change"].map(npm1_type_from_cdna)
    for patient, t in types.groupby(npm1["patient_id"].astype(str)):
        named = [x for x in t if x is not None]
        if named:
            # A patient with two NPM1 insertions (rare) keeps a named type if either is one.
            best = next((x for x in named if x != "other"), "other")
            out.loc[patient, "npm1_type"] = best

    out.attrs["notes"] = notes
    return out
