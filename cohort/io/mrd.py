"""NPM1 measurable residual disease (MRD) by RQ-PCR: response at fixed time points and course.

Implements the NPM1 part of the **ELN 2021 MRD update** (Heuser et al., Blood 2021;138:2753), as
far as the stored sources confirm it, with every threshold and time window an option. What is
confirmed and what rests on our reading is set out in ``docs/mrd.md``; in short:

- time points for NPM1-mutated AML: after two cycles of intensive chemotherapy in peripheral blood
  (PB), end of treatment in bone marrow (BM), then follow-up;
- a rise of >= 1 log10 over the nadir, within the tissue of the nadir, in a patient who never
  tested negative is molecular progression; conversion from negative to positive is molecular
  relapse; either needs a second positive sample within 4 weeks;
- "low level" (MRD-LL) is positivity below 2% NPM1mut/ABL1 (not confirmed verbatim in the stored
  sources; option ``low_level_cutoff``).

Input is the long MRD table of :data:`cohort.schema.MRD_COLUMNS` (patient_id, days, sample "PB" or
"BM", npm1_abl1_pct = NPM1-mutant / ABL1 transcripts x 100). Output: one row per patient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cohort.cohort import Cohort
from cohort.errors import ClassificationError, CohortValidationError, Problem, SchemaError

VERSION = "ELN 2021 MRD update (Heuser et al., Blood 2021;138:2753)"
SAMPLES = ("PB", "BM")
REQUIRED = ("patient_id", "days", "sample", "npm1_abl1_pct")

NEGATIVE = "negative"
LOW_LEVEL = "low level"
POSITIVE = "positive"

COURSE_NEGATIVE = "negative"
COURSE_LOW_LEVEL = "low-level persistence"
COURSE_PERSISTENCE = "persistence"
COURSE_PROGRESSION = "molecular progression"
COURSE_RELAPSE = "molecular relapse"
COURSE_UNCONFIRMED = "unconfirmed rise"

OUTPUT_COLUMNS = (
    "patient_id",
    "baseline_days",
    "baseline_pct",
    "c2_days",
    "c2_pct",
    "c2_log10_reduction",
    "c2_status",
    "eot_days",
    "eot_pct",
    "eot_log10_reduction",
    "eot_status",
    "n_samples_after_baseline",
    "ever_negative",
    "nadir_pct",
    "last_days",
    "last_pct",
    "course",
    "course_days",
)


def validate(mrd: pd.DataFrame) -> pd.DataFrame:
    """Check an MRD long table and return a normalised copy (sample codes upper-case).

    Raises
    ------
    SchemaError
        When a required column is absent.
    CohortValidationError
        Listing every row with a missing patient, a missing or non-numeric day or level, a
        negative level, or a sample code other than "PB"/"BM".
    """
    if not isinstance(mrd, pd.DataFrame):
        raise SchemaError(
            f"cohort.mrd expects the MRD long table as a pandas DataFrame (or a Cohort with .mrd), "
            f"got {type(mrd).__name__}. Load it with cohort.load_mrd(path)."
        )
    missing = [c for c in REQUIRED if c not in mrd.columns]
    if missing:
        raise SchemaError(
            f"The MRD table needs column(s) {', '.join(map(repr, missing))} (it has "
            f"{', '.join(map(str, mrd.columns))}). Rename them or load with cohort.load_mrd and a "
            "mapping file."
        )
    out = mrd.reset_index(drop=True).copy()
    problems: list[Problem] = []
    pid = out["patient_id"].astype("string").str.strip()
    sample = out["sample"].astype("string").str.strip().str.upper()
    days = pd.to_numeric(out["days"], errors="coerce").astype("Float64")
    level = pd.to_numeric(out["npm1_abl1_pct"], errors="coerce").astype("Float64")

    def add(mask: pd.Series, reason: str, column: str, message: str, fix: str) -> None:
        for pos in np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool)):
            value = mrd[column].iloc[pos]
            problems.append(
                Problem(
                    reason=reason,
                    message=message,
                    column=column,
                    row=int(pos),
                    value=None if pd.isna(value) else value,
                    fix=fix,
                    patient_id=None if pd.isna(pid.iloc[pos]) else str(pid.iloc[pos]),
                )
            )

    add(pid.isna() | (pid == ""), "missing_patient", "patient_id", "the sample has no patient.",
        "give every sample the patient's identifier.")  # fmt: skip
    add(~sample.isin(SAMPLES) | sample.isna(), "unknown_sample", "sample",
        "the sample type must be 'PB' (peripheral blood) or 'BM' (bone marrow).",
        "recode the sample type to PB or BM (declare the codes in a mapping file).")  # fmt: skip
    add(days.isna(), "missing_days", "days", "the day of the sample is missing or not a number.",
        "give days from diagnosis as a number.")  # fmt: skip
    add(level.isna(), "missing_level", "npm1_abl1_pct",
        "the NPM1mut/ABL1 level is missing or not a number.",
        "give the level as NPM1mut/ABL1 x 100 (0 for undetectable); remove failed samples.")  # fmt: skip
    add(level < 0, "negative_level", "npm1_abl1_pct", "the NPM1mut/ABL1 level is negative.",
        "levels are NPM1mut/ABL1 x 100 and cannot be below 0.")  # fmt: skip
    if problems:
        raise CohortValidationError(problems, source="<MRD table>")
    out["patient_id"] = pid
    out["sample"] = sample
    out["days"] = days
    out["npm1_abl1_pct"] = level
    return out


def _window(name: str, value: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ClassificationError(
            f"{name} must be a (first_day, last_day) pair, got {value!r}."
        ) from exc
    if not lo <= hi:
        raise ClassificationError(f"{name} must have first_day <= last_day, got {value!r}.")
    return lo, hi


def _pick(
    df: pd.DataFrame, window: tuple[float, float], sample: str | None, last: bool
) -> pd.DataFrame:
    """One sample per patient inside ``window`` (inclusive), first or last by day."""
    m = df["days"].between(window[0], window[1])
    if sample is not None:
        m &= df["sample"] == sample
    sub = df.loc[m.fillna(False).to_numpy(dtype=bool)]
    sub = sub.sort_values(["patient_id", "days", "_bm_first"], kind="stable")
    picked = (
        sub.groupby("patient_id", sort=False).tail(1)
        if last
        else sub.groupby("patient_id", sort=False).head(1)
    )
    return picked.set_index("patient_id")[["days", "npm1_abl1_pct"]]


def _status(level: pd.Series, detection_limit: float, low_level_cutoff: float) -> pd.Series:
    v = level.astype("Float64")
    out = pd.Series(pd.NA, index=level.index, dtype="string")
    out[(v <= detection_limit).fillna(False)] = NEGATIVE
    out[((v > detection_limit) & (v < low_level_cutoff)).fillna(False)] = LOW_LEVEL
    out[(v >= low_level_cutoff).fillna(False)] = POSITIVE
    return out


def _reduction(baseline: pd.Series, level: pd.Series, detection_limit: float) -> pd.Series:
    b = baseline.astype("Float64")
    x = level.astype("Float64")
    ok = (b > detection_limit) & (x > detection_limit)
    ratio = (b / x).where(ok)
    return pd.Series(np.log10(ratio.astype(float)), index=level.index).astype("Float64")


def classify(
    mrd: pd.DataFrame | Cohort,
    *,
    version: str = "eln2021",
    detection_limit: float = 0.0,
    low_level_cutoff: float = 2.0,
    baseline_window: tuple[float, float] = (-60, 7),
    c2_window: tuple[float, float] = (40, 90),
    c2_sample: str | None = "PB",
    eot_window: tuple[float, float] = (120, 240),
    eot_sample: str | None = "BM",
    rise_log10: float = 1.0,
    require_confirmation: bool = True,
    confirm_within_days: float = 28,
) -> pd.DataFrame:
    """Per-patient NPM1 MRD response and course (ELN 2021 MRD update).

    Parameters
    ----------
    mrd : pandas.DataFrame or Cohort
        The MRD long table (``Cohort.mrd`` when a Cohort is given).
    version : {"eln2021"}
        The recommendation implemented (the only one so far).
    detection_limit : float
        Levels at or below this NPM1mut/ABL1 % are negative (0: only undetectable is negative).
    low_level_cutoff : float
        Positive levels below this % are "low level" (MRD-LL, 2% in ELN 2021 as we read it).
    baseline_window : (float, float)
        Days (inclusive) for the diagnostic sample; the earliest one (BM before PB on the same
        day) is the baseline. Later samples form the course.
    c2_window, c2_sample : (float, float), {"PB", "BM", None}
        Window and tissue of the after-cycle-2 sample (first in window). Default days 40-90, PB:
        two 28-35-day cycles with count recovery; set from the protocol.
    eot_window, eot_sample : (float, float), {"PB", "BM", None}
        Window and tissue of the end-of-treatment sample (last in window). Default days 120-240,
        BM; set from the protocol.
    rise_log10 : float
        Rise over the nadir (same tissue, patient never negative in that tissue) that counts as
        molecular progression.
    require_confirmation : bool
        Progression or relapse needs the patient's next sample, within ``confirm_within_days``,
        to be positive too; otherwise the course is "unconfirmed rise".
    confirm_within_days : float

    Returns
    -------
    pandas.DataFrame
        One row per patient, columns: ``patient_id``; ``baseline_days``, ``baseline_pct``;
        ``c2_days``, ``c2_pct``, ``c2_log10_reduction``, ``c2_status``; ``eot_days``,
        ``eot_pct``, ``eot_log10_reduction``, ``eot_status`` (status "negative", "low level",
        "positive"); ``n_samples_after_baseline``, ``ever_negative``, ``nadir_pct``,
        ``last_days``, ``last_pct``; ``course`` ("negative", "low-level persistence",
        "persistence", "molecular progression", "molecular relapse", "unconfirmed rise") and
        ``course_days`` (day of the first sample of the progression or relapse). ``.attrs``
        records the version and options.
    """
    if version != "eln2021":
        raise ClassificationError(
            f"Unknown MRD version {version!r}; implemented: 'eln2021' ({VERSION})."
        )
    if isinstance(mrd, Cohort):
        if mrd.mrd is None:
            raise SchemaError(
                "This cohort has no MRD table; load one with cohort.load(..., mrd=path)."
            )
        mrd = mrd.mrd
    for name, s in (("c2_sample", c2_sample), ("eot_sample", eot_sample)):
        if s is not None and s not in SAMPLES:
            raise ClassificationError(f"{name} must be 'PB', 'BM' or None, got {s!r}.")
    if not 0 <= detection_limit < low_level_cutoff:
        raise ClassificationError(
            "Need 0 <= detection_limit < low_level_cutoff, got "
            f"{detection_limit!r} and {low_level_cutoff!r}."
        )
    if rise_log10 <= 0 or confirm_within_days < 0:
        raise ClassificationError("rise_log10 must be > 0 and confirm_within_days >= 0.")
    base_w = _window("baseline_window", baseline_window)
    c2_w = _window("c2_window", c2_window)
    eot_w = _window("eot_window", eot_window)

    df = validate(mrd)
    df["_bm_first"] = (df["sample"] != "BM").astype(int)
    df = df.sort_values(["patient_id", "days", "_bm_first"], kind="stable").reset_index(drop=True)
    patients = pd.Index(df["patient_id"].unique(), name="patient_id")
    out = pd.DataFrame(index=patients)

    base = _pick(df, base_w, None, last=False)
    out["baseline_days"] = base["days"]
    out["baseline_pct"] = base["npm1_abl1_pct"]
    for prefix, window, sample, last in (
        ("c2", c2_w, c2_sample, False),
        ("eot", eot_w, eot_sample, True),
    ):
        picked = _pick(df, window, sample, last=last)
        out[f"{prefix}_days"] = picked["days"]
        out[f"{prefix}_pct"] = picked["npm1_abl1_pct"]
        out[f"{prefix}_log10_reduction"] = _reduction(
            out["baseline_pct"], out[f"{prefix}_pct"], detection_limit
        )
        out[f"{prefix}_status"] = _status(out[f"{prefix}_pct"], detection_limit, low_level_cutoff)

    course = _course(
        df[df["days"] > base_w[1]].reset_index(drop=True),
        detection_limit=detection_limit,
        low_level_cutoff=low_level_cutoff,
        rise_log10=rise_log10,
        require_confirmation=require_confirmation,
        confirm_within_days=confirm_within_days,
    )
    out = out.join(course)
    out["n_samples_after_baseline"] = out["n_samples_after_baseline"].fillna(0).astype("Int64")
    out = out.reset_index()
    for col in OUTPUT_COLUMNS:
        if col not in out.columns:
            out[col] = pd.NA
    out = out[list(OUTPUT_COLUMNS)]
    floats = [c for c in OUTPUT_COLUMNS if c.endswith(("_days", "_pct", "_reduction"))]
    out[floats] = out[floats].astype("Float64")
    out["ever_negative"] = out["ever_negative"].astype("boolean")
    for c in ("patient_id", "c2_status", "eot_status", "course"):
        out[c] = out[c].astype("string")
    out.attrs["version"] = VERSION
    out.attrs["options"] = {
        "detection_limit": detection_limit,
        "low_level_cutoff": low_level_cutoff,
        "baseline_window": base_w,
        "c2_window": c2_w,
        "c2_sample": c2_sample,
        "eot_window": eot_w,
        "eot_sample": eot_sample,
        "rise_log10": rise_log10,
        "require_confirmation": require_confirmation,
        "confirm_within_days": confirm_within_days,
    }
    return out


def _course(
    df: pd.DataFrame,
    *,
    detection_limit: float,
    low_level_cutoff: float,
    rise_log10: float,
    require_confirmation: bool,
    confirm_within_days: float,
) -> pd.DataFrame:
    """Course after the baseline window, one row per patient with at least one sample."""
    cols = ["n_samples_after_baseline", "ever_negative", "nadir_pct", "last_days", "last_pct",
            "course", "course_days"]  # fmt: skip
    if df.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="patient_id"))
    level = df["npm1_abl1_pct"].astype(float)
    pos = level > detection_limit
    keys = [df["patient_id"], df["sample"]]
    neg = (~pos).astype(int)
    neg_before = neg.groupby(keys).cumsum() - neg
    # Nadir of earlier positive samples in the same tissue (negatives are handled as conversion).
    running_min = level.where(pos).groupby(keys).cummin()
    running_min = running_min.groupby(keys).ffill()
    prev_min = running_min.groupby(keys).shift(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.log10(level / prev_min)
    # The tolerance keeps an exact ten-fold rise (e.g. 0.01 -> 0.1) from failing on rounding.
    progression = pos & (neg_before == 0) & (rise >= rise_log10 - 1e-9)
    conversion = pos & (neg_before > 0)
    candidate = progression | conversion

    by_patient = df.groupby("patient_id", sort=False)
    next_days = by_patient["days"].shift(-1).astype(float)
    next_pos = pos.groupby(df["patient_id"]).shift(-1).astype("boolean").fillna(False)
    confirmed_by_next = next_pos.to_numpy(dtype=bool) & (
        (next_days - df["days"].astype(float)) <= confirm_within_days
    ).to_numpy(dtype=bool)
    within = ((next_days - df["days"].astype(float)) <= confirm_within_days).to_numpy(dtype=bool)
    refuted = within & ~next_pos.to_numpy(dtype=bool)
    if require_confirmation:
        confirmed = candidate & confirmed_by_next
        # A negative next sample within the window refutes the rise; no usable next sample
        # leaves it pending, which is reported rather than ignored.
        pending = candidate & ~confirmed & ~refuted
    else:
        confirmed = candidate
        pending = candidate & False

    events = df.loc[confirmed, ["patient_id", "days"]].assign(
        kind=np.where(conversion[confirmed], COURSE_RELAPSE, COURSE_PROGRESSION)
    )
    first_event = events.groupby("patient_id", sort=False).head(1).set_index("patient_id")
    unconfirmed = df.loc[pending, "patient_id"].unique()

    summary = pd.DataFrame(
        {
            "n_samples_after_baseline": by_patient.size(),
            "ever_negative": (~pos).groupby(df["patient_id"], sort=False).any(),
            "nadir_pct": level.groupby(df["patient_id"], sort=False).min(),
            "last_days": by_patient["days"].last().astype(float),
            "last_pct": by_patient["npm1_abl1_pct"].last().astype(float),
        }
    )
    last = summary["last_pct"]
    course = np.where(
        last <= detection_limit,
        COURSE_NEGATIVE,
        np.where(last < low_level_cutoff, COURSE_LOW_LEVEL, COURSE_PERSISTENCE),
    ).astype(object)
    course = pd.Series(course, index=summary.index)
    course[course.index.isin(unconfirmed)] = COURSE_UNCONFIRMED
    course.loc[first_event.index] = first_event["kind"]
    summary["course"] = course
    summary["course_days"] = first_event["days"].reindex(summary.index).astype(float)
    summary.index.name = "patient_id"
    return summary[cols]


__all__ = ["VERSION", "classify", "validate"]
