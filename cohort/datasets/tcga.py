"""Reader for TCGA LAML (200 adult de novo AML; TCGA Research Network, NEJM 2013).

Files: ``tcga_laml_annot.tsv`` (patients, FAB, overall survival), ``TCGA_Genetic.txt`` (driver
variants as curated by Gerstung et al. 2017, NCBI36 coordinates, the main genotype source) and
``tcga_laml.maf.gz`` (maftools exome MAF, GRCh37: protein changes and exome VAFs joined to the
driver variants). Every decision is listed in ``docs/datasets.md`` and in ``RawDataset.notes``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from cohort.datasets.readers import (
    RawDataset,
    finish,
    need_columns,
    never_called,
    read_tsv,
    require,
)
from cohort.errors import LoadError
from cohort.io.mutations import (
    GENE_ALIASES,
    npm1_cdna_from_genomic,
    pivot_variants,
    standardise_variants,
)
from cohort.schema import GENES

FILES = ("tcga_laml_annot.tsv", "TCGA_Genetic.txt", "tcga_laml.maf.gz")
JOIN_KEY = ["patient_id", "gene", "Reference_Allele", "Tumor_Seq_Allele2"]

# FLT3 lies on the minus strand of chromosome 13; on NCBI36 codon D835 spans 27490640-27490642 and
# codon I836 27490637-27490639 (read off the same variants in the GRCh37 MAF: 28592640-28592642 are
# D835 there). Used to name TKD variants of TCGA_Genetic.txt rows that have no MAF match.
FLT3_CODONS_NCBI36 = {"p.D835": (27490640, 27490642), "p.I836": (27490637, 27490639)}


def _read_maf(path: Path) -> pd.DataFrame:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            maf = pd.read_csv(handle, sep="\t", comment="#", low_memory=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise LoadError(f"Cannot read {path} as a gzipped MAF: {exc}") from exc
    need_columns(
        maf, ("Tumor_Sample_Barcode", "Hugo_Symbol", "Reference_Allele", "Tumor_Seq_Allele2",
              "Protein_Change", "i_TumorVAF_WU"), path,
    )  # fmt: skip
    return maf


def read(folder: Path) -> RawDataset:
    """Read the TCGA LAML files in ``folder`` (see :func:`cohort.datasets.read_folder`)."""
    annot_path, gen_path, maf_path = require(Path(folder), FILES, "tcga")
    annot = read_tsv(annot_path, dtype={"Tumor_Sample_Barcode": str})
    need_columns(
        annot, ("Tumor_Sample_Barcode", "days_to_last_followup", "Overall_Survival_Status"),
        annot_path,
    )  # fmt: skip
    gen = read_tsv(gen_path, dtype={"TCGA_ID": str})
    need_columns(
        gen, ("TCGA_ID", "Hugo_Symbol", "Variant_Classification", "Start_Position",
              "Reference_Allele", "Tumor_Seq_Allele2"), gen_path,
    )  # fmt: skip
    maf = _read_maf(maf_path)
    notes: dict = {}
    ids = annot["Tumor_Sample_Barcode"].astype(str).str.strip()

    variants = _driver_variants(gen, maf, notes)
    wide = pivot_variants(variants, ids, undetectable=("kmt2a_ptd",))
    pnotes = wide.attrs["notes"]
    unpanelled = never_called(wide, keep=("kmt2a_ptd",))
    f = pd.DataFrame({"patient_id": ids})
    f["aml_type"] = "de_novo"
    for g in GENES:
        f[g] = wide[g].to_numpy()
    for g in unpanelled:
        f[g] = pd.NA
    f["npm1_vaf"] = wide["npm1_vaf"].to_numpy()
    f["tp53_vaf"] = wide["tp53_vaf"].to_numpy()
    f["npm1_type"] = wide["npm1_type"].to_numpy()
    notes["genotypes"] = (
        "TCGA_Genetic.txt (driver calls of Gerstung et al. 2017) for every gene; all 200 patients "
        "were sequenced, so no row means wild-type. flt3_itd = FLT3 In_Frame_Ins (exome-called "
        "ITDs; the exome under-calls long ITDs), flt3_tkd = FLT3 codon D835/I836. kmt2a_ptd is "
        "missing (exome cannot call PTDs). "
        + (
            f"{', '.join(unpanelled)}: no variant in any patient, set missing. "
            if unpanelled
            else ""
        )
        + f"Gene aliases: {pnotes['gene_aliases_applied']}."
    )
    notes["aml_type"] = "de_novo for every patient (TCGA LAML enrolled adult de novo AML only)."
    notes["not_available"] = "age, sex, karyotype, ELN, treatment, EFS, CR and relapse."

    days = pd.to_numeric(annot["days_to_last_followup"], errors="coerce")
    bad_time = ~np.isfinite(days.to_numpy(dtype=float))
    f["os_days"] = days.where(~bad_time)
    f["os_event"] = (
        pd.to_numeric(annot["Overall_Survival_Status"], errors="coerce")
        .astype("Int64")
        .mask(bad_time)
    )
    notes["outcomes"] = (
        "os_days = days_to_last_followup, os_event = Overall_Survival_Status (1 dead, as maftools "
        f"reads it); {int(bad_time.sum())} patients with -Inf (no follow-up) have missing OS."
    )
    if "FAB_classification" in annot.columns:
        f["fab"] = annot["FAB_classification"].to_numpy()

    long, _ = standardise_variants(variants)
    # Columns this reader leaves missing on purpose; cohort.load pivots the long table again.
    long.attrs["undetectable"] = tuple(unpanelled) + ("kmt2a_ptd",)
    return RawDataset(
        frame=finish(f),
        mutations=long,
        sequenced=None,
        files=[annot_path, gen_path, maf_path],
        notes=notes,
    )


def _driver_variants(gen: pd.DataFrame, maf: pd.DataFrame, notes: dict) -> pd.DataFrame:
    """TCGA_Genetic.txt rows with protein change and exome VAF joined from the MAF."""
    rows = gen[gen["TCGA_ID"].notna() & gen["Hugo_Symbol"].notna()].copy()
    rows["patient_id"] = rows["TCGA_ID"].astype(str).str.strip()
    rows["gene"] = rows["Hugo_Symbol"].astype(str).str.upper().replace(GENE_ALIASES)
    m = maf.copy()
    m["patient_id"] = m["Tumor_Sample_Barcode"].astype(str).str[:12]
    m["gene"] = m["Hugo_Symbol"].astype(str).str.upper().replace(GENE_ALIASES)
    # The MAF repeats a few variants; one protein change per variant is enough.
    m = m.drop_duplicates(JOIN_KEY)[JOIN_KEY + ["Protein_Change", "i_TumorVAF_WU"]]
    joined = rows.merge(m, on=JOIN_KEY, how="left", validate="many_to_one")
    matched = joined["Protein_Change"].notna() | joined["i_TumorVAF_WU"].notna()
    notes["maf_join"] = (
        f"{int(matched.sum())} of {len(joined)} driver variants matched a MAF row (patient, gene, "
        "alleles): protein change and exome VAF (i_TumorVAF_WU, percent) taken from it; the "
        "others have none."
    )
    protein = joined["Protein_Change"].astype("object")
    flt3 = joined["gene"].eq("FLT3") & protein.isna()
    for label, (lo, hi) in FLT3_CODONS_NCBI36.items():
        at = flt3 & joined["Start_Position"].between(lo, hi)
        protein[at] = label
    cdna = pd.Series(pd.NA, index=joined.index, dtype="object")
    npm1 = joined["gene"].eq("NPM1")
    alleles = joined.loc[npm1, ["Start_Position", "Reference_Allele", "Tumor_Seq_Allele2"]]
    cdna[npm1] = [
        npm1_cdna_from_genomic(p, r, a, build="NCBI36") for p, r, a in alleles.itertuples(False)
    ]
    return pd.DataFrame({
        "patient_id": joined["patient_id"],
        "gene": joined["gene"],
        "vaf": joined["i_TumorVAF_WU"],
        "protein_change": protein,
        "cdna_change": cdna,
        "variant_type": joined["Variant_Classification"],
        "position": joined["Start_Position"],
        "alt_allele": joined["Tumor_Seq_Allele2"],
    })  # fmt: skip
