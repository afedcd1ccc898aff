"""Generate synthetic NPM1-AML cohorts with a known truth (the public entry points)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from cohort.cohort import Cohort
from cohort.errors import CohortError
from cohort.schema import COLUMNS, CYTOGENETIC_FLAGS, GENES, MRD_COLUMNS
from cohort.synthetic import calibration
from cohort.synthetic.features import eln2017_group, features
from cohort.synthetic.genotypes import draw_age, draw_genotypes
from cohort.synthetic.karyotypes import draw_karyotypes
from cohort.synthetic.mrd import draw_mrd
from cohort.synthetic.outcomes import simulate_outcomes
from cohort.synthetic.scenarios import AGE_CENTRE, get_scenario
from cohort.synthetic.treatment import plan_treatment

#: File names written by :func:`write_default`.
COHORT_FILE = "npm1_cohort.csv"
MRD_FILE = "npm1_mrd.csv"
# Every float in the files is already rounded (days are whole, VAF/ratio 3 decimals, WBC and age
# 1 decimal, MRD 4 significant digits), so "%.10g" prints them exactly and identically everywhere.
FLOAT_FORMAT = "%.10g"


def _check_args(n: object, seed: object) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise CohortError(f"n must be a positive whole number of patients, got {n!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise CohortError(
            f"seed must be a non-negative whole number (it fixes the data exactly), got {seed!r}."
        )


def generate(n: int, *, seed: int, scenario: str = "intensive_2017", mrd: bool = True) -> Cohort:
    """A synthetic cohort of ``n`` patients in the canonical schema, with a known outcome model.

    Parameters
    ----------
    n : int
        Number of patients.
    seed : int
        Seed of the numpy ``Generator``: the same ``n``, ``seed`` and ``scenario`` give identical
        data on every machine. The global random state is neither used nor changed.
    scenario : str
        A key of :data:`cohort.synthetic.SCENARIOS` (``"intensive_2017"`` or
        ``"venetoclax_hma"``).
    mrd : bool
        Also generate the NPM1 MRD long table (``Cohort.mrd``). It is drawn from its own random
        stream, so switching it off leaves the patient table unchanged.

    Returns
    -------
    Cohort
        ``data`` has every column of :data:`cohort.schema.COLUMNS` with its canonical dtype,
        patients ``SYN000001``...; ``provenance`` records the generator, scenario, n and seed.

    Raises
    ------
    CohortError
        For an unknown scenario or a bad ``n`` or ``seed``.

    See Also
    --------
    cohort.synthetic.truth : the true effects of the scenario.
    """
    _check_args(n, seed)
    sc = get_scenario(scenario)
    cal = calibration.targets()
    main_ss, mrd_ss = np.random.SeedSequence(int(seed)).spawn(2)
    rng = np.random.default_rng(main_ss)
    n = int(n)

    age = draw_age(rng, n, cal, sc.age_model)
    male = rng.random(n) < cal["targets"]["male"]
    class_age = age if sc.age_band_for_class is None else np.full(n, cal["age_band_edges"][-1] + 1)
    geno = draw_genotypes(rng, class_age, male, cal)
    kary = draw_karyotypes(
        rng,
        calibration.CLASSES,
        geno.cls,
        male,
        {c: v["karyotype_patterns"] for c, v in cal["classes"].items()},
        {c: v["t_9_11_fraction"] for c, v in cal["classes"].items()},
    )
    cbf = kary.flags["t_8_21"] | kary.flags["inv_16"]
    # Transplant allocation follows ELN 2017 in both scenarios (the grouping clinicians used).
    g17 = eln2017_group(geno.genes, geno.flt3_itd_ar, kary.flags)
    plan = plan_treatment(rng, sc, age, geno.genes, cbf, g17)
    feats = features(
        geno.genes, geno.flt3_itd_ar, kary, age, AGE_CENTRE[sc.name], plan.intensive, geno.aml_type
    )
    out = simulate_outcomes(rng, sc, feats, plan)
    del feats, g17  # large intermediates; free them before the frame is built (1M patients)

    ids = _patient_ids(n)
    cols: dict[str, object] = {
        "patient_id": ids,
        "age": age,
        "sex": np.where(male, "male", "female"),
        "aml_type": geno.aml_type,
        "prior_mds": geno.aml_type == "secondary",
        "bm_blasts_pct": geno.bm_blasts_pct,
        "wbc": geno.wbc,
    }
    for g in GENES:
        cols[g] = geno.genes[g]
    cols.update(
        flt3_itd_ar=geno.flt3_itd_ar,
        npm1_vaf=geno.npm1_vaf,
        tp53_vaf=geno.tp53_vaf,
        npm1_type=geno.npm1_type,
        karyotype=kary.karyotype,
    )
    for f in CYTOGENETIC_FLAGS:
        cols[f] = kary.flags[f]
    cols.update(
        intensive=plan.intensive,
        flt3_inhibitor=plan.flt3_inhibitor,
        venetoclax=plan.venetoclax,
        hma=plan.hma,
        gemtuzumab=plan.gemtuzumab,
        hsct=out.hsct,
        hsct_days=out.hsct_days,
        hsct_in_cr1=out.hsct_in_cr1,
        cr=out.cr,
        cr_days=out.cr_days,
        os_days=out.os_days,
        os_event=out.os_event,
        efs_days=out.efs_days,
        efs_event=out.efs_event,
        rfs_days=out.rfs_days,
        rfs_event=out.rfs_event,
        cir_days=out.cir_days,
        cir_status=out.cir_status,
    )
    data = pd.DataFrame({name: _column(cols.pop(name), col.dtype) for name, col in COLUMNS.items()})

    mrd_table = None
    if mrd:
        mrd_table = draw_mrd(
            np.random.default_rng(mrd_ss),
            ids,
            geno.genes["npm1"],
            out.cr,
            out.cr_days,
            plan.cr_days,
            out.latent_relapse_days,
            out.relapse_days,
            out.os_days,
        )
    provenance = {
        "source": "cohort.synthetic.generate",
        "scenario": sc.name,
        "n": n,
        "seed": int(seed),
        "mrd": bool(mrd),
        "calibration_sha256": hashlib.sha256(calibration.to_json().encode()).hexdigest(),
        "truth": "cohort.synthetic.truth(scenario)",
    }
    return Cohort(data=data, mrd=mrd_table, provenance=provenance)


def _column(values: object, dtype: str) -> pd.api.extensions.ExtensionArray:
    """A canonical column from a numpy array (NaN = missing), without pandas' slow coercion."""
    arr = np.asarray(values)
    if dtype == "Float64":
        x = arr.astype(np.float64)
        return pd.arrays.FloatingArray(x, np.isnan(x))
    if dtype == "Int64":
        x = arr.astype(np.float64)
        missing = np.isnan(x)
        return pd.arrays.IntegerArray(np.where(missing, 0, x).astype(np.int64), missing)
    if dtype == "boolean":
        return pd.arrays.BooleanArray(arr.astype(bool), np.zeros(len(arr), dtype=bool))
    return pd.array(arr, dtype=dtype)


def _patient_ids(n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    numbers = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)
    return ("SYN" + numbers).to_numpy(dtype=object)


def write_default(
    out_dir: str | Path, n: int = 2000, seed: int = 2020, scenario: str = "intensive_2017"
) -> list[Path]:
    """Write the default synthetic cohort (``npm1_cohort.csv``, ``npm1_mrd.csv``) to ``out_dir``.

    The bytes are identical on every machine for the same arguments (fixed float format, ``\\n``
    line ends, fixed column order). ``cohort synth --n 2000 --seed 2020 --out synthetic_data/``
    calls this.

    Returns
    -------
    list of pathlib.Path
        The two files written.
    """
    coh = generate(n, seed=seed, scenario=scenario, mrd=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / COHORT_FILE, out / MRD_FILE]
    coh.data.to_csv(paths[0], index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    assert coh.mrd is not None
    coh.mrd[list(MRD_COLUMNS)].to_csv(
        paths[1], index=False, float_format=FLOAT_FORMAT, lineterminator="\n"
    )
    return paths
