"""Validation rules for a normalised canonical table.

Each rule adds one :class:`~cohort.errors.Problem` per offending row to the load context, so the
caller can raise every problem at once (:class:`~cohort.errors.CohortValidationError`) or move the
rows to ``Cohort.exclusions``. Suspicious but usable values become warnings instead.

Rule codes (the ``reason`` of a problem): ``missing_id``, ``duplicate_id``, ``negative_time``,
``missing_time_with_event``, ``event_out_of_range``, ``efs_after_os``, ``rfs_after_os``,
``relapse_after_death``, ``flt3_itd_inconsistent``, ``vaf_above_one``,
``flt3_itd_ar_unit_undeclared``, ``age_out_of_range``,
``out_of_range``; the cross-field rules of :func:`cross_field` add ``negative_vaf``,
``itd_ratio_zero``, ``cr_after_death``, ``hsct_after_death``, ``death_while_alive``,
``hsct_days_without_hsct`` and ``relapse_without_rfs_event`` (and the warning
``time_from_cr_without_cr``); the
normalisers and date parser add ``unknown_code``, ``not_a_number``, ``bad_date``, ``partial_date``,
``future_date`` and the date-order codes of :mod:`cohort.io.endpoints`.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from cohort.io.normalise import Context, _plain
from cohort.schema import COLUMNS, ENDPOINTS

# Times are compared with a small tolerance: a month-to-day conversion can leave EFS a rounding
# error above OS when both were recorded as the same number of months.
TIME_TOLERANCE_DAYS = 1e-6

RULES = (
    "missing_id", "duplicate_id", "negative_time", "missing_time_with_event", "event_out_of_range",
    "efs_after_os", "rfs_after_os", "relapse_after_death", "flt3_itd_inconsistent", "vaf_above_one",
    "flt3_itd_ar_unit_undeclared", "age_out_of_range", "out_of_range", "unknown_code", "not_a_number", "bad_date", "future_date",
    "negative_vaf", "itd_ratio_zero", "cr_after_death", "hsct_after_death", "death_while_alive",
    "hsct_days_without_hsct", "relapse_without_rfs_event",
    "partial_date",
)  # fmt: skip


PATIENT_SCOPE = "patient"
"""Scope of an exclusion that removes the whole patient (row)."""


def problem_scope(column: str | None) -> str:
    """What a problem in canonical ``column`` makes unusable: an endpoint name, or ``"patient"``.

    A problem confined to an endpoint's time or event column (a negative OS time, an EFS event
    without a time, EFS longer than OS) costs only that endpoint; any other problem (identifier,
    dates, genotypes, age, codes) costs the patient.
    """
    for endpoint, pair in ENDPOINTS.items():
        if column in pair:
            return endpoint
    return PATIENT_SCOPE


def _mask(values: pd.Series | np.ndarray) -> np.ndarray:
    s = pd.Series(values)
    return s.fillna(False).to_numpy(dtype=bool)


def _in(series: pd.Series, values: tuple[int, ...]) -> np.ndarray:
    """Positions whose value is one of ``values`` (missing: False); numeric columns by numpy."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return np.isin(series.to_numpy(dtype=np.float64, na_value=np.nan), values)
    return series.isin(values).fillna(False).to_numpy(dtype=bool)


def _each(ctx: Context, frame: pd.DataFrame, mask, reason, column, message, fix, value=None):
    for pos in np.flatnonzero(_mask(mask)):
        v = _plain(frame[column].iloc[pos] if value is None else value(pos))
        if isinstance(v, float) and v.is_integer():
            v = int(v)  # show 671, not 671.0, as the user most likely typed it
        ctx.add(int(pos), reason, column, v, message, fix)


def validate(frame: pd.DataFrame, ctx: Context) -> None:
    """Check a normalised canonical table; problems go to ``ctx.problems``, warnings to the report.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical columns already normalised (by :func:`cohort.io.normalise.normalise_columns`).
    ctx : Context
        Load context (row numbers, user column names).
    """
    _identity(frame, ctx)
    _times_and_events(frame, ctx)
    _ordering(frame, ctx)
    _quantities(frame, ctx)
    cross_field(frame, ctx)
    _flt3_itd_ar_unit(frame, ctx)
    _warnings(frame, ctx)
    near_duplicate_ids(frame, ctx)


