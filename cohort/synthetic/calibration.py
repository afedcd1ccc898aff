"""Calibration figures for the synthetic generator, computed from the bundled AMLSG cohort.

The AMLSG 1,540-patient cohort (Papaemmanuil et al., NEJM 2016; Gerstung et al., Nat Genet 2017;
``cohort/datasets/amlsg/``) is the only large, openly licensed adult AML table with both
cytogenetics and a broad gene panel. Everything the generator uses for genotype frequencies,
co-occurrence, karyotype patterns, age, sex, AML type, blood counts and VAFs is computed here from
it; the generator reads :func:`targets` (cached) so there is a single source of truth. ``main()``
writes the same figures to ``synthetic_data/calibration_targets.json`` for review and for the tests.

Calibration set: patients whose cytogenetic class can be determined (every class-defining flag
known). Genes absent from the AMLSG panel (DDX41, SETBP1) and the FLT3-ITD allelic ratio (AMLSG
has only NGS read counts, which understate the fragment-analysis ratio) come from the literature;
see ``synthetic_data/README.md``.

Run ``python -m cohort.synthetic.calibration`` to regenerate the JSON.
"""

from __future__ import annotations

import hashlib
import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cohort.errors import LoadError

AMLSG_DIR = Path(__file__).resolve().parents[1] / "datasets" / "amlsg"
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "synthetic_data" / "calibration_targets.json"

#: Mutually exclusive cytogenetic/genomic classes, in priority order (first match wins). Recurrent
#: translocations come before NPM1 (as in the WHO hierarchy); NPM1-wild-type AML without a
#: recurrent lesion is split into complex karyotype and the rest.
CLASSES: tuple[str, ...] = (
    "apl", "t_8_21", "inv_16", "t_6_9", "inv_3", "kmt2a", "t_9_22", "npm1", "complex", "other",
)  # fmt: skip

#: Age bands (years) within which class frequencies are computed: older patients have fewer CBF
#: leukemias and more complex karyotypes, which matters for the venetoclax scenario.
AGE_BAND_EDGES: tuple[float, ...] = (45.0, 60.0)

#: Panel genes (schema name -> AMLSG_Genetic.txt GENE), called from the variant table.
PANEL_GENES: dict[str, str] = {
    "dnmt3a": "DNMT3A", "idh1": "IDH1", "idh2": "IDH2", "nras": "NRAS", "kras": "KRAS",
    "ptpn11": "PTPN11", "wt1": "WT1", "tet2": "TET2", "asxl1": "ASXL1", "runx1": "RUNX1",
    "tp53": "TP53", "bcor": "BCOR", "ezh2": "EZH2", "sf3b1": "SF3B1", "srsf2": "SFRS2",
    "stag2": "STAG2", "u2af1": "U2AF1", "zrsr2": "ZRSR2", "rad21": "RAD21", "kit": "KIT",
}  # fmt: skip

#: Genes drawn within a class, in drawing order, with the parent genes whose status (any mutated)
#: the draw is conditioned on. Parents encode the best-known co-occurrence and exclusivity
#: patterns: DNMT3A-FLT3-ITD (the NPM1 "triple"), ITD-TKD and signalling exclusivity, IDH1/IDH2/TET2
#: exclusivity, splicing/RUNX1 co-occurrence, and biallelic CEBPA within bZIP.
GENE_ORDER: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dnmt3a", ()),
    ("flt3_itd", ("dnmt3a",)),
    ("flt3_tkd", ("flt3_itd",)),
    ("idh1", ()),
    ("idh2", ("idh1",)),
    ("tet2", ("idh1", "idh2")),
    ("nras", ("flt3_itd",)),
    ("kras", ("nras",)),
    ("ptpn11", ("nras", "kras")),
    ("wt1", ("flt3_itd",)),
    ("runx1", ()),
    ("asxl1", ("runx1",)),
    ("srsf2", ("runx1",)),
    ("tp53", ()),
    ("bcor", ()),
    ("ezh2", ()),
    ("sf3b1", ()),
    ("stag2", ()),
    ("u2af1", ()),
    ("zrsr2", ()),
    ("rad21", ()),
    ("kit", ()),
    ("kmt2a_ptd", ()),
    ("cebpa_biallelic", ()),
    ("cebpa_bzip", ("cebpa_biallelic",)),
)

