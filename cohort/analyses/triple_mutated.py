"""NPM1/FLT3-ITD/DNMT3A triple-mutated AML versus the other NPM1-mutated AML."""

from cohort.report.blocks import table_one_block
from cohort.report.extra_blocks import (
    describe_cox,
    describe_cuminc,
    describe_km,
    group_flow,
    guarded_cox,
    guarded_cuminc,
    guarded_km,
    npm1_mutated,
    ordered,
)
from cohort.report.needs import has
from cohort.report.runner import run_script

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
    mutated = npm1_mutated(report, data).copy()
    triple = groups.loc[mutated.index, "triple_mutated"].replace({"not triple-mutated": OTHER})
    mutated["triple"] = ordered(triple, (OTHER, TRIPLE))
    covariates = " + ".join(c for c in ("flt3_itd", "age") if has(cohort, c))
    counts = group_flow(
        report,
        mutated["triple"],
        order=(OTHER, TRIPLE),
        prefix="NPM1-mutated, ",
        undetermined_note="FLT3-ITD or DNMT3A unknown, and not ruled out by a known wild type",
    )
    report.table("group_sizes", counts, "NPM1-mutated patients: triple-mutated or not")
    itd = mutated["flt3_itd"].astype("boolean")
    dnmt3a = mutated["dnmt3a"].astype("boolean")
    four = (
        ("ITD" + itd.map({True: "+", False: "-"}).astype("object"))
        + "/DNMT3A"
        + dnmt3a.map({True: "+", False: "-"}).astype("object")
    )
    mutated["itd_dnmt3a"] = ordered(four.where(itd.notna() & dnmt3a.notna()), SUBGROUPS)
    report.method(
        "triple",
        "Triple-mutated AML: NPM1, FLT3-ITD (any allelic ratio) and DNMT3A all mutated "
        "(Papaemmanuil et al., NEJM 2016; Bezerra et al., Blood Adv 2020). A patient is 'other "
        "NPM1-mutated' when FLT3-ITD or DNMT3A is known to be wild type; one with an unknown gene that "
        "could complete the triple is undetermined.",
    )

    report.heading("Patient characteristics")
    table_one_block(report, mutated, "triple", title="NPM1-mutated patients: triple-mutated or not")

    report.heading("Triple-mutated versus other NPM1-mutated")
    os_res = guarded_km(
        report, "os_triple", mutated, "triple", endpoint="os",
        title="Overall survival: triple-mutated versus other NPM1-mutated",
    )  # fmt: skip
    efs_res = guarded_km(
        report, "efs_triple", mutated, "triple", endpoint="efs",
        title="Event-free survival: triple-mutated versus other NPM1-mutated",
    )  # fmt: skip
    cir_res = guarded_cuminc(
        report, "cir_triple", mutated, "triple",
        title="Cumulative incidence of relapse: triple-mutated versus other NPM1-mutated",
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