def _identity(frame: pd.DataFrame, ctx: Context) -> None:
    ids = frame["patient_id"]
    _each(
        ctx, frame, ids.isna(), "missing_id", "patient_id",
        "the patient identifier is missing.",
        "Give every row an identifier; rows without one cannot be linked to variants or MRD.",
    )  # fmt: skip
    if ctx.ids_distinct:  # normalise_text found them present and distinct even ignoring case
        dup = np.zeros(len(ids), dtype=bool)
    else:
        dup = (ids.duplicated(keep=False) & ids.notna()).to_numpy(dtype=bool)
    if dup.any():
        rows_by_id: dict[str, list[int]] = {}
        for pos in np.flatnonzero(dup):
            rows_by_id.setdefault(ids.iloc[pos], []).append(ctx.rows[pos])
        for pos in np.flatnonzero(dup):
            rows = rows_by_id[ids.iloc[pos]]
            ctx.add(
                int(pos), "duplicate_id", "patient_id", ids.iloc[pos],
                f"this identifier appears in {len(rows)} rows ({', '.join(map(str, rows))}).",
                "Keep one row per patient (merge repeated samples before loading).",
            )  # fmt: skip


def _times_and_events(frame: pd.DataFrame, ctx: Context) -> None:
    for name, col in COLUMNS.items():
        if name not in frame.columns or col.unit != "days":
            continue
        _each(
            ctx, frame, frame[name] < 0, "negative_time", name,
            "a time cannot be negative.",
            "Check the dates or times; times are days from diagnosis (RFS and CIR from CR).",
        )  # fmt: skip
    for endpoint, (tcol, ecol) in ENDPOINTS.items():
        if ecol not in frame.columns:
            continue
        allowed = (0, 1, 2) if ecol == "cir_status" else (0, 1)
        ev = frame[ecol]
        out_of_range = ev.notna().to_numpy(dtype=bool) & ~_in(ev, allowed)
        _each(
            ctx, frame, out_of_range, "event_out_of_range", ecol,
            f"event code out of range; {ecol} must be one of {', '.join(map(str, allowed))}.",
            "Correct the code, or declare what it means under values: in the mapping.",
        )  # fmt: skip
        if tcol in frame.columns:
            unreadable = ctx.flagged(tcol, len(frame))  # already reported as not a number
            no_time = frame[tcol].isna().to_numpy(dtype=bool) & ~unreadable
            _each(
                ctx, frame, _in(ev, (1, 2)) & no_time,
                "missing_time_with_event",
                tcol, f"{endpoint.upper()} has an event but no time.",
                f"Fill {tcol}, or set {ecol} to missing if the outcome is unknown.",
            )  # fmt: skip


def _ordering(frame: pd.DataFrame, ctx: Context) -> None:
    if {"efs_days", "os_days"} <= set(frame.columns):
        _each(
            ctx, frame, frame["efs_days"] > frame["os_days"] + TIME_TOLERANCE_DAYS,
            "efs_after_os", "efs_days",
            "EFS is longer than OS; an EFS event or censoring cannot come after death or last "
            "follow-up.",
            "Check both times (the same unit? EFS measured from diagnosis?).",
            value=lambda p: f"efs_days={_num(frame['efs_days'].iloc[p])}, "
            f"os_days={_num(frame['os_days'].iloc[p])}",
        )  # fmt: skip
    if not {"cr_days", "os_days"} <= set(frame.columns):
        return
    for tcol, ecol in (("rfs_days", "rfs_event"), ("cir_days", "cir_status")):
        if tcol not in frame.columns:
            continue
        end = frame["cr_days"] + frame[tcol]
        late = end > frame["os_days"] + TIME_TOLERANCE_DAYS
        relapse_after_death = pd.Series(False, index=frame.index)
        if ecol == "cir_status" and {"os_event", ecol} <= set(frame.columns):
            relapse_after_death = late & frame[ecol].eq(1) & frame["os_event"].eq(1)
            _each(
                ctx, frame, relapse_after_death, "relapse_after_death", tcol,
                "the relapse (CR + CIR time) comes after death (OS time).",
                "Check the relapse and death times; CIR is measured from CR.",
                value=lambda p, tcol=tcol: _triple(frame, tcol, p),
            )  # fmt: skip
        _each(
            ctx, frame, late & ~relapse_after_death.fillna(False),
            "rfs_after_os", tcol,
            f"CR time + {tcol} is longer than OS; {tcol} must end by death or last follow-up.",
            f"Check the times; {tcol} is measured from CR, not from diagnosis.",
            value=lambda p, tcol=tcol: _triple(frame, tcol, p),
        )  # fmt: skip


