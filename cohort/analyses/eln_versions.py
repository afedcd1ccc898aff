"""ELN 2017, its 2020 refinement (Eisfeld et al.) and ELN 2022: who moves, which separates OS best."""

import pandas as pd

from cohort.report.blocks import classification_block, table_one_block
from cohort.report.classification_blocks import compare_systems_block, reclassification_block
from cohort.report.guarded import MIN_PATIENTS, guarded_km
from cohort.report.needs import CYTOGENETICS, has, section_needs
from cohort.report.prose import describe_km
from cohort.report.runner import run_script
from cohort.report.subsets import ordered

TITLE = "ELN 2017, ELN 2017 refined (Eisfeld 2020) and ELN 2022"
QUESTION = (
    "How many patients change risk group between ELN 2017, its 2020 refinement by additional gene "
    "mutations (Eisfeld et al., Leukemia 2020) and ELN 2022, and which classification separates "
    "overall survival best on the same patients?"
)
REQUIRES = ("os", CYTOGENETICS)
OPTIONAL = ("age", "aml_type")
SEED = 2020
N_BOOT = 200
SYSTEMS = ("eln2017", "eln2017_eisfeld2020", "eln2022")
LABELS = {
    "eln2017": "ELN 2017",
    "eln2017_eisfeld2020": "ELN 2017 refined (Eisfeld 2020)",
    "eln2022": "ELN 2022",
}
CATEGORIES = ("favorable", "intermediate", "adverse")


def analyse(cohort, report):
    data = cohort.data.copy()
    report.heading("Risk groups")
    for system in SYSTEMS:
        data[system] = ordered(
            classification_block(report, cohort, system).astype("object"), CATEGORIES
        )
    report.method(
        "eln_sources",
        "ELN 2017: Döhner et al., Blood 2017;129:424. ELN 2017 refined: Eisfeld et al., Leukemia 2020 "
        "(derived in de novo AML under 60 years; applied here to every patient, as a sensitivity "
        "comparison). ELN 2022: Döhner et al., Blood 2022;140:1345.",
    )
    determined = data[list(SYSTEMS)].notna().all(axis=1)
    for system in SYSTEMS:
        report.flow(
            f"determined in {LABELS[system]}",
            int(data[system].notna().sum()),
            f"{int(data[system].isna().sum())} undetermined",
        )
    report.flow("determined in all three", int(determined.sum()), "compared for discrimination")

    _missing_tests_block(report, cohort)

    report.heading("Patient characteristics by ELN 2022 group")
    table_one_block(report, data, "eln2022", title="Patient characteristics by ELN 2022 risk group")

    report.heading("Reclassification")
    from cohort.stratify.reclassify import reclassify

    moves = []
    for target in SYSTEMS[1:]:
        recl = reclassify(data, "eln2017", target)
        reclassification_block(
            report, f"reclass_{target}", recl, title=f"{LABELS['eln2017']} to {LABELS[target]}"
        )
        if recl.n_compared == 0:
            moves.append(
                f"No patient was determined in both ELN 2017 and {LABELS[target]}, so no "
                "reclassification can be counted."
            )
            continue
        moves.append(
            f"From ELN 2017 to {LABELS[target]}, {recl.n_moved} of {recl.n_compared} patients "
            f"determined in both ({recl.percent_moved:.1f}%) changed risk group"
            + _direction(recl.per_patient)
            + "."
        )

    report.heading("Overall survival by risk group")
    km_text = []
    for system in SYSTEMS:
        res = guarded_km(
            report, f"os_{system}", data, system, endpoint="os",
            title=f"Overall survival by {LABELS[system]} risk group",
        )  # fmt: skip
        if res is not None:
            km_text.append(f"{LABELS[system]}. " + describe_km(res, endpoint="OS"))

    report.heading("Discrimination on the same patients")
    comp = compare_systems_block(
        report, "discrimination", data, list(SYSTEMS), endpoint="os", n_boot=N_BOOT, seed=SEED,
        title="Discrimination of the three classifications for overall survival",
    )  # fmt: skip

    report.heading("Discrimination in de novo AML under 60 years")
    report.text(
        "The 2020 refinement was derived in patients under 60 with de novo AML; ELN 2017 and its "
        "refinement compared in them:"
    )
    comp_young = None
    young = data.iloc[0:0]
    if section_needs(report, "De novo AML under 60 years", "age", "aml_type"):
        young = _young_de_novo(report, data)
    if len(young) >= 2 * MIN_PATIENTS:
        comp_young = compare_systems_block(
            report, "discrimination_under_60", young, list(SYSTEMS[:2]), endpoint="os",
            n_boot=N_BOOT, seed=SEED,
            title="ELN 2017 and its refinement, overall survival, de novo AML under 60 years",
        )  # fmt: skip
    elif has(cohort, "age") and has(cohort, "aml_type"):
        report.text(f"Only {len(young)} such patients: not estimated.")

    report.heading("Interpretation")
    lines = [*moves, *km_text, _describe_comparison(comp, "all patients")]
    lines.append(_describe_comparison(comp_young, "patients under 60 with de novo AML"))
    report.text("\n\n".join(x for x in lines if x))


