"""Age, sex, genomic class, gene mutations and quantities for synthetic patients.

Model (all figures from :mod:`cohort.synthetic.calibration` unless marked *literature*):

1. Genomic class (APL, t(8;21), inv(16), t(6;9), inv(3), KMT2A, t(9;22), NPM1-mutated, complex
   karyotype, other) from the AMLSG class frequencies of the patient's age band.
2. Genes within the class, in :data:`~cohort.synthetic.calibration.GENE_ORDER`: each gene's
   probability is the AMLSG frequency in that class given whether its parent genes are mutated,
   which reproduces the class marginals and the parent-child co-occurrence (e.g. DNMT3A with
   FLT3-ITD within NPM1-mutated AML, IDH1/IDH2 exclusivity).
3. DDX41 and SETBP1 (not on the AMLSG panel; *literature*), NPM1 type, NPM1 and TP53 VAF
   (logit-normal fitted to AMLSG), FLT3-ITD allelic ratio (*literature*: log-normal with median
   0.5, see :data:`ITD_AR_MEDIAN`), WBC (log-normal by NPM1/ITD group), bone-marrow blasts and
   AML type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, ndtr, ndtri

from cohort.synthetic.calibration import CLASSES, GENE_ORDER

#: FLT3-ITD allelic ratio (fragment analysis, ITD/wild type) among ITD-positive patients:
#: log-normal with median 0.5 and log-SD 0.9, so about half are ITD-high (>= 0.5) and a tenth
#: above 1.5, as in ELN 2017-era series that measured the ratio by fragment analysis
#: (e.g. Schlenk et al., Blood 2014;124:3441; Döhner et al., Blood 2017). *Literature*, not
#: AMLSG: the AMLSG table gives only NGS read fractions, which understate the ratio (its median
#: NGS-derived ratio, 0.32, is stored in the calibration file for reference).
ITD_AR_MEDIAN = 0.5
ITD_AR_LOG_SD = 0.9
ITD_AR_BOUNDS = (0.01, 20.0)

#: DDX41 (germline or somatic), *literature*: about 2-5% of adult AML, rising with age, mostly
#: with normal karyotype and rarely with recurrent translocations (Duployez et al., Blood 2022;
#: Makishima et al., Blood 2023). Probability by age band (<50, 50-64, >=65) outside APL/CBF.
DDX41_BY_AGE = ((50.0, 0.01), (65.0, 0.025), (np.inf, 0.04))
#: SETBP1, *literature*: about 1-2% of AML, enriched in secondary/complex AML.
SETBP1_PROB = {"other": 0.015, "complex": 0.02}

NPM1_TYPES = ("A", "B", "D", "other")
NPM1_VAF_BOUNDS = (0.02, 0.6)  # above 0.6 the loader warns (heterozygous mutation)
TP53_VAF_BOUNDS = (0.02, 0.98)
_LESION_CLASSES = ("apl", "t_8_21", "inv_16", "t_6_9", "inv_3", "kmt2a", "t_9_22")


@dataclass(frozen=True)
class GenotypeDraw:
    """Patient-level genotype arrays (length n)."""

    cls: np.ndarray
    genes: dict[str, np.ndarray]
    flt3_itd_ar: np.ndarray
    npm1_vaf: np.ndarray
    tp53_vaf: np.ndarray
    npm1_type: np.ndarray
    aml_type: np.ndarray
    wbc: np.ndarray
    bm_blasts_pct: np.ndarray


def draw_age(
    rng: np.random.Generator, n: int, cal: dict[str, Any], age_model: dict[str, Any]
) -> np.ndarray:
    """Age in years (one decimal).

    ``age_model["kind"] == "amlsg"``: the AMLSG integer ages resampled, each spread uniformly over
    its year (so age bands are preserved). ``"normal"``: a normal distribution truncated to
    ``[low, high]`` (the older, less-fit population of the venetoclax scenario).
    """
    u = rng.random(n)
    v = rng.random(n)
    if age_model["kind"] == "amlsg":
        ages = np.array(sorted(int(a) for a in cal["age_counts"]), dtype=float)
        counts = np.array([cal["age_counts"][str(int(a))] for a in ages], dtype=float)
        cum = np.cumsum(counts) / counts.sum()
        idx = np.minimum(np.searchsorted(cum, u, side="right"), len(ages) - 1)
        age = ages[idx] + v
    else:
        mu, sd, lo, hi = (age_model[k] for k in ("mean", "sd", "low", "high"))
        a, b = ndtr((lo - mu) / sd), ndtr((hi - mu) / sd)
        age = mu + sd * ndtri(a + (b - a) * u)
    return np.floor(age * 10.0) / 10.0


def _categorical(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw: ``probs`` is (n, k) or (k,), ``u`` uniform (n,)."""
    cum = np.cumsum(probs, axis=-1)
    cum = cum / cum[..., -1:]
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u, side="right"), cum.shape[-1] - 1)
    return np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)


def _truncated_logit_normal(
    u: np.ndarray, mean: float, sd: float, bounds: tuple[float, float]
) -> np.ndarray:
    lo, hi = (np.log(b / (1 - b)) for b in bounds)
    a, b = ndtr((lo - mean) / sd), ndtr((hi - mean) / sd)
    return expit(mean + sd * ndtri(a + (b - a) * u))