def _num(x) -> str:
    return "NA" if pd.isna(x) else f"{float(x):g}"


def _triple(frame: pd.DataFrame, tcol: str, p: int) -> str:
    return (
        f"cr_days={_num(frame['cr_days'].iloc[p])}, {tcol}={_num(frame[tcol].iloc[p])}, "
        f"os_days={_num(frame['os_days'].iloc[p])}"
    )


def _quantities(frame: pd.DataFrame, ctx: Context) -> None:
    if {"flt3_itd", "flt3_itd_ar"} <= set(frame.columns):
        _each(
            ctx, frame, frame["flt3_itd"].eq(False) & (frame["flt3_itd_ar"] > 0),
            "flt3_itd_inconsistent", "flt3_itd_ar",
            "FLT3-ITD is negative but the allelic ratio is positive.",
            "Correct either the ITD status or the ratio.",
        )  # fmt: skip
    for name in ("npm1_vaf", "tp53_vaf"):
        if name in frame.columns:
            _each(
                ctx, frame, frame[name] > 1, "vaf_above_one", name,
                "a variant allele fraction cannot exceed 1.",
                "If VAFs are percentages, declare units: {vaf: percent} in the mapping.",
            )  # fmt: skip
    if "age" in frame.columns:
        _each(
            ctx, frame, (frame["age"] < 0) | (frame["age"] > 120), "age_out_of_range", "age",
            "age must lie between 0 and 120 years.",
            "Check the value (age in years at diagnosis, not a date or days).",
        )  # fmt: skip
    for name, col in COLUMNS.items():
        if name not in frame.columns or name in ("age", "npm1_vaf", "tp53_vaf"):
            continue
        if col.kind not in ("float",) or col.allowed is None:
            continue
        low, high = col.allowed
        mask = frame[name] > high
        if col.unit != "days":
            mask = mask | (frame[name] < low)
        _each(
            ctx, frame, mask, "out_of_range", name,
            f"{name} must lie between {low:g} and {high:g} {col.unit}.".replace(" .", "."),
            "Check the value and its unit (declare units in the mapping if needed).",
        )  # fmt: skip


#: An undeclared FLT3-ITD allelic ratio above this is refused even in a column of ratios.
AR_CEILING = 10.0


def _flt3_itd_ar_unit(frame: pd.DataFrame, ctx: Context) -> None:
    """A FLT3-ITD allelic ratio that looks like a percentage needs a declared unit.

    The ELN 2017 ratio is ITD / wild type (fragment-analysis areas), not a VAF; it exceeds 1 when
    the ITD peak is larger than the wild-type one (a minority of ITD-positive patients, rarely
    above :data:`AR_CEILING`). A value such as 35.8 is far more often a percentage, which would
    silently make every such patient FLT3-ITD^high. Unless ``units: {flt3_itd: ...}`` is declared,
    values above 1 are refused when the column looks like percentages (most positive values above
    1) and values above :data:`AR_CEILING` always.
    """
    if "flt3_itd_ar" not in frame.columns or "flt3_itd" in ctx.mapping.units:
        return
    ar = frame["flt3_itd_ar"]
    positive = ar[ar > 0].dropna()
    percent_like = len(positive) > 0 and float(positive.median()) > 1
    _each(
        ctx, frame, (ar > 1) & (percent_like | (ar > AR_CEILING)),
        "flt3_itd_ar_unit_undeclared", "flt3_itd_ar",
        "a FLT3-ITD allelic ratio above 1 in a column that looks like percentages (or above 10), "
        "with no unit declared: the allelic ratio is ITD / wild type (ELN 2017), not a VAF.",
        "Declare the unit in the mapping: units: {flt3_itd: percent_ratio} (ratio in percent), "
        "{flt3_itd: vaf_percent} or {flt3_itd: vaf} (an NGS VAF, converted to AR = VAF / (1 - VAF)),"
        " or {flt3_itd: ratio} if ratios above 1 are real.",
    )  # fmt: skip


