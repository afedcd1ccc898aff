"""NPM1 MRD in peripheral blood after two cycles: landmark overall survival and relapse incidence."""

import warnings

import pandas as pd

from cohort._counts import counts_by_frequency
from cohort.report.blocks import table_one_block
from cohort.report.exposure_blocks import landmark_block, mrd_block
from cohort.report.guarded import MIN_PATIENTS
from cohort.report.needs import section_needs
from cohort.report.prose import describe_cox, describe_cuminc, describe_km
from cohort.report.runner import run_script
from cohort.report.subsets import group_flow, npm1_mutated, ordered

TITLE = "NPM1 MRD after two cycles: landmark analysis"
QUESTION = (
    "In NPM1-mutated AML, do patients with NPM1 transcripts still detectable in peripheral blood after "
    "two cycles of chemotherapy have shorter survival and more relapses than MRD-negative patients, "
    "counted from a landmark after the MRD sample so that no patient is credited with time before it?"
)
REQUIRES = ("npm1", "os", "mrd")
OPTIONAL = ("cir", "cr_days")
SEED = 2020
LANDMARK_DAYS = 90.0
C2_WINDOW = (40.0, 90.0)
STATUSES = ("negative", "low level", "positive")


def analyse(cohort, report):
    from cohort.io.mrd import VERSION, classify

    data = cohort.data
    mutated = npm1_mutated(report, data).copy()
    mrd = cohort.mrd[cohort.mrd["patient_id"].isin(mutated["patient_id"])]
    status = classify(mrd, c2_window=C2_WINDOW, c2_sample="PB")
    report.method(
        "mrd",
        f"NPM1 MRD (NPM1-mutant/ABL1 transcripts x 100, RQ-PCR) was classed by the {VERSION}: the "
        f"after-cycle-2 sample is the first peripheral-blood sample between days {C2_WINDOW[0]:g} and "
        f"{C2_WINDOW[1]:g}; negative means undetectable, 'low level' positive below "
        f"{status.attrs['options']['low_level_cutoff']:g}%.",
    )
    by_id = status.set_index("patient_id")["c2_status"]
    has_mrd = mutated["patient_id"].isin(status["patient_id"])
    report.flow("NPM1-mutated with MRD measurements", int(has_mrd.sum()))
    mutated["mrd_c2"] = ordered(mutated["patient_id"].map(by_id).astype("object"), STATUSES)
    group_flow(
        report, mutated["mrd_c2"], order=STATUSES, prefix="MRD after cycle 2 in PB: ",
        undetermined_note="no peripheral-blood sample in the window (or no MRD at all)",
    )  # fmt: skip
    counts = counts_by_frequency(
        mutated["mrd_c2"].astype("object").fillna("no sample"), [*STATUSES, "no sample"]
    )
    report.table(
        "mrd_c2_status",
        counts.rename_axis("mrd_after_cycle_2").reset_index(name="n"),
        "NPM1-mutated patients by MRD status after cycle 2",
    )

    report.heading("Patient characteristics by MRD after cycle 2")
    table_one_block(report, mutated, "mrd_c2", title="NPM1-mutated patients by MRD after cycle 2")

    report.heading("MRD trajectories")
    outcome = by_id.astype("object").fillna("no cycle-2 sample")
    rank = {s: i for i, s in enumerate(STATUSES)}
    outcome = outcome.iloc[outcome.map(lambda s: rank.get(s, len(rank))).argsort(kind="stable")]
    mrd_block(report, "mrd_trajectories", mrd, outcome, sample="PB", seed=SEED)

    report.heading(f"Overall survival from day {LANDMARK_DAYS:g}")
    analysed = mutated[mutated["mrd_c2"].notna()]
    os_lm = _landmark(report, "lm_os", analysed, "os", "Overall survival by MRD after cycle 2")
    tv = _time_varying(report, mutated, mrd)
    report.heading(f"Relapse from day {LANDMARK_DAYS:g}")
    cir_lm = None
    if section_needs(report, "Relapse landmark analysis", "cir", "cr_days"):
        cir_lm = _relapse(report, analysed)

    report.heading("Interpretation")
    lines = [
        f"Of {len(mutated)} NPM1-mutated patients, {int(has_mrd.sum())} had MRD measurements and "
        f"{len(analysed)} a peripheral-blood sample after cycle 2: "
        + ", ".join(f"{s} {int(counts.get(s, 0))}" for s in STATUSES)
        + "."
    ]
    if os_lm is not None:
        lines.append(
            f"{os_lm.n} were alive and under follow-up at day {LANDMARK_DAYS:g}. "
            + describe_km(os_lm.km, endpoint="OS after the landmark")
        )
        if os_lm.cox is not None:
            lines.append(
                " ".join(
                    describe_cox(os_lm.cox, f"mrd_c2[{s}]", f"MRD {s} versus negative")
                    for s in STATUSES[1:]
                    if f"mrd_c2[{s}]" in os_lm.cox.summary.index
                )
            )
    if tv is not None and "mrd_positive" in tv.summary.index:
        r = tv.summary.loc["mrd_positive"]
        lines.append(
            f"With every peripheral-blood sample used (MRD as a time-varying covariate, "
            f"{tv.n} patients), detectable NPM1 transcripts carried a hazard ratio for death of "
            f"{r['hr']:.2f} (95% CI {r['hr_lower']:.2f}-{r['hr_upper']:.2f}, p = {r['p_value']:.2g}), "
            "adjusted for age."
        )
    if cir_lm is not None:
        lines.append(
            f"{cir_lm.n} patients in remission entered the relapse analysis. "
            + describe_cuminc(cir_lm.cuminc)
        )
    report.text("\n\n".join(x for x in lines if x))


