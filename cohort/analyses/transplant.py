"""Allogeneic transplantation in first remission as a time-dependent exposure (all and NPM1-mutated)."""

import pandas as pd

from cohort.report.blocks import table_one_block
from cohort.report.exposure_blocks import simon_makuch_block, time_varying_block
from cohort.report.guarded import MIN_PATIENTS
from cohort.report.needs import has, section_needs
from cohort.report.prose import describe_cox, fmt_p
from cohort.report.runner import run_script
from cohort.report.subsets import group_flow

TITLE = "Allogeneic transplantation in first remission"
QUESTION = (
    "Among patients in first complete remission, is allogeneic stem-cell transplantation in first "
    "remission associated with longer overall survival, overall and in NPM1-mutated AML, when transplant "
    "is treated as a time-dependent exposure (so that transplanted patients are not credited with the "
    "time they had to survive to reach transplant)?"
)
EXPOSURE = "hsct_in_cr1"
REQUIRES = ("cr", EXPOSURE, "hsct_days", "os")
OPTIONAL = ("npm1", "flt3_itd", "age")


def analyse(cohort, report):
    data = cohort.data
    cr = data["cr"].astype("boolean")
    report.flow(
        "complete remission known", int(cr.notna().sum()), f"{int(cr.isna().sum())} unknown"
    )
    in_cr = data[cr.fillna(False).to_numpy(dtype=bool)].copy()
    report.flow("in first complete remission", len(in_cr))
    exposed = in_cr[EXPOSURE].astype("boolean")
    dated = in_cr["hsct_days"].notna()
    label = pd.Series(pd.NA, index=in_cr.index, dtype="object").mask(
        exposed.fillna(False) & dated, "allo-HSCT in CR1 (dated)"
    )
    label = label.mask(exposed.fillna(False) & ~dated, "allo-HSCT in CR1 without a date (left out)")
    label = label.mask(exposed.eq(False).fillna(False), "no allo-HSCT in CR1")
    group_flow(
        report, label,
        order=("no allo-HSCT in CR1", "allo-HSCT in CR1 (dated)",
               "allo-HSCT in CR1 without a date (left out)"),
        prefix="in CR1: ",
        undetermined_note="transplant in CR1 unknown; left out",
    )  # fmt: skip
    in_cr["transplant_group"] = label.where(~label.astype("string").str.contains("without a date"))
    report.heading("Patient characteristics by transplant in CR1")
    table_one_block(
        report, in_cr, "transplant_group", title="Patients in CR1 by allo-HSCT in CR1 (ever)"
    )
    report.method(
        "hsct_definition",
        "Exposure: allogeneic HSCT in first complete remission (hsct_in_cr1), switched on at the "
        "transplant date (hsct_days, days from diagnosis); transplants after relapse do not count as "
        "exposure. Overall survival is measured from diagnosis.",
    )
    timing = pd.to_numeric(in_cr.loc[exposed.fillna(False) & dated, "hsct_days"]).astype(float)
    if len(timing):
        report.table(
            "time_to_transplant",
            pd.DataFrame(
                [
                    {
                        "n": len(timing),
                        "median_days": timing.median(),
                        "q1_days": timing.quantile(0.25),
                        "q3_days": timing.quantile(0.75),
                    }
                ]
            ),  # fmt: skip
            "Days from diagnosis to allo-HSCT in CR1",
        )

    lines = []
    for key, title, frame, covs in (
        ("all", "All patients in CR1", in_cr, _known(cohort, ("age",))),
        ("npm1", "NPM1-mutated patients in CR1", _npm1(in_cr), _known(cohort, ("age", "flt3_itd"))),
    ):
        report.heading(title)
        if key == "npm1" and not section_needs(report, title, "npm1"):
            continue
        if key == "npm1":
            report.flow("NPM1-mutated, in CR1", len(frame))
        n_exp = int(
            (frame[EXPOSURE].astype("boolean").fillna(False) & frame["hsct_days"].notna()).sum()
        )
        if n_exp < MIN_PATIENTS or len(frame) - n_exp < MIN_PATIENTS:
            report.text(
                f"{title}: {n_exp} transplanted in CR1 of {len(frame)}, too few in a group to compare "
                f"(minimum {MIN_PATIENTS})."
            )
            continue
        tv, mb = time_varying_block(
            report, f"tv_{key}", frame, exposure=EXPOSURE, covariates=covs, title=title
        )
        from cohort.errors import CohortError
        from cohort.survival.time_varying import simon_makuch

        try:
            sm = simon_makuch(frame, "os", exposure=EXPOSURE, exposure_days="hsct_days")
            at = simon_makuch_block(
                report, f"simon_makuch_{key}", sm, title=f"{title}: Simon-Makuch",
                labels={f"no {EXPOSURE}": "before or without allo-HSCT in CR1",
                        EXPOSURE: "after allo-HSCT in CR1"},
            )  # fmt: skip
        except CohortError as exc:
            report.text(f"{title}: Simon-Makuch curves not estimated ({exc}).")
            at = None
        lines.append(_describe(title, n_exp, len(frame), tv, mb, at, covs))

    report.heading("Interpretation")
    report.text("\n\n".join(x for x in lines if x) or "No comparison could be made.")


def _known(cohort, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The covariates of ``columns`` this cohort has (a model adjusts for what is known)."""
    return tuple(c for c in columns if has(cohort, c))


def _npm1(frame: pd.DataFrame) -> pd.DataFrame:
    if "npm1" not in frame.columns:
        return frame.iloc[0:0]
    return frame[frame["npm1"].astype("boolean").fillna(False).to_numpy(dtype=bool)]


def _describe(title, n_exp, n, tv, mb, at, covs) -> str:
    parts = [f"{title}: {n_exp} of {n} were transplanted in CR1."]
    if tv is not None:
        parts.append(
            "Time-dependent Cox model "
            + ("adjusted for " + " and ".join(covs) if covs else "without adjustment")
            + ", "
            + describe_cox(tv, EXPOSURE, "allo-HSCT in CR1")
        )
    if mb is not None:
        parts.append(
            f"Mantel-Byar test: chi-square {mb.statistic:.2f}, {fmt_p(mb.p_value)} "
            f"({mb.observed_exposed:.0f} deaths after transplant, {mb.expected_exposed:.1f} expected)."
        )
    if at is not None:
        two = at[at["time"] == at["time"].unique()[min(1, len(at["time"].unique()) - 1)]]
        parts.append(
            "Simon-Makuch survival at "
            + f"{two['time'].iloc[0] / 365.25:g} years: "
            + ", ".join(f"{r.group} {100 * r.survival:.0f}%" for r in two.itertuples())
            + " (curves by current transplant state, not a randomised comparison)."
        )
    return " ".join(parts)


if __name__ == "__main__":
    run_script(__file__)
