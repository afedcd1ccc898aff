"""Reader for the Beat AML 2.0 derived cohort (805 patients; Bottomly et al. 2022).

Files: ``patients_from_cohort_json.tsv`` (one row per patient, flattened from ``cohort.json``),
``cohort.json`` (for the list of WES-sequenced patients) and ``mutations.json`` (WES variants of
those patients). Every decision is listed in ``docs/datasets.md`` and in ``RawDataset.notes``.
"""

from __future__ import annotations

import json
from pathlib import Path

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
from cohort.errors import LoadError
from cohort.io.mutations import npm1_cdna_from_genomic, pivot_variants, standardise_variants
from cohort.schema import GENES

FILES = ("patients_from_cohort_json.tsv", "cohort.json", "mutations.json")
NEEDED = ("id", "age", "sex", "isDenovo", "isTransformed", "priorMDS", "specificDx", "npm1c",
          "flt3itd", "allelicRatio", "cebpaBi", "karyotype", "eln", "vital", "os", "response")  # fmt: skip
TRUE_TEXT = (True, "True", "TRUE", "true")
FALSE_TEXT = (False, "False", "FALSE", "false")
# responseToInductionTx as normalised by the third party; "CR (indeterminate)" is neither a
# documented CR nor a failure, so it stays missing.
RESPONSE = {"Complete Response": True, "Refractory": False}


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoadError(f"Cannot read {path} as JSON: {exc}") from exc


#: consensusAMLFusions value -> the cytogenetic flag the fusion proves.
FUSION_FLAGS = {
    "RUNX1-RUNX1T1": "t_8_21", "CBFB-MYH11": "inv_16", "PML-RARA": "t_15_17",
    "MLLT3-KMT2A": "t_9_11", "KMT2A_re": "kmt2a_r", "DEK-NUP214": "t_6_9", "BCR-ABL1": "t_9_22",
    "GATA2-MECOM": "inv_3",
}  # fmt: skip
#: Fusions whose presence voids a complex karyotype (ELN 2017 footnote CK; ELN 2022 **).
_CK_VOIDING = ("t_8_21", "inv_16", "t_15_17", "t_9_11", "kmt2a_r", "t_6_9", "t_9_22", "inv_3")
CURATED_GENES = {"tp53c": "tp53", "runx1c": "runx1", "asxl1c": "asxl1"}


def _curated_genes(pat: pd.DataFrame, f: pd.DataFrame, seq_mask: pd.Series, notes: dict) -> None:
    """TP53, RUNX1, ASXL1 from the curated calls (clinical report or WES, merged upstream).

    Sequenced patients keep their WES call, raised to True where the curated call is True (a
    clinical assay found a mutation WES missed); the others take the curated call.
    """
    counts = []
    for src, gene in CURATED_GENES.items():
        curated = flag(pat[src], TRUE_TEXT, FALSE_TEXT).reset_index(drop=True)
        wes = pd.Series(f[gene].to_numpy(), dtype="boolean")
        seq = seq_mask.to_numpy()
        out = wes.where(seq, curated)
        cur_true = curated.fillna(False).to_numpy(dtype=bool)
        raised = seq & cur_true & wes.eq(False).fillna(False).to_numpy(dtype=bool)
        out[raised] = True
        counts.append(
            f"{gene}: {int((~seq & curated.notna().to_numpy()).sum())} unsequenced patients from "
            f"{src}, "
            f"{int(raised.sum())} sequenced raised to mutated"
        )
        f[gene] = out.to_numpy()
    notes["curated_genes"] = (
        "TP53, RUNX1, ASXL1: the WES call for sequenced patients (set to mutated where the curated "
        "call tp53c/runx1c/asxl1c says mutated), else the curated call. " + "; ".join(counts) + "."
    )


def _cytogenetics(pat: pd.DataFrame, f: pd.DataFrame, notes: dict) -> None:
    """Cytogenetic flags from the karyotype, plus the recurrent fusions of consensusAMLFusions.

    A fusion found by RNA sequencing sets its flag even when the karyotype is normal or missing
    (a cryptic rearrangement), voids a complex karyotype (the definition excludes the recurrent
    fusions) and, for t(8;21)/inv(16), a monosomal karyotype. No fusion listed is not read as
    absence: patients without RNA sequencing have the column empty too.
    """
    from cohort.cytogenetics import FLAG_COLUMNS, flags

    kf = flags(f["karyotype"])
    for col in FLAG_COLUMNS:
        f[col] = kf[col].to_numpy()
    fusion = pat["fusion"].astype("string")
    unknown = sorted(set(fusion.dropna()) - set(FUSION_FLAGS))
    for name, col in FUSION_FLAGS.items():
        hit = fusion.eq(name).fillna(False).to_numpy(dtype=bool)
        values = pd.Series(f[col].to_numpy(), dtype="boolean")
        values[hit] = True
        f[col] = values.to_numpy()
        if col in _CK_VOIDING:
            for ck in ("complex_karyotype", "complex_karyotype_2022"):
                v = pd.Series(f[ck].to_numpy(), dtype="boolean")
                v[hit] = False
                f[ck] = v.to_numpy()
        if col in ("t_8_21", "inv_16"):
            v = pd.Series(f["monosomal_karyotype"].to_numpy(), dtype="boolean")
            v[hit] = False
            f["monosomal_karyotype"] = v.to_numpy()
    notes["fusions"] = (
        "Cytogenetic flags from the karyotype (cohort.cytogenetics.flags), then the fusion column "
        f"(consensusAMLFusions) sets {', '.join(f'{k} -> {v}' for k, v in FUSION_FLAGS.items())} "
        f"for {int(fusion.isin(list(FUSION_FLAGS)).sum())} patients (also when the karyotype is "
        "normal or missing), voiding a complex karyotype (and, for CBF fusions, a monosomal one); "
        "an empty fusion cell is not read as absence."
        + (f" Fusion values not used: {', '.join(unknown)}." if unknown else "")
    )