def _relapse(report, analysed):
    """Relapse incidence from the landmark (diagnosis time scale), patients in remission by then."""
    from cohort.errors import CohortError

    in_cr = analysed[pd.to_numeric(analysed["cr_days"], errors="coerce") <= LANDMARK_DAYS].copy()
    report.flow(f"MRD known and in remission by day {LANDMARK_DAYS:g}", len(in_cr))
    # The landmark is on the diagnosis time scale, but cir_days counts from remission: move it.
    in_cr["cir_days"] = in_cr["cir_days"] + in_cr["cr_days"]
    report.method(
        "mrd_cir_scale",
        f"For relapse, time was counted from diagnosis (days to remission plus days from remission to "
        f"relapse) so that the same day-{LANDMARK_DAYS:g} landmark applies; patients not in remission by "
        "the landmark were left out and counted.",
    )
    try:
        return _landmark(
            report, "lm_cir", in_cr, "cir", "Cumulative incidence of relapse by MRD after cycle 2"
        )
    except CohortError as exc:
        report.text(f"Relapse landmark analysis not estimated ({exc}).")
        return None


def _time_varying(report, mutated, mrd):
    """NPM1 MRD in peripheral blood as a time-varying covariate of OS (every sample, not one)."""
    import cohort
    from cohort.errors import CohortError

    pb = mrd[mrd["sample"].astype("string").str.strip().str.upper() == "PB"]
    changes = pd.DataFrame(
        {
            "patient_id": pb["patient_id"],
            "days": pd.to_numeric(pb["days"], errors="coerce"),
            "mrd_positive": pd.to_numeric(pb["npm1_abl1_pct"], errors="coerce") > 0,
        }
    )
    report.heading("NPM1 MRD as a time-varying covariate")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the intervals left out are reported from the notes
            tv = cohort.cox_time_varying(mutated, ("age",), "os", changes=changes)
    except CohortError as exc:
        report.text(f"Time-varying MRD model not fitted ({exc}).")
        return None
    report.table("tv_mrd_cox", tv.summary, "Overall survival: MRD positivity in PB as it changes")
    report.table(
        "tv_mrd_fit",
        pd.DataFrame([{"patients": tv.n, "intervals": tv.n_intervals, "events": tv.events}]),
        "Time-varying MRD model: patients, intervals and deaths",
        show=False,
    )
    for note in tv.notes:
        report.text(f"Time-varying MRD model: {note}.")
    report.method(
        "mrd_time_varying",
        "Beside the landmark, MRD status in peripheral blood (any detectable NPM1-mutant transcript) "
        "entered a Cox model of overall survival as a time-varying covariate, updated at every "
        "sample from diagnosis on (as R survival::tmerge with tdc() and coxph(Surv(tstart, tstop, "
        "death) ~ mrd + age), Efron ties); follow-up before a patient's first sample was left out.",
    )
    return tv


def _landmark(report, name, frame, endpoint, title):
    """cohort.landmark at LANDMARK_DAYS by MRD status, leaving out (and reporting) too-small groups."""
    import cohort
    from cohort.errors import CohortError

    frame = frame.copy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the counts are reported from the result below
            lm = cohort.landmark(frame, LANDMARK_DAYS, by="mrd_c2", endpoint=endpoint)
    except CohortError as exc:
        report.text(f"{title}: not estimated ({exc}).")
        return None
    sizes = lm.data["mrd_c2"].astype("object").value_counts()
    small = [s for s in STATUSES if 0 < sizes.get(s, 0) < MIN_PATIENTS]
    if small:
        report.text(
            f"{title}: "
            + "; ".join(f"MRD {s} has {int(sizes[s])} patient(s) at the landmark" for s in small)
            + f", too few to estimate (minimum {MIN_PATIENTS}); left out."
        )
        kept = [s for s in STATUSES if sizes.get(s, 0) >= MIN_PATIENTS]
        if len(kept) < 2:
            report.text(f"{title}: fewer than two MRD groups left; not compared.")
            return None
        frame = frame[frame["mrd_c2"].isin(kept)]
        frame["mrd_c2"] = ordered(frame["mrd_c2"].astype("object"), kept)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lm = cohort.landmark(frame, LANDMARK_DAYS, by="mrd_c2", endpoint=endpoint)
        except CohortError as exc:
            report.text(f"{title}: not estimated ({exc}).")
            return None
    landmark_block(report, name, lm, title=title)
    return lm


if __name__ == "__main__":
    run_script(__file__)
