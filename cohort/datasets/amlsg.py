"""Reader for the AMLSG 1,540-patient cohort (Papaemmanuil et al. 2016; Gerstung et al. 2017).

Files: ``AMLSG_Clinical_Anon.tsv`` (clinical, survival, treatment, coded cytogenetics),
``AMLSG_Genetic.txt`` (one row per driver variant, 111-gene panel), ``AMLSG_Karyotypes.txt``
(ISCN text), ``AMLSG_FLT3ITD.txt`` (sequencing-based ITD calls) and ``AMLSG_Classification.txt``
(genomic classes). Every decision is listed in ``docs/datasets.md`` and in ``RawDataset.notes``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cohort.datasets.readers import (
    RawDataset,
    disagreements,
    finish,
    flag,
    need_columns,
    never_called,
    read_tsv,
    require,
)
from cohort.io.mutations import pivot_variants, standardise_variants
from cohort.schema import GENES

FILES = (
    "AMLSG_Clinical_Anon.tsv",
    "AMLSG_Genetic.txt",
    "AMLSG_Karyotypes.txt",
    "AMLSG_FLT3ITD.txt",
    "AMLSG_Classification.txt",
)

AML_TYPES = {"AML": "de_novo", "sAML": "secondary", "tAML": "therapy_related"}
# TPL_type codes that mean an allogeneic graft: ALLO (family donor), FREMD (German "Fremdspender",
# unrelated donor), HAPLO, and a donor of unknown kind ("Spenderart unbekannt"; only allogeneic
# grafts have a donor). AUTO is autologous and is not an allo-HSCT.
ALLO_TYPES = ("ALLO", "FREMD", "HAPLO", "TPL_(Spenderart_unbekannt)")
NO_KARYOTYPE = ("no metaphases", "na", "no analysis", "no material")

# Coded cytogenetic and other clinical columns kept under an ``amlsg_`` prefix (upstream names).
CODED = (
    "NK", "C_Risk", "complex", "t_15_17", "t_8_21", "inv16_t16_16", "t_6_9", "inv3_t3_3",
    "t_9_22", "t_9_11", "t_v_11", "minus5_5q", "minus7", "minus7q", "abn7other", "plus8_8q",
    "minus9q", "mono12_12p_abn12p", "plus13", "mono17_17p_abn17p", "minus18_18q", "minus20_20q",
    "plus21", "plus22", "minusY", "abn3q_other", "plus11_11q", "mono4_4q_abn4q",
    "FLT3_TKD", "FLT3_other", "CEBPA", "TypeAML", "TPL_type", "TPL_Phase", "ATRA_arm", "VPA",
    "ereignart", "Post_Induction_Therapy_Remission", "HB", "platelet", "LDH", "PB_Blasts",
    "Performance_ECOG", "Center",
)  # fmt: skip
NEEDED = ("PDID", "AOD", "gender", "TypeAML", "NPM1", "FLT3_ITD", "CEBPA", "MLL_PTD", "OS", "Status",
          "efs", "EFSSTAT", "rfs", "rfsstat", "CR_date", "Recurrence_date", "TPL_o", "TPL_type",
          "TPL_date", "TPL_Phase", "Post_Induction_Therapy_Remission", "Study", "M_Risk")  # fmt: skip


def read(folder: Path) -> RawDataset:
    """Read the AMLSG files in ``folder`` (see :func:`cohort.datasets.read_folder`)."""
    clin_path, gen_path, kar_path, itd_path, cls_path = require(Path(folder), FILES, "amlsg")
    clin = read_tsv(clin_path, dtype={"PDID": str})
    need_columns(clin, NEEDED, clin_path)
    notes: dict = {}
    ids = clin["PDID"].astype(str)
    f = pd.DataFrame({"patient_id": ids})
    f["age"] = clin["AOD"]
    f["sex"] = clin["gender"].map({1: "male", 2: "female"})
    f["aml_type"] = clin["TypeAML"].map(AML_TYPES)
    n_other = int(clin["TypeAML"].eq("oAML").sum())
    notes["aml_type"] = (
        f"TypeAML AML -> de_novo, sAML -> secondary, tAML -> therapy_related; {n_other} 'oAML' "
        "(other AML) left missing (raw code kept in amlsg_TypeAML)."
    )
    f["bm_blasts_pct"] = clin["BM_Blasts"]
    f["wbc"] = clin["wbc"]

    # Genotypes: variant table for every gene, except the clinical calls named by SOURCE.md.
    gen = read_tsv(gen_path, dtype={"SAMPLE_NAME": str})
    need_columns(gen, ("SAMPLE_NAME", "GENE", "AA_CHANGE", "VAF", "CDNA_CHANGE"), gen_path)
    wide = pivot_variants(gen, ids)
    pnotes = wide.attrs["notes"]
    clinical_calls = ("npm1", "flt3_itd", "cebpa_biallelic", "kmt2a_ptd")
    unpanelled = never_called(wide, keep=clinical_calls)
    for g in GENES:
        f[g] = wide[g].to_numpy()
    for g in unpanelled:
        f[g] = pd.NA
    notes["genes_missing_no_calls"] = (
        f"{', '.join(unpanelled)}: no variant in any patient of AMLSG_Genetic.txt; the panel "
        "composition is not given, so these are missing rather than wild-type."
    )
    notes["variant_table"] = (
        "AMLSG_Genetic.txt (ONCOGENIC and POSSIBLE calls); a patient without a row has no driver "
        f"called (wild-type). VAF read as {pnotes['vaf_unit']}. Gene aliases: "
        f"{pnotes['gene_aliases_applied']}."
    )
    unknown = pnotes["unknown_patients"]
    notes["variant_patients_not_in_clinical"] = (
        f"{len(unknown)} sample(s) with {sum(unknown.values())} variant(s) in AMLSG_Genetic.txt are "
        "not in the clinical table and were not used."
    )
    variant_npm1 = wide["npm1"].to_numpy()
    f["npm1"] = flag(clin["NPM1"]).to_numpy()
    f["flt3_itd"] = flag(clin["FLT3_ITD"]).to_numpy()
    f["cebpa_biallelic"] = flag(clin["CEBPA"], true=(2,), false=(0, 1)).to_numpy()
    f["kmt2a_ptd"] = flag(clin["MLL_PTD"]).to_numpy()
    disagree = disagreements(variant_npm1, f["npm1"])
    notes["npm1"] = (
        f"clinical NPM1 ({int(f['npm1'].sum())} mutated); the variant table disagrees for "
        f"{disagree} patient(s)."
    )
    ngs = read_tsv(itd_path, dtype={"ID": str})
    need_columns(ngs, ("ID", "FLT3_ITD_status", "Read_count", "Coverage"), itd_path)
    ngs = ngs.set_index("ID").reindex(ids)
    ngs_itd = flag(ngs["FLT3_ITD_status"], true=("ITD",), false=("No_ITD",))
    notes["flt3_itd"] = (
        f"clinical FLT3_ITD ({int(f['flt3_itd'].sum())} positive) as SOURCE.md describes; the "
        "sequencing call of "
        f"AMLSG_FLT3ITD.txt ({int(ngs_itd.sum())} positive) disagrees for "
        f"{disagreements(ngs_itd, f['flt3_itd'])} patients and is kept as "
        "amlsg_flt3_itd_ngs, its ITD read fraction as amlsg_flt3_itd_read_fraction. No allelic "
        "ratio exists in AMLSG, so flt3_itd_ar is absent."
    )
    notes["cebpa"] = (
        "cebpa_biallelic = clinical CEBPA == 2 (number of mutations; missing when CEBPA is "
        "missing); cebpa_bzip from the variant table's protein changes (in-frame, residues "
        "278-358)."
    )
    notes["kmt2a_ptd"] = (
        f"clinical MLL_PTD ({int(f['kmt2a_ptd'].sum())} PTDs; the variant table's PTD calls "
        f"disagree for {disagreements(wide['kmt2a_ptd'], f['kmt2a_ptd'])} patient(s)); the "
        f"clinical column also marks the {int(f['kmt2a_ptd'].isna().sum())} not tested."
    )
    tkd_disagree = disagreements(flag(clin["FLT3_TKD"]), wide["flt3_tkd"])
    notes["flt3_tkd"] = (
        f"variant table, FLT3 D835/I836; disagrees with clinical FLT3_TKD for {tkd_disagree} "
        "patient(s)."
    )
    f["npm1_vaf"] = wide["npm1_vaf"].to_numpy()
    f["tp53_vaf"] = wide["tp53_vaf"].to_numpy()
    f["npm1_type"] = wide["npm1_type"].to_numpy()

    kar = read_tsv(kar_path, dtype={"PDID": str})
    need_columns(kar, ("PDID", "karyotype"), kar_path)
    text = kar.set_index("PDID")["karyotype"].reindex(ids).astype("string").str.strip()
    no_result = text.str.lower().isin(NO_KARYOTYPE).fillna(False)
    f["karyotype"] = text.mask(no_result).to_numpy()
    notes["karyotype"] = (
        f"AMLSG_Karyotypes.txt; {int(no_result.sum())} entries saying no result ('no metaphases', "
        f"'na', 'no analysis', 'no material') read as missing; {int(text.isna().sum())} patients "
        "have no entry. Free-text entries (some in German) are kept for the karyotype parser to "
        "report."
    )

    f = pd.concat([f, _treatment(clin, notes), _outcomes(clin, notes)], axis=1)

    # Extra columns outside the schema.
    cls = read_tsv(cls_path, dtype={"ID": str})
    need_columns(cls, ("ID", "Overall_classification"), cls_path)
    f["study"] = clin["Study"]
    f["eln2010"] = clin["M_Risk"]
    f["papaemmanuil_class"] = cls.set_index("ID")["Overall_classification"].reindex(ids).to_numpy()
    f["amlsg_flt3_itd_ngs"] = ngs_itd.array
    reads = pd.to_numeric(ngs["Read_count"], errors="coerce")
    cov = pd.to_numeric(ngs["Coverage"], errors="coerce")
    f["amlsg_flt3_itd_read_fraction"] = (reads / cov).where(ngs_itd.fillna(False)).to_numpy()
    for col in CODED:
        if col in clin.columns:
            f[f"amlsg_{col}"] = clin[col].to_numpy()

    long, _ = standardise_variants(gen)
    long = long[long["patient_id"].isin(set(ids))].reset_index(drop=True)
    # Columns this reader leaves missing on purpose; cohort.load pivots the long table again.
    long.attrs["undetectable"] = tuple(unpanelled) + ("cebpa_biallelic", "kmt2a_ptd")
    return RawDataset(
        frame=finish(f),
        mutations=long,
        sequenced=None,
        files=[clin_path, gen_path, kar_path, itd_path, cls_path],
        notes=notes,
    )


def _cir(clin: pd.DataFrame) -> tuple[pd.Series, pd.Series, int]:
    cr = clin["CR_date"]
    rel = clin["Recurrence_date"]
    has_cr = cr.notna()
    relapsed = has_cr & rel.notna()
    days = pd.Series(np.nan, index=clin.index)
    days[has_cr] = (clin["OS"] - cr)[has_cr]
    days[relapsed] = (rel - cr)[relapsed]
    status = pd.Series(pd.NA, index=clin.index, dtype="Int64")
    status[has_cr] = np.where(clin.loc[has_cr, "Status"].eq(1), 2, 0)
    status[relapsed] = 1
    return days, status, int((rel.notna() & ~has_cr).sum())


def _treatment(clin: pd.DataFrame, notes: dict) -> pd.DataFrame:
    """intensive, hsct, hsct_days, hsct_in_cr1: every trial patient had intensive induction."""
    f = pd.DataFrame(index=clin.index)
    f["intensive"] = True
    allo = clin["TPL_o"].eq(1) & clin["TPL_type"].isin(ALLO_TYPES)
    f["hsct"] = flag(clin["TPL_o"]).mask(clin["TPL_o"].eq(1), allo).to_numpy()
    f["hsct_days"] = clin["TPL_date"].where(allo).to_numpy()
    phase_cr1 = clin["TPL_Phase"].eq("CR1").astype("boolean").mask(clin["TPL_Phase"].isna())
    hsct = f["hsct"].astype("boolean")
    f["hsct_in_cr1"] = phase_cr1.where(allo, False).mask(hsct.isna()).to_numpy()
    notes["hsct"] = (
        "hsct = allogeneic HSCT: TPL_o == 1 and TPL_type ALLO, FREMD (unrelated donor), HAPLO or "
        f"'Spenderart unbekannt' (donor kind unknown); {int((clin['TPL_type'] == 'AUTO').sum())} "
        "autologous transplants count as no allo-HSCT. hsct_days = TPL_date; hsct_in_cr1 = "
        "TPL_Phase == 'CR1'."
    )
    return f


def _outcomes(clin: pd.DataFrame, notes: dict) -> pd.DataFrame:
    """cr, OS, EFS, RFS and CIR in days; RFS and CIR from CR, as the trials' own rfs column."""
    f = pd.DataFrame(index=clin.index)
    f["cr"] = flag(clin["Post_Induction_Therapy_Remission"], true=("CR",),
                   false=("RD", "ED", "PR")).to_numpy()  # fmt: skip
    f["cr_days"] = clin["CR_date"]
    f["os_days"] = clin["OS"]
    f["os_event"] = clin["Status"]
    f["efs_days"] = clin["efs"]
    efs_event = clin["EFSSTAT"].astype("Int64").mask(clin["efs"].isna())
    f["efs_event"] = efs_event
    f["rfs_days"] = clin["rfs"]
    f["rfs_event"] = clin["rfsstat"].astype("Int64").mask(clin["rfs"].isna())
    cir_days, cir_status, n_relapse_no_cr = _cir(clin)
    f["cir_days"] = cir_days
    f["cir_status"] = cir_status
    notes["outcomes"] = (
        "os = OS/Status; efs = efs/EFSSTAT as coded by the trials (induction failure dated at the "
        "failure, not at day 1 as ELN 2017 prescribes; "
        f"{int(clin['efs'].isna().sum())} patient(s) with EFSSTAT but no efs time set missing); "
        "cr = Post_Induction_Therapy_Remission == 'CR'; cr_days = CR_date, which also dates "
        f"{int((clin['CR_date'].notna() & clin['Post_Induction_Therapy_Remission'].ne('CR')).sum())}"
        " later remissions of patients not in CR after induction; rfs = rfs/rfsstat (from CR_date; "
        f"{int((clin['rfsstat'].notna() & clin['rfs'].isna()).sum())} patient(s) with rfsstat but "
        "no rfs time, all with a recurrence date but no CR date, set missing)."
    )
    notes["cir"] = (
        "derived for patients with a CR_date: cir_days = Recurrence_date - CR_date with "
        "cir_status 1 if a recurrence date exists, else OS - CR_date with status 2 if dead, 0 if "
        f"alive ({int(clin['CR_date'].notna().sum())} patients). Checked to reproduce the trial's "
        "rfs time and its 'cuminc' status (0/1/2) in tests/datasets/test_datasets.py. "
        f"{n_relapse_no_cr} patient(s) with a recurrence date but no CR date have no CIR."
    )
    return f
