"""NPM1-mutated AML with and without co-mutations of NRAS, WT1, RAD21, FLT3-TKD and IDH1/2."""

import pandas as pd

from cohort.report.blocks import comutation_block, table_one_block
from cohort.report.guarded import MIN_EVENTS, MIN_PATIENTS, guarded_km
from cohort.report.needs import AnyOf, has
from cohort.report.prose import describe_km, fmt_p
from cohort.report.runner import run_script
from cohort.report.subsets import group_flow, npm1_mutated, ordered

TITLE = "Co-mutations in NPM1-mutated AML"
QUESTION = (
    "Within NPM1-mutated AML, is overall survival different for patients whose leukemia also carries an "
    "NRAS, WT1, RAD21, FLT3-TKD or IDH1/IDH2 mutation, after allowing for FLT3-ITD and age?"
)
STUDIED = ("nras", "wt1", "rad21", "flt3_tkd", "idh1", "idh2")
REQUIRES = (
    "npm1",
    "os",
    AnyOf("any of the studied co-mutations (" + ", ".join(STUDIED) + ")", STUDIED),
)
OPTIONAL = ("flt3_itd", "age", *STUDIED)
# grouping column of cohort.genotype_groups -> (gene label, label of its mutated group, inputs)
GENES = {
    "npm1_nras": ("NRAS", ("nras",)),
    "npm1_wt1": ("WT1", ("wt1",)),
    "npm1_rad21": ("RAD21", ("rad21",)),
    "npm1_flt3_tkd": ("FLT3-TKD", ("flt3_tkd",)),
    "npm1_idh": ("IDH1/2", ("idh1", "idh2")),
}
MATRIX_GENES = ("flt3_itd", "dnmt3a", "nras", "kras", "ptpn11", "wt1", "rad21", "flt3_tkd", "idh1",
                "idh2", "tet2")  # fmt: skip


def analyse(cohort, report):
    from cohort.stratify.groups import genotype_groups

    data = cohort.data
    groups = genotype_groups(cohort)
    mutated = npm1_mutated(report, data).copy()

    report.heading("Co-mutation pattern")
    comutation_block(report, "comutations", data, MATRIX_GENES)

    any_mut = pd.concat(
        [mutated[c].astype("boolean") for c in STUDIED if c in mutated.columns],
        axis=1,
    )  # fmt: skip
    # Kleene logic: any known mutation -> True; all known wild type -> False; otherwise unknown
    has_any = any_mut.any(axis=1).where(any_mut.any(axis=1) | any_mut.notna().all(axis=1))
    mutated["any_studied_comutation"] = ordered(
        has_any.map({True: "with a studied co-mutation", False: "none of them"}),
        ("none of them", "with a studied co-mutation"),
    )
    report.heading("Patient characteristics")
    table_one_block(
        report, mutated, "any_studied_comutation",
        title="NPM1-mutated patients with and without any of NRAS, WT1, RAD21, FLT3-TKD, IDH1/2",
    )  # fmt: skip

    report.heading("Overall survival by co-mutation")
    rows, texts = [], []
    covariates = [c for c in ("flt3_itd", "age") if has(cohort, c)]
    for column, (gene, inputs) in GENES.items():
        if not has(cohort, AnyOf(gene, inputs)):
            report.heading(gene, level=3)
            report.text(f"{gene}: left out, this cohort lacks {' and '.join(inputs)}.")
            continue
        mut, wt = f"NPM1mut/{gene}mut", f"NPM1mut/{gene}wt"
        label = groups.loc[mutated.index, column].replace(
            {mut: f"{gene} mutated", wt: f"{gene} wild type"}
        )
        col = f"{column}_group"
        mutated[col] = ordered(label, (f"{gene} wild type", f"{gene} mutated"))
        group_flow(
            report,
            mutated[col],
            order=(f"{gene} wild type", f"{gene} mutated"),
            prefix="NPM1-mutated, ",
            undetermined_note=f"{gene} not tested or unknown",
        )
        report.heading(gene, level=3)
        res = guarded_km(
            report, f"os_{column}", mutated, col, endpoint="os",
            title=f"Overall survival of NPM1-mutated AML by {gene}",
        )  # fmt: skip
        if res is not None:
            texts.append(f"{gene}. " + describe_km(res, endpoint="OS"))
        rows.append(_cox_row(mutated, col, gene, covariates))

    table = _adjust(pd.DataFrame(rows, columns=ROW_COLUMNS))
    adjusted = " and ".join(covariates) or "nothing (this cohort lacks FLT3-ITD and age)"
    report.heading("Adjusted hazard ratios")
    report.table(
        "adjusted_hazard_ratios",
        table,
        f"Overall survival, NPM1-mutated: each co-mutation in its own Cox model adjusted for {adjusted} "
        "(p-values also adjusted across the genes)",
    )
    report.method(
        "co_mutation_models",
        "For each co-mutation, a Cox model of overall survival within NPM1-mutated AML included the "
        f"co-mutation adjusted for {adjusted} (Efron ties, as R coxph); a model was fitted only with at least "
        f"{MIN_PATIENTS} patients in each of the mutated and wild-type groups and {MIN_EVENTS} deaths. "
        "P-values were adjusted across the genes by Holm's method and by Benjamini-Hochberg "
        "(statsmodels multipletests).",
    )

    report.heading("Interpretation")
    fitted = table[table["hr"].notna()]
    summary = "; ".join(
        f"{r.gene}: {r.n_mutated} mutated, HR {r.hr:.2f} (95% CI {r.hr_lower:.2f}-{r.hr_upper:.2f}), "
        f"{fmt_p(r.p_value)}, Holm-adjusted {fmt_p(r.p_holm)}"
        for r in fitted.itertuples()
    )
    skipped = table[table["hr"].isna()]
    lines = [
        f"{len(mutated)} NPM1-mutated patients were analysed.",
        (f"Adjusted for {adjusted}, " + summary + ".") if summary else "",
        ("Not modelled: " + "; ".join(f"{r.gene} ({r.note})" for r in skipped.itertuples()) + ".")
        if len(skipped)
        else "",
        *texts,
    ]
    report.text("\n\n".join(x for x in lines if x))


