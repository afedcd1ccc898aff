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
from cohort.mutations import npm1_cdna_from_genomic, pivot_variants, standardise_variants
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
