"""NPM1-mutated AML by FLT3-ITD status and allelic ratio, and what ELN 2017 and 2022 make of ITD-low."""

import pandas as pd

from cohort._counts import counts_by_frequency
from cohort.report.classification_blocks import reclassification_block
from cohort.report.guarded import guarded_cox, guarded_outcomes
from cohort.report.needs import CYTOGENETICS, has, section_needs
from cohort.report.prose import describe_cox, describe_cuminc, describe_km
from cohort.report.runner import run_script
from cohort.report.subsets import (
    classification,
    npm1_mutated_groups,
    ordered,
)
from cohort.stratify.rule_table import ELN_CATEGORIES

TITLE = "NPM1-mutated AML by FLT3-ITD allelic ratio"
QUESTION = (
    "Among patients with NPM1-mutated AML, how do those without FLT3-ITD, with a low allelic ratio "
    "(< 0.5) and with a high allelic ratio (>= 0.5) fare, and how does the move from ELN 2017 (which "
    "counts NPM1-mutated/FLT3-ITD-low as favorable) to ELN 2022 (which ignores the ratio and places "
    "NPM1-mutated with any FLT3-ITD in the intermediate group) reclassify them?"
)
REQUIRES = ("npm1", "flt3_itd", "os")
OPTIONAL = ("flt3_itd_ar", "efs", "cir", "age", CYTOGENETICS)
AR_CUTOFF = 0.5
GROUPS = ("ITD-neg", "ITD-low", "ITD-high", "ITD-unknown-ratio")


def analyse(cohort, report):
    from cohort.stratify.groups import genotype_groups

    data = cohort.data
    groups = genotype_groups(cohort, ar_cutoff=AR_CUTOFF)["npm1_flt3_itd"]
    report.method(
        "itd_ratio",
        f"FLT3-ITD allelic ratio (ITD / wild-type) was classed low below {AR_CUTOFF} and high at or above it "
        "(ELN 2017). Patients with FLT3-ITD but no ratio form their own group; patients with unknown "
        "FLT3-ITD status are counted in the flow and not analysed.",
    )

    mutated, counts = npm1_mutated_groups(
        report, data, groups.str.replace("NPM1mut/", "", regex=False), "itd_group", GROUPS,
        caption="NPM1-mutated patients by FLT3-ITD group",
    )  # fmt: skip

    report.heading("Survival and relapse")
    os_res, efs_res, cir_res = guarded_outcomes(
        report, mutated, "itd_group", name="{}_by_itd",
        title="{} of NPM1-mutated AML by FLT3-ITD group",
    )  # fmt: skip
    model_rows = mutated[mutated["itd_group"].isin(GROUPS[:3])].copy()
    model_rows["itd_group"] = ordered(model_rows["itd_group"].astype("object"), GROUPS[:3])
    present = [g for g in GROUPS[:3] if (model_rows["itd_group"] == g).any()]
    cox_res = None
    if len(present) < 2:
        report.text(
            "Cox model by FLT3-ITD group not fitted: fewer than two of ITD-neg, ITD-low and ITD-high "
            f"are present (present: {', '.join(present) or 'none'})."
        )
    else:
        age = " + age" if has(cohort, "age") else ""
        cox_res = guarded_cox(
            report, "cox_os", model_rows, f"C(itd_group){age}",
            title="Overall survival: FLT3-ITD group (reference ITD-neg)"
            + (" and age" if age else "") + ", NPM1-mutated",
        )  # fmt: skip

    report.heading("ELN 2017 versus ELN 2022")
    moved_text = ""
    if section_needs(report, "ELN 2017 versus ELN 2022", CYTOGENETICS):
        moved_text = _eln_comparison(report, cohort, mutated)

    report.heading("Interpretation")
    lines = [
        f"{len(mutated)} of {len(data)} patients had NPM1-mutated AML: "
        + ", ".join(f"{r.group} {r.n}" for r in counts.itertuples())
        + ".",
        _unknown_ratio_note(counts),
        describe_km(os_res, endpoint="OS"),
        describe_km(efs_res, endpoint="EFS"),
        describe_cuminc(cir_res),
    ]
    if cox_res is not None:
        lines.append(
            ("Adjusted for age, " if has(cohort, "age") else "Unadjusted, ")
            + " ".join(
                describe_cox(cox_res, f"itd_group[{g}]", f"{g} versus ITD-neg") for g in GROUPS[1:3]
            )
        )
    lines.append(moved_text)
    report.text("\n\n".join(x for x in lines if x))


def _unknown_ratio_note(counts: pd.DataFrame) -> str:
    k = int(counts.loc[counts["group"] == "ITD-unknown-ratio", "n"].sum())
    if k == 0:
        return ""
    return (
        f"{k} NPM1-mutated patient(s) had FLT3-ITD without a recorded allelic ratio; they cannot be split "
        "into low and high, are shown as their own group, and are left out of the Cox model by ratio."
    )


def _eln_comparison(report, cohort, mutated: pd.DataFrame) -> str:
    from cohort.stratify.reclassify import reclassify

    eln2017 = classification(cohort, "eln2017")
    eln2022 = classification(cohort, "eln2022")
    report.method(
        "eln_versions",
        "Risk groups: ELN 2017 (Döhner et al., Blood 2017) and ELN 2022 (Döhner et al., Blood 2022), "
        "each as published.",
    )
    frame = mutated.assign(eln2017=eln2017.loc[mutated.index], eln2022=eln2022.loc[mutated.index])
    rows = []
    for g in GROUPS:
        sub = frame[frame["itd_group"] == g]
        for system in ("eln2017", "eln2022"):
            counts = counts_by_frequency(
                sub[system].astype("object").fillna("undetermined"),
                [*ELN_CATEGORIES, "undetermined"],
            )
            for cat, n in counts.items():
                rows.append({"itd_group": g, "system": system, "category": cat, "n": int(n)})
    table = pd.DataFrame(rows, columns=["itd_group", "system", "category", "n"])
    report.table("eln_by_itd_group", table, "ELN 2017 and ELN 2022 category by FLT3-ITD group")
    recl = reclassify(frame, "eln2017", "eln2022")
    reclassification_block(report, "reclass_npm1", recl, title="NPM1-mutated: ELN 2017 to ELN 2022")
    low = frame[frame["itd_group"] == "ITD-low"]
    if len(low) == 0:
        return (
            "No NPM1-mutated patient had a known low FLT3-ITD allelic ratio, so the change between ELN 2017 "
            f"and ELN 2022 for ITD-low cannot be shown; across all NPM1-mutated patients, {recl.n_moved} of "
            f"{recl.n_compared} determined in both systems ({recl.percent_moved:.1f}%) changed category."
        )
    fav17 = int((low["eln2017"] == "favorable").sum())
    fav22 = int((low["eln2022"] == "favorable").sum())
    int22 = int((low["eln2022"] == "intermediate").sum())
    return (
        f"Of the {len(low)} NPM1-mutated/FLT3-ITD-low patients, ELN 2017 placed {fav17} in the "
        f"favorable group; ELN 2022 placed {fav22} in the favorable and {int22} in the intermediate "
        f"group. Across all NPM1-mutated patients, {recl.n_moved} of {recl.n_compared} determined "
        f"in both systems ({recl.percent_moved:.1f}%) changed category."
    )


if __name__ == "__main__":
    run_script(__file__)