def draw_class(rng: np.random.Generator, age: np.ndarray, cal: dict[str, Any]) -> np.ndarray:
    """Genomic class index (into :data:`CLASSES`) from the class frequencies of the age band."""
    u = rng.random(len(age))
    band = np.searchsorted(np.array(cal["age_band_edges"]), age, side="right")
    table = np.array(
        [
            [cal["class_probs_by_age_band"][str(b)][c] for c in CLASSES]
            for b in range(band.max(initial=0) + 1)
        ]
    )
    return _categorical(u, table[band])


def draw_genotypes(
    rng: np.random.Generator, age: np.ndarray, male: np.ndarray, cal: dict[str, Any]
) -> GenotypeDraw:
    """Class, genes and quantities for every patient (see the module docstring)."""
    n = len(age)
    cls = draw_class(rng, age, cal)
    classes = cal["classes"]
    genes: dict[str, np.ndarray] = {"npm1": cls == CLASSES.index("npm1")}
    for gene, parents in GENE_ORDER:
        u = rng.random(n)
        p_marg = np.array([classes[c]["genes"][gene]["p"] for c in CLASSES])
        if parents:
            p_mut = np.array([classes[c]["genes"][gene]["parent_mutated"] for c in CLASSES])
            p_wt = np.array([classes[c]["genes"][gene]["parent_wild_type"] for c in CLASSES])
            parent = np.zeros(n, dtype=bool)
            for par in parents:
                parent |= genes[par]
            p = np.where(parent, p_mut[cls], p_wt[cls])
        else:
            p = p_marg[cls]
        genes[gene] = u < p

    lesion = np.isin(cls, [CLASSES.index(c) for c in _LESION_CLASSES if c != "kmt2a"])
    u = rng.random(n)
    p_ddx41 = np.select([age < lim for lim, _ in DDX41_BY_AGE], [p for _, p in DDX41_BY_AGE])
    genes["ddx41"] = (u < p_ddx41) & ~lesion
    u = rng.random(n)
    p_setbp1 = np.array([SETBP1_PROB.get(c, 0.0) for c in CLASSES])[cls]
    genes["setbp1"] = u < p_setbp1

    u = rng.random(n)
    ar = np.exp(np.log(ITD_AR_MEDIAN) + ITD_AR_LOG_SD * ndtri(np.clip(u, 1e-12, 1 - 1e-12)))
    flt3_itd_ar = np.where(genes["flt3_itd"], np.clip(np.round(ar, 3), *ITD_AR_BOUNDS), 0.0)

    u = rng.random(n)
    nv = cal["npm1_vaf"]
    npm1_vaf = np.where(
        genes["npm1"],
        np.round(_truncated_logit_normal(u, nv["logit_mean"], nv["logit_sd"], NPM1_VAF_BOUNDS), 3),
        np.nan,
    )
    u = rng.random(n)
    tv = cal["tp53_vaf"]
    tp53_vaf = np.where(
        genes["tp53"],
        np.round(_truncated_logit_normal(u, tv["logit_mean"], tv["logit_sd"], TP53_VAF_BOUNDS), 3),
        np.nan,
    )
    u = rng.random(n)
    tprobs = np.array([cal["targets"]["npm1_type_within_npm1"][t] for t in NPM1_TYPES])
    npm1_type = np.where(
        genes["npm1"], np.array(NPM1_TYPES, dtype=object)[_categorical(u, tprobs)], None
    )

    u = rng.random(n)
    aml_levels = ("de_novo", "secondary", "therapy_related")
    aml_table = np.array([[classes[c]["aml_type"][t] for t in aml_levels] for c in CLASSES])
    aml_type = np.array(aml_levels, dtype=object)[_categorical(u, aml_table[cls])]

    z = rng.standard_normal(n)
    group = np.where(
        genes["npm1"],
        np.where(genes["flt3_itd"], "npm1_itd", "npm1_no_itd"),
        np.where(genes["flt3_itd"], "wt_itd", "wt_no_itd"),
    )
    mu = np.zeros(n)
    sd = np.zeros(n)
    for key, fit in cal["wbc"].items():
        m = group == key
        mu[m], sd[m] = fit["log_mean"], fit["log_sd"]
    wbc = np.round(np.clip(np.exp(mu + sd * z), 0.3, 500.0), 1)

    u = rng.random(n)
    bb = cal["bm_blasts"]
    blasts = np.where(
        genes["npm1"],
        _truncated_logit_normal(u, bb["npm1"]["logit_mean"], bb["npm1"]["logit_sd"], (0.2, 0.98)),
        _truncated_logit_normal(
            u, bb["npm1_wild_type"]["logit_mean"], bb["npm1_wild_type"]["logit_sd"], (0.2, 0.98)
        ),
    )
    bm_blasts_pct = np.round(blasts * 100.0)
    return GenotypeDraw(
        cls=cls,
        genes=genes,
        flt3_itd_ar=flt3_itd_ar,
        npm1_vaf=npm1_vaf,
        tp53_vaf=tp53_vaf,
        npm1_type=npm1_type,
        aml_type=aml_type,
        wbc=wbc,
        bm_blasts_pct=bm_blasts_pct,
    )
