"""Risk indicators of synthetic patients: the features the true outcome model acts on.

The generator needs its own minimal ELN 2017 and ELN 2024 grouping (to allocate transplants and
to define the true hazards); it deliberately does not import ``cohort.stratify`` so that the truth
does not change when the classifier does. Tests compare the two.
"""

from __future__ import annotations

import numpy as np

from cohort.synthetic.karyotypes import KaryotypeDraw

ITD_HIGH_CUTOFF = 0.5  # ELN 2017: allelic ratio >= 0.5 is high


def eln2017_group(
    genes: dict[str, np.ndarray], ar: np.ndarray, flags: dict[str, np.ndarray]
) -> np.ndarray:
    """ELN 2017 genetic risk as ``"favorable"``, ``"intermediate"``, ``"adverse"`` (APL: ``"apl"``)."""
    itd_high = genes["flt3_itd"] & (ar >= ITD_HIGH_CUTOFF)
    npm1 = genes["npm1"]
    cbf = flags["t_8_21"] | flags["inv_16"]
    apl = flags["t_15_17"]
    adverse_cyto = adverse_cytogenetics(flags)
    fav_molecular = (npm1 & ~itd_high) | genes["cebpa_biallelic"]
    # t(9;11) takes precedence over concurrent adverse gene mutations (ELN 2017 footnote).
    adverse_genes = (
        genes["tp53"] | (~npm1 & itd_high) | (~fav_molecular & (genes["runx1"] | genes["asxl1"]))
    )
    adverse = ~cbf & ~apl & (adverse_cyto | (adverse_genes & ~flags["t_9_11"]))
    favorable = cbf | (~adverse & ~apl & fav_molecular)
    return np.where(
        apl, "apl", np.where(adverse, "adverse", np.where(favorable, "favorable", "intermediate"))
    )


def adverse_cytogenetics(flags: dict[str, np.ndarray]) -> np.ndarray:
    """ELN 2017 adverse-risk cytogenetics."""
    out = np.zeros(len(flags["t_8_21"]), dtype=bool)
    for f in (
        "t_6_9", "kmt2a_r", "t_9_22", "inv_3", "mecom_r", "del_5q", "minus_7", "abn_17p",
        "complex_karyotype", "monosomal_karyotype",
    ):  # fmt: skip
        out |= flags[f]
    return out


def eln2024_group(genes: dict[str, np.ndarray]) -> np.ndarray:
    """ELN 2024 (less-intensive therapy) risk: TP53 adverse; FLT3-ITD/NRAS/KRAS intermediate."""
    tp53 = genes["tp53"]
    signalling = genes["flt3_itd"] | genes["nras"] | genes["kras"]
    return np.where(tp53, "adverse", np.where(signalling, "intermediate", "favorable"))


def features(
    genes: dict[str, np.ndarray],
    ar: np.ndarray,
    kary: KaryotypeDraw,
    age: np.ndarray,
    age_centre: float,
    intensive: np.ndarray,
    aml_type: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every feature named in the scenarios' effects (0/1 floats, age per 10 years)."""
    flags = kary.flags
    npm1 = genes["npm1"]
    itd = genes["flt3_itd"]
    itd_high = itd & (ar >= ITD_HIGH_CUTOFF)
    g17 = eln2017_group(genes, ar, flags)
    g24 = eln2024_group(genes)
    cbf = flags["t_8_21"] | flags["inv_16"]
    f = {
        "npm1_itd_low": npm1 & itd & ~itd_high,
        "npm1_itd_high": npm1 & itd_high,
        "npm1_dnmt3a": npm1 & genes["dnmt3a"],
        "npm1_itd_dnmt3a": npm1 & itd & genes["dnmt3a"],
        "npm1_nras": npm1 & genes["nras"],
        # Biology, not the ELN label: NPM1/ITD-high with RUNX1 or ASXL1 is ELN 2017 adverse, but
        # the generator gives it no extra hazard (so the NPM1 relapse model stays small).
        "npm1_adverse": npm1 & (adverse_cytogenetics(flags) | genes["tp53"]),
        "apl": flags["t_15_17"],
        "cbf": cbf,
        "npm1wt_cebpa_biallelic": ~npm1 & ~cbf & (g17 == "favorable"),
        "npm1wt_intermediate": ~npm1 & (g17 == "intermediate"),
        "npm1wt_adverse": ~npm1 & (g17 == "adverse"),
        "eln2017_adverse": g17 == "adverse",
        "tp53": genes["tp53"],
        "non_intensive": ~intensive,
        "secondary_aml": aml_type != "de_novo",
        "adverse_cytogenetics": adverse_cytogenetics(flags),
        "eln2024_intermediate": g24 == "intermediate",
        "eln2024_adverse": g24 == "adverse",
        "eln2024_favorable_other": (g24 == "favorable")
        & ~(npm1 | genes["idh1"] | genes["idh2"] | genes["ddx41"]),
    }
    out = {k: v.astype(float) for k, v in f.items()}
    out["age_per_10y"] = (age - age_centre) / 10.0
    out["eln2017_group"] = g17  # type: ignore[assignment]
    return out
