"""NPM1/FLT3-ITD/DNMT3A triple-mutated AML versus the other NPM1-mutated AML."""

from cohort.report.guarded import guarded_cox, guarded_km, guarded_outcomes
from cohort.report.needs import has
from cohort.report.prose import describe_cox, describe_cuminc, describe_km
from cohort.report.runner import run_script
from cohort.report.subsets import npm1_mutated_groups, ordered

TITLE = "Triple-mutated NPM1/FLT3-ITD/DNMT3A AML"
QUESTION = (
    "Do patients whose AML carries NPM1, FLT3-ITD and DNMT3A mutations together fare worse than the "
    "other patients with NPM1-mutated AML, and is the difference explained by FLT3-ITD alone?"
)
REQUIRES = ("npm1", "flt3_itd", "dnmt3a", "os")
OPTIONAL = ("efs", "cir", "age")
TRIPLE = "NPM1/FLT3-ITD/DNMT3A"
OTHER = "other NPM1-mutated"
SUBGROUPS = ("ITD-/DNMT3A-", "ITD-/DNMT3A+", "ITD+/DNMT3A-", "ITD+/DNMT3A+")


def analyse(cohort, report):
    from cohort.stratify.groups import genotype_groups

    data = cohort.data
    groups = genotype_groups(cohort)
    report.method(
        "triple",
        "Triple-mutated AML: NPM1, FLT3-ITD (any allelic ratio) and DNMT3A all mutated "
        "(Papaemmanuil et al., NEJM 2016; Bezerra et al., Blood Adv 2020). A patient is 'other "
        "NPM1-mutated' when FLT3-ITD or DNMT3A is known to be wild type; one with an unknown gene that "
        "could complete the triple is undetermined.",
    )
    mutated, counts = npm1_mutated_groups(
        report, data, groups["triple_mutated"].replace({"not triple-mutated": OTHER}), "triple",
        (OTHER, TRIPLE), caption="NPM1-mutated patients: triple-mutated or not",
        undetermined_note="FLT3-ITD or DNMT3A unknown, and not ruled out by a known wild type",
    )  # fmt: skip
    covariates = " + ".join(c for c in ("flt3_itd", "age") if has(cohort, c))
    itd = mutated["flt3_itd"].astype("boolean")
    dnmt3a = mutated["dnmt3a"].astype("boolean")
    four = (
        ("ITD" + itd.map({True: "+", False: "-"}).astype("object"))
        + "/DNMT3A"
        + dnmt3a.map({True: "+", False: "-"}).astype("object")
    )
    mutated["itd_dnmt3a"] = ordered(four.where(itd.notna() & dnmt3a.notna()), SUBGROUPS)

    report.heading("Triple-mutated versus other NPM1-mutated")
    os_res, efs_res, cir_res = guarded_outcomes(
        report, mutated, "triple", name="{}_triple",
        title="{}: triple-mutated versus other NPM1-mutated",
    )  # fmt: skip

    report.heading("The four FLT3-ITD x DNMT3A subgroups of NPM1-mutated AML")
    report.table(
        "subgroup_sizes",
        group_flow_table(mutated["itd_dnmt3a"]),
        "NPM1-mutated patients by FLT3-ITD and DNMT3A (undetermined: either unknown)",
    )
    four_res = guarded_km(
        report, "os_four", mutated, "itd_dnmt3a", endpoint="os",
        title="Overall survival of NPM1-mutated AML by FLT3-ITD and DNMT3A",
    )  # fmt: skip
    model = mutated[mutated["triple"].notna()].assign(
        triple_mutated=lambda d: (d["triple"] == TRIPLE).astype("boolean")
    )
    cox_res = guarded_cox(
        report, "cox_os", model, f"triple_mutated + {covariates}",
        title=f"Overall survival: triple mutation adjusted for {covariates.replace(' + ', ' and ')} "
        "(NPM1-mutated)",
    )  # fmt: skip

    report.heading("Interpretation")
    n_triple = int((mutated["triple"] == TRIPLE).sum())
    lines = [
        f"{n_triple} of {len(mutated)} NPM1-mutated patients ({_share(n_triple, len(mutated))}) were "
        f"triple-mutated; {int(mutated['triple'].isna().sum())} could not be classed.",
        describe_km(os_res, endpoint="OS"),
        describe_km(efs_res, endpoint="EFS"),
        describe_cuminc(cir_res),
        describe_km(four_res, endpoint="OS"),
    ]
    if cox_res is not None:
        lines.append(
            "In a Cox model with FLT3-ITD and age, "
            + describe_cox(cox_res, "triple_mutated", "the triple mutation")
            + " "
            + describe_cox(cox_res, "flt3_itd", "FLT3-ITD")
        )
    report.text("\n\n".join(x for x in lines if x))


def group_flow_table(labels):
    counts = labels.astype("object").fillna("undetermined").value_counts()
    order = [g for g in (*SUBGROUPS, "undetermined") if g in counts.index]
    return counts.reindex(order).rename_axis("group").reset_index(name="n")


def _share(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}%" if n else "no patients"


if __name__ == "__main__":
    run_script(__file__)