ROW_COLUMNS = ["gene", "n_known", "n_mutated", "n", "events", "hr", "hr_lower", "hr_upper",
               "p_value", "note"]  # fmt: skip


def _cox_row(mutated: pd.DataFrame, col: str, gene: str, covariates: list[str]) -> dict:
    import cohort
    from cohort.errors import CohortError

    known = mutated[mutated[col].notna()].copy()
    n_mut = int((known[col] == f"{gene} mutated").sum())
    row = {"gene": gene, "n_known": len(known), "n_mutated": n_mut, "n": 0, "events": 0,
           "hr": float("nan"), "hr_lower": float("nan"), "hr_upper": float("nan"),
           "p_value": float("nan"), "note": ""}  # fmt: skip
    if n_mut < MIN_PATIENTS or len(known) - n_mut < MIN_PATIENTS:
        row["note"] = f"fewer than {MIN_PATIENTS} patients in a group"
        return row
    known["comutation"] = (known[col] == f"{gene} mutated").astype("boolean")
    try:
        fit = cohort.cox(known, " + ".join(["comutation", *covariates]), "os")
    except CohortError as exc:
        row["note"] = f"not fitted: {exc}"
        return row
    if fit.events < MIN_EVENTS:
        row["note"] = f"fewer than {MIN_EVENTS} deaths"
        return row
    r = fit.summary.loc["comutation"]
    row.update(n=fit.n, events=fit.events, hr=r["hr"], hr_lower=r["hr_lower"],
               hr_upper=r["hr_upper"], p_value=r["p_value"])  # fmt: skip
    return row


def _adjust(table: pd.DataFrame) -> pd.DataFrame:
    from statsmodels.stats.multitest import multipletests

    table = table.assign(p_holm=float("nan"), p_bh=float("nan"))
    ok = table["p_value"].notna()
    if ok.sum():
        p = table.loc[ok, "p_value"].to_numpy(float)
        table.loc[ok, "p_holm"] = multipletests(p, method="holm")[1]
        table.loc[ok, "p_bh"] = multipletests(p, method="fdr_bh")[1]
    cols = ["gene", "n_known", "n_mutated", "n", "events", "hr", "hr_lower", "hr_upper", "p_value",
            "p_holm", "p_bh", "note"]  # fmt: skip
    return table[cols]


if __name__ == "__main__":
    run_script(__file__)