# Pseudo-count pulling sparse conditional frequencies towards the next coarser level (class
# marginal, then overall marginal); keeps zero cells in small classes from becoming impossibilities.
SMOOTHING = 1.0

# CEBPA basic-leucine-zipper domain (amino acids 278-345, UniProt P49715) for in-frame bZIP calls.
_BZIP = (278, 345)

# Cytogenetic flags of the AMLSG clinical table that define classes or karyotype patterns.
_CYTO = {
    "t_15_17": "t_15_17", "t_8_21": "t_8_21", "inv_16": "inv16_t16_16", "t_6_9": "t_6_9",
    "inv_3": "inv3_t3_3", "t_9_11": "t_9_11", "t_v_11": "t_v_11", "t_9_22": "t_9_22",
    "complex": "complex", "del_5q": "minus5_5q", "minus_7": "minus7",
    "abn_17p": "mono17_17p_abn17p", "nk": "NK",
}  # fmt: skip


def _read_text(name: str) -> str:
    path = AMLSG_DIR / name
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:  # pragma: no cover - only when the package is broken
        raise LoadError(
            f"calibration data file {path} is missing; reinstall cohort (it ships the AMLSG data)."
        ) from exc


def _sha256(name: str) -> str:
    return hashlib.sha256((AMLSG_DIR / name).read_bytes()).hexdigest()


def load_amlsg() -> pd.DataFrame:
    """One row per AMLSG patient with the columns calibration needs (0/1 genotypes, flags, class).

    Returns
    -------
    pandas.DataFrame
        Columns: ``age``, ``male``, ``aml_type``, ``wbc``, ``bm_blasts``, ``npm1``, the genes of
        :data:`GENE_ORDER`, the cytogenetic flags, ``cls`` (a :data:`CLASSES` name or missing when
        cytogenetics are incomplete), ``npm1_type``, ``npm1_vaf``, ``tp53_vaf`` and
        ``itd_read_fraction``.
    """
    clin = pd.read_csv(io.StringIO(_read_text("AMLSG_Clinical_Anon.tsv")), sep="\t")
    # AMLSG_Genetic.txt has old-Mac CR line endings.
    var = pd.read_csv(io.StringIO(_read_text("AMLSG_Genetic.txt").replace("\r", "\n")), sep="\t")
    var = var[var["SAMPLE_NAME"].isin(clin["PDID"])].copy()
    var["VAF"] = pd.to_numeric(var["VAF"], errors="coerce")
    out = pd.DataFrame({"patient": clin["PDID"]})
    out["age"] = clin["AOD"].astype(float)
    out["male"] = clin["gender"].eq(1)
    out["aml_type"] = clin["TypeAML"].map(
        # oAML ("other", AML after a non-myeloid disorder) has no schema category; read as de novo.
        {"AML": "de_novo", "oAML": "de_novo", "sAML": "secondary", "tAML": "therapy_related"}
    )
    out["wbc"] = clin["wbc"].astype(float)
    out["bm_blasts"] = clin["BM_Blasts"].astype(float)
    out["npm1"] = clin["NPM1"].eq(1)
    out["flt3_itd"] = clin["FLT3_ITD"].eq(1)
    out["flt3_tkd"] = clin["FLT3_TKD"].eq(1)
    # Patients sequenced without a call have no row in the variant table: wild-type.
    for name, gene in PANEL_GENES.items():
        out[name] = out["patient"].isin(var.loc[var["GENE"] == gene, "SAMPLE_NAME"])
    out["kmt2a_ptd"] = clin["MLL_PTD"].map({1: True, 0: False}).astype("boolean")
    out["cebpa_biallelic"] = clin["CEBPA"].map({2: True, 1: False, 0: False}).astype("boolean")
    ce = var[var["GENE"] == "CEBPA"]
    pos = pd.to_numeric(ce["AA_CHANGE"].str.extract(r"p\.[A-Z*]?(\d+)")[0], errors="coerce")
    frameshift = ce["CONSEQUENCE"].str.contains("frameshift|nonsense|stop", case=False, na=False)
    bzip = ce.loc[pos.between(*_BZIP) & ~frameshift, "SAMPLE_NAME"]
    out["cebpa_bzip"] = out["patient"].isin(bzip)
    for flag, col in _CYTO.items():
        out[flag] = clin[col].map({1: True, 0: False}).astype("boolean")
    out["cls"] = _classify(out)
    npm1 = var[var["GENE"] == "NPM1"].drop_duplicates("SAMPLE_NAME").set_index("SAMPLE_NAME")
    insert = npm1["CDNA_CHANGE"].str.extract(r"ins([ACGT]{4})$")[0]
    kind = insert.map({"TCTG": "A", "CATG": "B", "CCTG": "D"}).fillna("other")
    out["npm1_type"] = out["patient"].map(kind).where(out["npm1"])
    out["npm1_vaf"] = out["patient"].map(npm1["VAF"] / 100.0).where(out["npm1"])
    tp53 = var[var["GENE"] == "TP53"].groupby("SAMPLE_NAME")["VAF"].max() / 100.0
    out["tp53_vaf"] = out["patient"].map(tp53)
    itd = pd.read_csv(io.StringIO(_read_text("AMLSG_FLT3ITD.txt")), sep="\t")
    itd = itd[itd["FLT3_ITD_status"] == "ITD"].drop_duplicates("ID").set_index("ID")
    rf = pd.to_numeric(itd["Read_count"], errors="coerce") / pd.to_numeric(itd["Coverage"])
    out["itd_read_fraction"] = out["patient"].map(rf)
    return out