def _warnings(frame: pd.DataFrame, ctx: Context) -> None:
    def warn(mask, text: str) -> None:
        n = int(_mask(mask).sum())
        if n:
            ctx.note("warnings", text.format(n=n))

    if "age" in frame.columns:
        warn((frame["age"] < 18) & (frame["age"] >= 0), "{n} patient(s) younger than 18 years.")
    if "os_days" in frame.columns:
        warn(frame["os_days"] == 0, "{n} patient(s) with OS time 0 days.")
    if "npm1_vaf" in frame.columns:
        warn(
            (frame["npm1_vaf"] > 0.6) & (frame["npm1_vaf"] <= 1),
            "{n} patient(s) with NPM1 VAF above 0.6 (unusual for a heterozygous mutation; "
            "check the VAF unit).",
        )
    if {"efs_event", "os_event", "efs_days", "os_days"} <= set(frame.columns):
        warn(
            frame["efs_event"].eq(0) & frame["os_event"].eq(1)
            & (frame["efs_days"] - frame["os_days"]).abs().le(TIME_TOLERANCE_DAYS),
            "{n} patient(s) censored for EFS at the time of death (death is an EFS event).",
        )  # fmt: skip


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """A canonical column, or all-missing when the table lacks it (a rule then finds nothing)."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype="Float64")


def cross_field(frame: pd.DataFrame, ctx: Context) -> None:
    """Values that are possible alone but contradict another column of the same row.

    Each rule has its own reason: ``negative_vaf``, ``itd_ratio_zero``, ``cr_after_death``,
    ``hsct_after_death``, ``death_while_alive``, ``hsct_days_without_hsct``,
    ``relapse_without_rfs_event`` are problems; ``time_from_cr_without_cr`` is a warning.
    """
    os_days, os_event = _col(frame, "os_days"), _col(frame, "os_event")
    dead = os_event.eq(1)
    for name in ("npm1_vaf", "tp53_vaf"):
        if name in frame.columns:
            _each(
                ctx, frame, frame[name] < 0, "negative_vaf", name,
                "a variant allele fraction cannot be negative.",
                "Correct the value (a fraction between 0 and 1, or a percentage declared with "
                "units: {vaf: percent}).",
            )  # fmt: skip
    if {"flt3_itd", "flt3_itd_ar"} <= set(frame.columns):
        _each(
            ctx, frame, frame["flt3_itd"].eq(True) & frame["flt3_itd_ar"].eq(0),
            "itd_ratio_zero", "flt3_itd_ar",
            "FLT3-ITD is present but its allelic ratio is 0.",
            "Give the measured ratio, leave it empty if unknown, or correct the ITD status.",
        )  # fmt: skip
    for tcol, reason, what in (
        ("cr_days", "cr_after_death", "complete remission"),
        ("hsct_days", "hsct_after_death", "transplant"),
    ):
        if tcol in frame.columns:
            _each(
                ctx, frame, dead & (frame[tcol] > os_days + TIME_TOLERANCE_DAYS), reason, tcol,
                f"the {what} ({tcol}) comes after death (os_days).",
                "Check both times (days from diagnosis) or the dates they were derived from.",
                value=lambda p, tcol=tcol: f"{tcol}={_num(frame[tcol].iloc[p])}, "
                f"os_days={_num(os_days.iloc[p])}",
            )  # fmt: skip
    if "cir_status" in frame.columns:
        _each(
            ctx, frame, frame["cir_status"].eq(2) & os_event.eq(0), "death_while_alive",
            "cir_status",
            "cir_status 2 (death without relapse) but os_event says the patient is alive.",
            "Correct cir_status (0 if censored) or os_event (1 if the patient died).",
            value=lambda p: f"cir_status=2, os_event={_num(os_event.iloc[p])}",
        )  # fmt: skip
        if "rfs_event" in frame.columns:
            _each(
                ctx, frame, frame["cir_status"].eq(1) & frame["rfs_event"].eq(0),
                "relapse_without_rfs_event", "rfs_event",
                "cir_status 1 (relapse) but rfs_event 0; a relapse is an RFS event.",
                "Set rfs_event to 1, or correct cir_status.",
                value=lambda p: f"cir_status=1, rfs_event={_num(frame['rfs_event'].iloc[p])}",
            )  # fmt: skip
    if "cr" in frame.columns:
        # A warning, not an error: "cr" records remission after induction, and a patient who
        # reached CR only after salvage therapy has RFS/CIR times with cr false (AMLSG data do).
        for tcol in ("rfs_days", "cir_days"):
            if tcol in frame.columns:
                _warn_rows(
                    ctx, frame["cr"].eq(False) & frame[tcol].notna(), "time_from_cr_without_cr",
                    f"{tcol} is given although cr is false ({tcol} is measured from complete "
                    "remission; kept, as CR after salvage therapy; check cr if it should be true)",
                )  # fmt: skip
    if {"hsct", "hsct_days"} <= set(frame.columns):
        _each(
            ctx, frame, frame["hsct"].eq(False) & frame["hsct_days"].notna(),
            "hsct_days_without_hsct", "hsct_days",
            "hsct_days is given but hsct is false.",
            "Set hsct to true if the patient was transplanted, or leave hsct_days empty.",
            value=lambda p: f"hsct=False, hsct_days={_num(frame['hsct_days'].iloc[p])}",
        )  # fmt: skip


def _warn_rows(ctx: Context, mask, reason: str, text: str) -> None:
    """A warning naming the rule and the rows it applies to (rows stay in the cohort)."""
    positions = np.flatnonzero(_mask(mask))
    if len(positions):
        rows = [ctx.rows[p] for p in positions]
        shown = ", ".join(map(str, rows[:10])) + (", ..." if len(rows) > 10 else "")
        ctx.note("warnings", f"{reason}: {text}: {len(rows)} row(s) ({shown}).")


_INVISIBLE = re.compile(
    r"[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)


def _id_key(value: str) -> str:
    """The form in which two identifiers count as the same patient written two ways."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", value)).casefold()