def _missing_tests_block(report, cohort) -> None:
    """Per system: how many patients are undetermined and which missing test decides most."""
    import cohort as ch
    from cohort.stratify.needs import needs_summary

    report.heading("What to test next")
    for system in SYSTEMS:
        table = needs_summary(ch.classify(cohort, system))
        report.table(
            f"needs_{system}",
            table,
            f"{LABELS[system]}: {table.attrs['n_undetermined']} undetermined patients; the missing "
            "test that alone would decide most of them comes first",
        )


def _young_de_novo(report, data: pd.DataFrame) -> pd.DataFrame:
    """Patients under 60 with de novo AML, with flow steps (unknown age or AML type counted)."""
    age = pd.to_numeric(data["age"], errors="coerce")
    kind = data["aml_type"].astype("string")
    known = age.notna() & kind.notna()
    report.flow("age and AML type known", int(known.sum()), f"{int((~known).sum())} unknown")
    keep = (known & (age < 60) & (kind == "de_novo")).fillna(False).to_numpy(dtype=bool)
    report.flow("de novo AML under 60", int(keep.sum()))
    return data[keep]


def _describe_comparison(comp, who: str) -> str:
    if comp is None:
        return ""
    m = comp.metrics
    return (
        f"In {who}, on the {int(m['n'].iloc[0])} determined in every system compared "
        f"({int(m['events'].iloc[0])} deaths), Harrell's C was "
        + ", ".join(
            f"{r.harrell_c:.3f} for {LABELS.get(r.system, r.system)}" for r in m.itertuples()
        )
        + "; differences from ELN 2017: "
        + ", ".join(
            f"{LABELS.get(r.system, r.system)} {r.delta_harrell_c:+.3f} (95% bootstrap CI "
            f"{r.lower:+.3f} to {r.upper:+.3f})"
            for r in comp.differences.itertuples()
        )
        + ". These are apparent (in-sample) measures on this cohort."
    )


def _direction(per_patient: pd.DataFrame) -> str:
    """' (k to a more favorable group, m to a less favorable one)' from the per-patient table."""
    rank = {c: i for i, c in enumerate(CATEGORIES)}
    both = per_patient.dropna(subset=["from", "to"])
    src = both["from"].astype("object").map(rank)
    dst = both["to"].astype("object").map(rank)
    ok = src.notna() & dst.notna()
    up = int((dst[ok] < src[ok]).sum())
    down = int((dst[ok] > src[ok]).sum())
    return f": {up} to a more favorable group, {down} to a less favorable one"


if __name__ == "__main__":
    run_script(__file__)
