"""The favorable NPM1-mutated/FLT3-ITD-negative genotype in patients up to 60 and over 65 years."""

from cohort.report.blocks import table_one_block
from cohort.report.guarded import guarded_cox, guarded_cuminc, guarded_km
from cohort.report.prose import describe_cox, describe_cuminc, describe_km
from cohort.report.runner import run_script
from cohort.report.subsets import group_flow, ordered

TITLE = "The favorable NPM1 genotype by age"
QUESTION = (
    "Does NPM1-mutated AML without FLT3-ITD carry the same favorable prognosis in patients over 65 years "
    "as in patients aged 60 or younger, both in absolute survival and relative to the other genotypes "
    "of the same age?"
)
AGE_BREAKS = (60, 65)
BANDS = ("<=60", "61-65", ">65")
REQUIRES = ("npm1", "flt3_itd", "age", "os")
OPTIONAL = ("cir",)
FAVORABLE = "NPM1mut/ITD-neg"
OTHER = "other genotypes"


def analyse(cohort, report):
    from cohort.stratify.groups import genotype_groups

    data = cohort.data.copy()
    groups = genotype_groups(cohort, age_breaks=AGE_BREAKS)
    genotype = groups["npm1_flt3_itd"].astype("object")
    data["genotype"] = ordered(
        genotype.where(genotype.isna() | (genotype == FAVORABLE), OTHER), (FAVORABLE, OTHER)
    )
    data["age_band"] = ordered(groups["age_band"], BANDS)
    report.method(
        "age_genotype",
        "Favorable genotype: NPM1 mutated without FLT3-ITD (favorable in ELN 2017 and ELN 2022 when the "
        f"karyotype is not adverse). Age bands: up to {AGE_BREAKS[0]}, {AGE_BREAKS[0] + 1}-{AGE_BREAKS[1]} "
        f"and over {AGE_BREAKS[1]} years at diagnosis. Patients with unknown NPM1 or FLT3-ITD status, "
        "or unknown age, are counted and not analysed.",
    )
    group_flow(
        report, data["genotype"], order=(FAVORABLE, OTHER),
        undetermined_note="NPM1 or FLT3-ITD unknown; counted, not analysed",
    )  # fmt: skip
    fav = data[data["genotype"] == FAVORABLE].copy()
    group_flow(
        report, fav["age_band"], order=BANDS, prefix=f"{FAVORABLE}, age ",
        undetermined_note="age unknown",
    )  # fmt: skip

    report.heading("Patient characteristics of the favorable genotype by age")
    table_one_block(report, fav, "age_band", title=f"{FAVORABLE} patients by age band")

    report.heading("Favorable genotype: outcome by age")
    os_res = guarded_km(
        report, "os_fav_by_age", fav, "age_band", endpoint="os",
        title=f"Overall survival of {FAVORABLE} AML by age band",
    )  # fmt: skip
    cir_res = guarded_cuminc(
        report, "cir_fav_by_age", fav, "age_band",
        title=f"Cumulative incidence of relapse of {FAVORABLE} AML by age band",
    )  # fmt: skip

    report.heading("Favorable versus other genotypes within each age band")
    lines_band, cox_band = [], []
    for band, key in ((BANDS[0], "young"), (BANDS[2], "old")):
        sub = data[data["age_band"] == band]
        res = guarded_km(
            report, f"os_genotype_{key}", sub, "genotype", endpoint="os",
            title=f"Overall survival by genotype, age {band}",
        )  # fmt: skip
        if res is not None:
            lines_band.append(f"Age {band}. " + describe_km(res, endpoint="OS"))
        model = sub[sub["genotype"].notna()].assign(
            favorable_genotype=lambda d: (d["genotype"] == FAVORABLE).astype("boolean")
        )
        fit = guarded_cox(
            report, f"cox_genotype_{key}", model, "favorable_genotype + age",
            title=f"Overall survival, age {band}: favorable genotype adjusted for age",
        )  # fmt: skip
        if fit is not None:
            cox_band.append(
                describe_cox(fit, "favorable_genotype", f"age {band}, favorable genotype")
            )

    both = data[data["age_band"].isin([BANDS[0], BANDS[2]]) & data["genotype"].notna()].assign(
        favorable_genotype=lambda d: (d["genotype"] == FAVORABLE).astype("boolean"),
        over_65=lambda d: (d["age_band"] == BANDS[2]).astype("boolean"),
    )
    inter = guarded_cox(
        report, "cox_interaction", both, "favorable_genotype * over_65",
        title="Overall survival: does the effect of the favorable genotype differ over 65? (interaction)",
    )  # fmt: skip

    report.heading("Interpretation")
    n_band = fav["age_band"].astype("object").value_counts()
    lines = [
        f"{len(fav)} patients had the favorable genotype: "
        + ", ".join(f"{int(n_band.get(b, 0))} aged {b}" for b in BANDS)
        + f", {int(fav['age_band'].isna().sum())} of unknown age.",
        describe_km(os_res, endpoint="OS"),
        describe_cuminc(cir_res),
        *lines_band,
        " ".join(cox_band),
    ]
    if inter is not None:
        lines.append(
            "The interaction between the favorable genotype and age over 65 "
            + describe_cox(inter, "favorable_genotype:over_65", "(ratio of hazard ratios)")
        )
    report.text("\n\n".join(x for x in lines if x))


if __name__ == "__main__":
    run_script(__file__)