def _classify(df: pd.DataFrame) -> pd.Series:
    lesion_cols = ["t_15_17", "t_8_21", "inv_16", "t_6_9", "inv_3", "t_9_11", "t_v_11", "t_9_22"]
    known = df[lesion_cols + ["complex"]].notna().all(axis=1)
    f = df[lesion_cols + ["complex"]].astype("boolean").fillna(False).astype(bool)
    rules = [
        ("apl", f["t_15_17"]),
        ("t_8_21", f["t_8_21"]),
        ("inv_16", f["inv_16"]),
        ("t_6_9", f["t_6_9"]),
        ("inv_3", f["inv_3"]),
        ("kmt2a", f["t_9_11"] | f["t_v_11"]),
        ("t_9_22", f["t_9_22"]),
        ("npm1", df["npm1"]),
        ("complex", f["complex"]),
    ]
    cls = pd.Series("other", index=df.index, dtype=object)
    assigned = pd.Series(False, index=df.index)
    for name, mask in rules:
        hit = mask & ~assigned
        cls[hit] = name
        assigned |= hit
    return cls.where(known)


def _band(age: pd.Series) -> pd.Series:
    return pd.Series(np.searchsorted(AGE_BAND_EDGES, age.to_numpy(), side="right"), index=age.index)


def _smoothed(x: float, n: float, prior: float) -> float:
    return (x + SMOOTHING * prior) / (n + SMOOTHING)


def _logit_normal(values: pd.Series) -> dict[str, float]:
    v = values.dropna().clip(0.01, 0.99)
    lg = np.log(v / (1 - v))
    return {
        "logit_mean": float(lg.mean()),
        "logit_sd": float(lg.std(ddof=1)),
        "median": float(values.median()),
        "n": int(values.notna().sum()),
    }


def _log_normal(values: pd.Series) -> dict[str, float]:
    v = values.dropna()
    v = v[v > 0]
    return {
        "log_mean": float(np.log(v).mean()),
        "log_sd": float(np.log(v).std(ddof=1)),
        "median": float(v.median()),
        "n": int(len(v)),
    }