_ASCII_SPACE = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1f ]")


def _clashing_values(values: np.ndarray) -> set[str]:
    """The distinct identifiers whose :func:`_id_key` equals that of another distinct identifier.

    For ASCII text NFKC changes nothing and the invisible characters are the ASCII spaces, so the
    key is the text without them, lower-cased (``str`` methods mapped in C); only non-ASCII
    identifiers go through NFKC one by one.
    """
    distinct = pd.unique(values)
    if not len(distinct):
        return set()
    ascii_ = np.fromiter(map(str.isascii, distinct), dtype=bool, count=len(distinct))
    plain = distinct[ascii_]
    if _ASCII_SPACE.search("".join(plain)):
        plain = [_ASCII_SPACE.sub("", v) for v in plain]
    keys = np.empty(len(distinct), dtype=object)
    keys[ascii_] = list(map(str.lower, plain))
    keys[~ascii_] = [_id_key(v) for v in distinct[~ascii_]]
    return set(distinct[pd.Series(keys).duplicated(keep=False).to_numpy()])


def near_duplicate_ids(frame: pd.DataFrame, ctx: Context) -> None:
    """Warn about identifiers that differ only by case, Unicode form or an invisible character.

    ``P001``, ``p001``, ``P001`` followed by a zero-width space and a composed/decomposed ``é``
    are different strings but very likely one patient entered twice; the rows are named, and the
    identifiers kept as given (they may be legitimately distinct in a case-sensitive system).
    """
    if ctx.ids_distinct:
        return  # ASCII letters and digits, distinct in lower case: no two share a key
    ids = frame["patient_id"]
    present = ids.notna().to_numpy(dtype=bool)
    suspects = _clashing_values(ids[present].astype(str).to_numpy(dtype=object))
    groups: dict[str, dict[str, list[int]]] = {}
    if suspects:
        texts = ids.astype(object).where(present, None)
        for pos in np.flatnonzero(present & texts.isin(suspects).to_numpy(dtype=bool)):
            value = str(texts.iloc[pos])
            groups.setdefault(_id_key(value), {}).setdefault(value, []).append(ctx.rows[pos])
    clashes = [g for g in groups.values() if len(g) > 1]
    for group in clashes[:20]:
        shown = ", ".join(f"{v!r} (row {', '.join(map(str, rows))})" for v, rows in group.items())
        ctx.note(
            "warnings",
            f"identifiers {shown} differ only by case, Unicode form or an invisible character; "
            "they are kept as different patients. If they are one patient, correct the "
            "identifiers.",
        )
    if len(clashes) > 20:
        ctx.note("warnings", f"... and {len(clashes) - 20} more such groups of identifiers.")