def read(folder: Path) -> RawDataset:
    """Read the Beat AML files in ``folder`` (see :func:`cohort.datasets.read_folder`)."""
    pat_path, cohort_path, mut_path = require(Path(folder), FILES, "beataml")
    pat = read_tsv(pat_path, dtype={"id": str})
    need_columns(pat, NEEDED, pat_path)
    meta = _json(cohort_path)
    if not isinstance(meta, dict) or "sequenced" not in meta:
        raise LoadError(f"{cohort_path} has no 'sequenced' list; is it the original cohort.json?")
    sequenced = tuple(str(s) for s in meta["sequenced"])
    records = _json(mut_path)
    if not isinstance(records, list):
        raise LoadError(f"{mut_path} should hold a list of variant records.")
    variants = pd.DataFrame.from_records(records)
    if variants.empty:
        raise LoadError(f"{mut_path} holds no variant records.")
    need_columns(variants, ("p", "g", "hp", "vaf", "c", "pos", "ref", "alt"), mut_path)
    variants["p"] = variants["p"].astype(str)
    # NPM1 type needs the inserted bases placed on the cDNA; positions are GRCh37 (hg19).
    is_npm1 = variants["g"].eq("NPM1")
    variants["cdna"] = pd.Series(pd.NA, index=variants.index, dtype="object")
    npm1 = variants.loc[is_npm1, ["pos", "ref", "alt"]]
    variants.loc[is_npm1, "cdna"] = [
        npm1_cdna_from_genomic(p, r, a, build="GRCh37") for p, r, a in npm1.itertuples(False)
    ]
    notes: dict = {}
    ids = pat["id"].astype(str)
    f = pd.DataFrame({"patient_id": ids})
    f["age"] = pat["age"]
    f["sex"] = pat["sex"].str.lower()
    therapy = pat["specificDx"].astype(str).str.contains("Therapy-related", case=False)
    secondary = flag(pat["isTransformed"], TRUE_TEXT, FALSE_TEXT).fillna(False) | flag(
        pat["priorMDS"], TRUE_TEXT, FALSE_TEXT
    ).fillna(False)
    denovo = flag(pat["isDenovo"], TRUE_TEXT, FALSE_TEXT).fillna(False)
    aml_type = pd.Series(pd.NA, index=pat.index, dtype="object")
    aml_type[denovo.to_numpy(dtype=bool)] = "de_novo"
    aml_type[secondary.to_numpy(dtype=bool)] = "secondary"
    aml_type[therapy.to_numpy(dtype=bool)] = "therapy_related"
    f["aml_type"] = aml_type
    f["prior_mds"] = flag(pat["priorMDS"], TRUE_TEXT, FALSE_TEXT)
    notes["aml_type"] = (
        "therapy_related if specificDx says 'Therapy-related', else secondary if isTransformed or "
        "priorMDS, else de_novo if isDenovo, else missing. The cohort also holds "
        f"{int(pat['dx'].ne('AML').sum())} non-AML diagnoses (column dx kept as beataml_dx)."
    )
    f["bm_blasts_pct"] = pat["blastsBM"]
    f["wbc"] = pat["wbc"]

    wide = pivot_variants(
        variants.rename(columns={"cdna": "cdna_change"}), ids, sequenced=sequenced,
        undetectable=("kmt2a_ptd",),
    )  # fmt: skip
    pnotes = wide.attrs["notes"]
    unpanelled = never_called(wide, keep=("npm1", "flt3_itd", "kmt2a_ptd"))
    for g in GENES:
        f[g] = wide[g].to_numpy()
    for g in unpanelled:
        f[g] = pd.NA
    f["npm1"] = flag(pat["npm1c"], TRUE_TEXT, FALSE_TEXT).to_numpy()
    f["flt3_itd"] = flag(pat["flt3itd"], TRUE_TEXT, FALSE_TEXT).to_numpy()
    seq_mask = ids.isin(set(sequenced))
    wes_npm1 = wide["npm1"].to_numpy()
    disagree = disagreements(wes_npm1, f["npm1"])
    notes["genotypes"] = (
        f"WES variants (mutations.json) for the {int(seq_mask.sum())} sequenced patients; the "
        f"other {int((~seq_mask).sum())} have missing genotypes. NPM1 = npm1c and FLT3-ITD = "
        "flt3itd (clinical calls; ITDs are not in the WES table). The WES NPM1 call disagrees "
        f"with npm1c for {disagree} sequenced patient(s). kmt2a_ptd is missing (exome cannot "
        f"call PTDs). VAF read as {pnotes['vaf_unit']}."
    )
    if unpanelled:
        notes["genes_missing_no_calls"] = (
            f"{', '.join(unpanelled)}: no variant in any sequenced patient; set missing."
        )
    curated = pat["cebpaBi"].map({"bi": True, "mono": False}).astype("boolean")
    from_wes = pd.Series(wide["cebpa_biallelic"].to_numpy(), index=pat.index, dtype="boolean")
    f["cebpa_biallelic"] = curated.where(curated.notna(), from_wes)
    notes["cebpa"] = (
        "cebpa_biallelic = cebpaBi ('bi' / 'mono') where given, else two or more CEBPA WES "
        "variants; cebpa_bzip from WES protein changes (in-frame, residues 278-358)."
    )
    f["npm1_vaf"] = wide["npm1_vaf"].to_numpy()
    f["tp53_vaf"] = wide["tp53_vaf"].to_numpy()
    f["npm1_type"] = wide["npm1_type"].to_numpy()

    ar = pd.to_numeric(pat["allelicRatio"], errors="coerce")
    itd = f["flt3_itd"]
    # SOURCE.md: an ITD-positive patient with ratio 0 has no measured ratio.
    f["flt3_itd_ar"] = ar.where(itd.eq(True).fillna(False) & (ar > 0)).mask(
        itd.eq(False).fillna(False), 0.0
    )
    notes["flt3_itd_ar"] = (
        "allelicRatio for ITD-positive patients with a value above 0; "
        f"{int((itd.eq(True).fillna(False) & ar.fillna(0).eq(0)).sum())} ITD-positive patients "
        "with 0 or no value are missing; ITD-negative patients get 0."
    )
    kar = pat["karyotype"].astype("string").str.strip()
    f["karyotype"] = kar.mask(kar.eq(""))
    _curated_genes(pat, f, seq_mask, notes)
    _cytogenetics(pat, f, notes)

    f["cr"] = pat["response"].map(RESPONSE).astype("boolean")
    f["os_days"] = pat["os"]
    event = pat["vital"].map({"Dead": 1, "Alive": 0}).astype("Int64")
    f["os_event"] = event.mask(pat["os"].isna())
    notes["outcomes"] = (
        "os_days = os (overallSurvival, days; time origin not stated in these files), os_event "
        f"from vital (Dead 1, Alive 0; {int(pat['vital'].eq('Unknown').sum())} 'Unknown' "
        "missing). cr from response (Complete Response True, Refractory False, 'CR "
        "(indeterminate)' and Unknown missing). No treatment, EFS, RFS or relapse data. "
        f"{int(pat['stage'].ne('Initial Diagnosis').sum())} patients are represented by a "
        "specimen not taken at initial diagnosis (beataml_stage)."
    )
    f["eln2017_curated"] = pat["eln"]
    extras = {
        "dx": "beataml_dx", "specificDx": "beataml_specific_dx", "stage": "beataml_stage",
        "specimenType": "beataml_specimen_type", "cohort": "beataml_wave",
        "fusion": "beataml_fusion", "fab": "fab", "tp53c": "beataml_tp53_curated",
        "runx1c": "beataml_runx1_curated", "asxl1c": "beataml_asxl1_curated",
        "response": "beataml_response", "causeOfDeath": "beataml_cause_of_death",
        "blastsPB": "beataml_pb_blasts", "hgb": "beataml_hgb", "plt": "beataml_plt",
        "ldh": "beataml_ldh", "isRelapse": "beataml_is_relapse",
    }  # fmt: skip
    for src, dst in extras.items():
        if src in pat.columns:
            f[dst] = pat[src].to_numpy()

    long, _ = standardise_variants(variants.rename(columns={"cdna": "cdna_change"}))
    # Columns this reader leaves missing on purpose; cohort.load pivots the long table again.
    long.attrs["undetectable"] = tuple(unpanelled) + ("kmt2a_ptd", "flt3_itd")
    return RawDataset(
        frame=finish(f),
        mutations=long,
        sequenced=sequenced,
        files=[pat_path, cohort_path, mut_path],
        notes=notes,
    )