def _pattern_key(row: pd.Series, cls: str) -> str:
    """Karyotype pattern of one patient (the generator builds one ISCN template per key)."""
    parts = [p for p in ("minus_7", "del_5q", "abn_17p") if bool(row[p])]
    if cls == "complex":
        return "complex" + "".join("+" + p for p in parts)
    if cls in ("npm1", "other"):
        if bool(row["complex"]):
            return "complex" + "".join("+" + p for p in parts)
        if parts:
            return "+".join(parts)
        return "normal" if bool(row["nk"]) else "minor"
    return "lesion" + "".join("+" + p for p in parts)


def compute_targets() -> dict[str, Any]:
    """Every calibration figure, as a JSON-serialisable dict (see ``synthetic_data/README.md``)."""
    df = load_amlsg()
    cal = df[df["cls"].notna()].copy()
    for g, _ in GENE_ORDER:
        cal[g] = cal[g].astype("boolean")
    n = len(cal)
    overall = {g: float(cal[g].mean()) for g, _ in GENE_ORDER}
    classes: dict[str, Any] = {}
    for c in CLASSES:
        sub = cal[cal["cls"] == c]
        genes: dict[str, Any] = {}
        for g, parents in GENE_ORDER:
            known = sub[sub[g].notna()]
            marginal = _smoothed(float(known[g].sum()), len(known), overall[g])
            entry: dict[str, Any] = {"p": marginal, "n": int(len(known))}
            if parents:
                pk = known[list(parents)].fillna(False).astype(bool).any(axis=1)
                for state, mask in (("parent_mutated", pk), ("parent_wild_type", ~pk)):
                    entry[state] = _smoothed(
                        float(known.loc[mask, g].sum()), int(mask.sum()), marginal
                    )
            genes[g] = entry
        flags_known = sub[["minus_7", "del_5q", "abn_17p", "nk"]].notna().all(axis=1)
        pat = pd.Series(
            [_pattern_key(row, c) for _, row in sub[flags_known].iterrows()], dtype=object
        )
        aml = sub["aml_type"].value_counts(normalize=True)
        classes[c] = {
            "n": int(len(sub)),
            # Share of t(9;11) among KMT2A rearrangements (the rest are t(v;11q23.3)).
            "t_9_11_fraction": float(sub["t_9_11"].astype(bool).mean()) if len(sub) else 0.0,
            "genes": genes,
            "karyotype_patterns": {
                k: float(v) for k, v in pat.value_counts(normalize=True).sort_index().items()
            },
            "aml_type": {
                t: float(aml.get(t, 0.0)) for t in ("de_novo", "secondary", "therapy_related")
            },
        }
    bands = _band(cal["age"])
    by_band = {}
    for b in range(len(AGE_BAND_EDGES) + 1):
        vc = cal.loc[bands == b, "cls"].value_counts(normalize=True)
        by_band[str(b)] = {c: float(vc.get(c, 0.0)) for c in CLASSES}
    ages = cal["age"].round().astype(int).value_counts().sort_index()
    npm = cal[cal["cls"] == "npm1"]
    itd_npm = npm["flt3_itd"]
    types = npm["npm1_type"].value_counts(normalize=True)
    counts_group = {
        "npm1_itd": (cal["npm1"] & cal["flt3_itd"]),
        "npm1_no_itd": (cal["npm1"] & ~cal["flt3_itd"]),
        "wt_itd": (~cal["npm1"] & cal["flt3_itd"]),
        "wt_no_itd": (~cal["npm1"] & ~cal["flt3_itd"]),
    }
    nk_known = npm["nk"].notna()
    targets = {
        "marginal": {g: overall[g] for g, _ in GENE_ORDER},
        "npm1": float(cal["npm1"].mean()),
        "within_npm1": {g: float(npm[g].mean()) for g, _ in GENE_ORDER},
        "within_npm1_wild_type": {g: float(cal.loc[~cal["npm1"], g].mean()) for g, _ in GENE_ORDER},
        "joint": {
            "npm1&flt3_itd": float((cal["npm1"] & cal["flt3_itd"]).mean()),
            "npm1&dnmt3a": float((cal["npm1"] & cal["dnmt3a"]).mean()),
            "npm1&flt3_itd&dnmt3a": float((cal["npm1"] & cal["flt3_itd"] & cal["dnmt3a"]).mean()),
            "npm1&nras": float((cal["npm1"] & cal["nras"]).mean()),
            "idh1&idh2": float((cal["idh1"] & cal["idh2"]).mean()),
            "flt3_itd&flt3_tkd": float((cal["flt3_itd"] & cal["flt3_tkd"]).mean()),
            "runx1&asxl1": float((cal["runx1"] & cal["asxl1"]).mean()),
            "cebpa_biallelic&cebpa_bzip": float(
                (cal["cebpa_biallelic"] & cal["cebpa_bzip"]).fillna(False).mean()
            ),
        },
        "within_npm1_joint": {
            "flt3_itd&dnmt3a": float((npm["flt3_itd"] & npm["dnmt3a"]).mean()),
            "flt3_itd&nras": float((npm["flt3_itd"] & npm["nras"]).mean()),
            "dnmt3a&idh1": float((npm["dnmt3a"] & npm["idh1"]).mean()),
        },
        "normal_karyotype_within_npm1": float(npm.loc[nk_known, "nk"].astype(bool).mean()),
        "classes": {c: float((cal["cls"] == c).mean()) for c in CLASSES},
        "male": float(cal["male"].mean()),
        "npm1_type_within_npm1": {t: float(types.get(t, 0.0)) for t in ("A", "B", "D", "other")},
    }
    return {
        "description": (
            "Calibration figures computed from the bundled AMLSG cohort by cohort.synthetic.calibration; "
            "regenerate with `python -m cohort.synthetic.calibration`."
        ),
        "source": {
            "dataset": "AMLSG (Papaemmanuil et al. NEJM 2016; Gerstung et al. Nat Genet 2017)",
            "files": {
                name: _sha256(name)
                for name in ("AMLSG_Clinical_Anon.tsv", "AMLSG_Genetic.txt", "AMLSG_FLT3ITD.txt")
            },
            "n_patients": int(len(df)),
            "n_calibration_set": int(n),
            "calibration_set": "patients whose cytogenetic class is determined (class-defining flags known)",
        },
        "age_counts": {str(int(a)): int(k) for a, k in ages.items()},
        "age_band_edges": list(AGE_BAND_EDGES),
        "class_probs_by_age_band": by_band,
        "classes": classes,
        "npm1_vaf": _logit_normal(npm["npm1_vaf"]),
        "tp53_vaf": _logit_normal(cal["tp53_vaf"]),
        "wbc": {k: _log_normal(cal.loc[m, "wbc"]) for k, m in counts_group.items()},
        "bm_blasts": {
            "npm1": _logit_normal(cal.loc[cal["npm1"], "bm_blasts"] / 100.0),
            "npm1_wild_type": _logit_normal(cal.loc[~cal["npm1"], "bm_blasts"] / 100.0),
        },
        "flt3_itd_ngs_ratio_within_npm1": {
            # Documented, not used: NGS read fractions understate the fragment-analysis ratio.
            "median_read_fraction": float(npm.loc[itd_npm, "itd_read_fraction"].median()),
            "median_ratio": float(
                (lambda f: (f / (1 - f)).median())(npm.loc[itd_npm, "itd_read_fraction"].dropna())
            ),
            "n": int(npm.loc[itd_npm, "itd_read_fraction"].notna().sum()),
        },
        "targets": targets,
    }


@lru_cache(maxsize=1)
def _cached_json() -> str:
    return json.dumps(compute_targets(), sort_keys=True)


def targets() -> dict[str, Any]:
    """The calibration figures (computed once per process from the bundled AMLSG data; a copy)."""
    return json.loads(_cached_json())


def to_json() -> str:
    """The calibration figures as the text of ``calibration_targets.json`` (stable across machines)."""
    return json.dumps(_round(targets()), indent=2, sort_keys=True) + "\n"


def _round(obj: Any) -> Any:
    # 10 significant digits: stable text across platforms and far below any sampling error.
    if isinstance(obj, float):
        return float(f"{obj:.10g}")
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj


def main(out: str | Path = DEFAULT_OUT) -> Path:
    """Write ``calibration_targets.json`` (default: ``synthetic_data/`` of the source tree)."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover
    print(main())
