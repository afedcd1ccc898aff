"""Survival endpoints derived from event dates, with the ELN 2017 definitions.

Given the dates of diagnosis, complete remission (CR), relapse, death, last follow-up and allo-HSCT,
:func:`endpoints_from_dates` computes (Döhner et al., Blood 2017;129:424, Table 8):

- **OS**: diagnosis to death from any cause; censored at last follow-up.
- **EFS**: diagnosis to induction failure, relapse or death. Failure to reach CR is an event at
  day 1 (ELN 2017 convention); patients in CR are censored at last follow-up.
- **RFS**: only for patients in CR, measured *from the CR date* to relapse or death; censored at last
  follow-up.
- **CIR**: only for patients in CR, from the CR date; ``cir_status`` 1 = relapse, 2 = death without
  relapse (competing event), 0 = censored at last follow-up.

All times are in days (a date difference in whole days).

Dates written as Excel serial numbers (``43831`` = 2020-01-01) are converted only when the mapping
declares ``date_format: excel_1900`` or ``excel_1904``; otherwise they are ``bad_date`` problems
whose message says how to declare them: a number in a date column is never guessed to be a date.
Before parsing, :func:`date_cells` refuses partial dates and reads dates with a time zone as
their calendar date.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from cohort.io.normalise import Context, token

DATE_ORDER = ("diagnosis", "cr", "relapse", "death", "last_followup", "hsct")
EFS_INDUCTION_FAILURE_DAY = 1.0
"""EFS time given to patients who never reach CR (ELN 2017: an event on day 1)."""

EXCEL_ORIGINS = {1900: pd.Timestamp("1899-12-30"), 1904: pd.Timestamp("1904-01-01")}
"""Day 0 of each Excel date system. The 1900 origin is 30 (not 31) December 1899 because Excel
counts a 29 February 1900 that never existed (serial 60); from serial 61 (1 March 1900) on, this
origin gives the true date."""
EXCEL_FIRST_SERIAL = {1900: 61, 1904: 0}
"""Smallest serial converted: 1900-system serials below 61 fall on or before the fictitious
29 February 1900, where Excel's count is off by one day."""
PLAUSIBLE_EXCEL_SERIALS = (20_000, 60_000)
"""Plain numbers in this range (1954-10-03 to 2064-04-08 in the 1900 system) in a date column are
reported as probable Excel serial dates when the mapping does not declare an Excel date system."""
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

DERIVED_COLUMNS = (
    "cr", "cr_days", "os_days", "os_event", "efs_days", "efs_event", "rfs_days", "rfs_event",
    "cir_days", "cir_status", "hsct", "hsct_days",
)  # fmt: skip


def endpoints_from_dates(dates: pd.DataFrame, cr: pd.Series | None = None) -> pd.DataFrame:
    """OS, EFS, RFS and CIR (and CR, HSCT timing) from event dates.

    Parameters
    ----------
    dates : pandas.DataFrame
        Columns ``diagnosis`` and any of ``cr``, ``relapse``, ``death``, ``last_followup``,
        ``hsct``, as ``datetime64``; missing dates are ``NaT``.
    cr : pandas.Series of boolean, optional
        CR status where known independently of the date. Where it is missing, a CR date means CR
        and no CR date means no CR (so a table of dates alone gives a CR status for everyone).

    Returns
    -------
    pandas.DataFrame
        Same index; columns ``cr``, ``cr_days``, ``os_days``, ``os_event``, ``efs_days``,
        ``efs_event``, ``rfs_days``, ``rfs_event``, ``cir_days``, ``cir_status`` and, when an
        ``hsct`` date column is given, ``hsct`` and ``hsct_days``. Times in days (``Float64``),
        events ``Int64``. Endpoints needing a missing date are missing.
    """
    idx = dates.index
    nat = pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")

    def col(name: str) -> pd.Series:
        return pd.to_datetime(dates[name]) if name in dates.columns else nat

    dx, d_cr, d_rel, d_death, d_lfu = (
        col(n) for n in ("diagnosis", "cr", "relapse", "death", "last_followup")
    )

    def days(a: pd.Series, b: pd.Series) -> pd.Series:
        return ((b - a).dt.days).astype("Float64")

    in_cr = d_cr.notna().astype("boolean")
    if cr is not None:
        given = pd.Series(cr, index=idx).astype("boolean")
        in_cr = given.fillna(in_cr)
    dead = d_death.notna()
    end_os = d_death.where(dead, d_lfu)
    known_end = end_os.notna()
    relapsed = d_rel.notna()

    out = pd.DataFrame(index=idx)
    out["cr"] = in_cr
    out["cr_days"] = days(dx, d_cr)
    out["os_days"] = days(dx, end_os)
    out["os_event"] = _events(dead.astype(int), known_end)

    # EFS: failure to reach CR is an event at day 1; in CR, the first of relapse or death.
    cr_true = in_cr.fillna(False).to_numpy(dtype=bool)
    cr_known = in_cr.notna().to_numpy(dtype=bool)
    end_cr_failure = d_rel.where(relapsed, end_os)
    efs_event_cr = (relapsed | dead).astype(int)
    efs_days = days(dx, end_cr_failure)
    efs_days = efs_days.where(cr_true, EFS_INDUCTION_FAILURE_DAY).where(cr_known, pd.NA)
    efs_event = pd.Series(np.where(cr_true, efs_event_cr, 1), index=idx)
    known_efs = pd.Series(cr_known & ~(cr_true & end_cr_failure.isna().to_numpy()), index=idx)
    out["efs_days"] = efs_days.where(known_efs, pd.NA)
    out["efs_event"] = _events(efs_event, known_efs)

    # RFS and CIR are measured from the CR date, for patients in CR only.
    from_cr = pd.Series(cr_true, index=idx) & d_cr.notna()
    rfs_days = days(d_cr, end_cr_failure)
    out["rfs_days"] = rfs_days.where(from_cr & end_cr_failure.notna(), pd.NA)
    out["rfs_event"] = _events(efs_event_cr, from_cr & end_cr_failure.notna())
    cir_status = pd.Series(np.where(relapsed, 1, np.where(dead, 2, 0)), index=idx)
    out["cir_days"] = out["rfs_days"]
    out["cir_status"] = _events(cir_status, from_cr & end_cr_failure.notna())

    if "hsct" in dates.columns:
        d_hsct = col("hsct")
        out["hsct"] = d_hsct.notna().astype("boolean")
        out["hsct_days"] = days(dx, d_hsct)
    return out


def _events(values: Any, known: pd.Series) -> pd.Series:
    s = pd.Series(np.asarray(values), index=known.index).astype("Int64")
    return s.where(known.to_numpy(dtype=bool), pd.NA)


def parse_dates(
    raw: pd.DataFrame, ctx: Context, *, today: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Parse the date columns named in the mapping; report unparseable and future dates.

    Returns a frame with one ``datetime64`` column per date event (``diagnosis``, ``cr``, ...).
    Cells that do not parse, or lie after ``today``, become ``NaT`` and a problem. Text is read
    first (``date_format``, ``dayfirst`` or ISO 8601); with ``date_format: excel_1900`` (or
    ``excel_1904``), cells that are plain numbers are read as Excel serial dates.
    """
    today = (today or pd.Timestamp.now()).normalize()
    fmt = ctx.mapping.text_date_format
    system = ctx.mapping.excel_date_system
    parsed = pd.DataFrame(index=raw.index)
    invalid = pd.Series(False, index=raw.index)
    for event, source in ctx.mapping.dates.items():
        ctx.labels.setdefault(f"{event} date", source)
        series = raw[source]
        if pd.api.types.is_datetime64_any_dtype(series):
            values = pd.to_datetime(series)
            bad = pd.Series(False, index=raw.index)
        else:
            text = series.map(_date_text(ctx))
            if fmt:
                values = pd.to_datetime(text, format=fmt, errors="coerce")
            elif ctx.mapping.dayfirst:
                values = pd.to_datetime(text, format="mixed", dayfirst=True, errors="coerce")
            else:
                values = pd.to_datetime(text, format="ISO8601", errors="coerce")
            bad = text.notna() & values.isna()
        numbers = _plain_numbers(series, bad)
        if system is not None:
            serial_dates = _from_excel_serial(numbers, system)
            converted = serial_dates.notna()
            if converted.any():
                values = values.where(~converted, serial_dates)
                bad = bad & ~converted
                ctx.note(
                    "units",
                    f"{source}: {int(converted.sum())} Excel serial number(s) -> dates "
                    f"({system} date system, day 0 = {EXCEL_ORIGINS[system].date()})",
                )
        label = f"{event} date"
        for pos in np.flatnonzero(bad.to_numpy()):
            message, fix = _bad_date_text(numbers.iloc[pos], fmt, system)
            ctx.add(int(pos), "bad_date", label, series.iloc[pos], message, fix)
        future = values > today
        for pos in np.flatnonzero(future.to_numpy(dtype=bool)):
            ctx.add(
                int(pos), "future_date", label, str(values.iloc[pos].date()),
                f"this date lies in the future (after {today.date()}).",
                "Correct the date (day and month swapped? wrong year?).",
            )  # fmt: skip
        parsed[event] = values.where(~future)
        invalid |= bad.to_numpy(dtype=bool) | future.to_numpy(dtype=bool)
    # Rows with a date already reported as invalid are not reported again as missing that date.
    parsed.attrs["invalid"] = invalid
    return parsed


def _plain_numbers(series: pd.Series, where: pd.Series) -> pd.Series:
    """The cells of ``series`` under ``where`` that are plain numbers, as floats; NaN elsewhere."""
    out = pd.Series(np.nan, index=series.index, dtype=float)
    for pos in np.flatnonzero(where.to_numpy(dtype=bool)):
        value = series.iloc[pos]
        if isinstance(value, (bool, np.bool_)):
            continue
        if isinstance(value, (int, float, np.integer, np.floating)):
            number = float(value)
        elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            number = float(value.strip())
        else:
            continue
        if np.isfinite(number):
            out.iloc[pos] = number
    return out


def _from_excel_serial(numbers: pd.Series, system: int) -> pd.Series:
    """Dates of Excel serial numbers in ``system``; NaT where a number is not a valid serial."""
    origin = EXCEL_ORIGINS[system]
    last = (pd.Timestamp("2262-04-10") - origin).days  # the last whole day pandas can hold
    valid = numbers.between(EXCEL_FIRST_SERIAL[system], last)
    # A fractional serial is a time of day; round to the second to drop float noise.
    offsets = pd.to_timedelta(numbers.where(valid), unit="D").dt.round("s")
    return (origin + offsets).astype("datetime64[ns]")


def _bad_date_text(number: float, fmt: str | None, system: int | None) -> tuple[str, str]:
    """Message and fix for a cell that is not a date."""
    if not np.isnan(number) and system is not None:
        first = EXCEL_FIRST_SERIAL[system]
        return (
            f"this number is not a date in Excel's {system} date system (serials start at "
            f"{first}{', 1 March 1900' if system == 1900 else ', 1 January 1904'}).",
            f"Correct the value; if this column does not hold Excel serial dates, remove "
            f"'date_format: excel_{system}' from the mapping and write dates as YYYY-MM-DD.",
        )
    low, high = PLAUSIBLE_EXCEL_SERIALS
    if not np.isnan(number) and low <= number <= high:
        as_1900 = (EXCEL_ORIGINS[1900] + pd.Timedelta(days=int(number))).date()
        shown = int(number) if number.is_integer() else number
        return (
            f"this date is a plain number, which looks like an Excel serial date ({shown} is "
            f"{as_1900} in Excel's 1900 date system); serial dates are not guessed.",
            "Declare the Excel date system in the mapping: 'date_format: excel_1900' (Excel for "
            "Windows, and most CSV exports) or 'date_format: excel_1904' (workbooks from Excel "
            "for Mac 2008 and earlier); or write dates as YYYY-MM-DD.",
        )
    return (
        "this date does not parse"
        + (f" with date_format {fmt!r}." if fmt else " as an ISO date (YYYY-MM-DD)."),
        "Write dates as YYYY-MM-DD, or declare the format in the mapping "
        "(date_format: '%d.%m.%Y').",
    )


def _date_text(ctx: Context):
    from cohort.io.normalise import MISSING_TOKENS, _extra_missing

    extra = _extra_missing(ctx)

    def read(value: Any) -> Any:
        tok = token(value)
        if tok is None or tok in MISSING_TOKENS or tok in extra:
            return None
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        return str(value).strip()

    return read


def check_date_order(dates: pd.DataFrame, cr: pd.Series | None, ctx: Context) -> pd.Series:
    """Problems for impossible sequences; returns a mask of rows whose endpoints are unusable."""
    unusable = pd.Series(False, index=dates.index)

    def get(name: str) -> pd.Series:
        return dates[name] if name in dates.columns else pd.Series(pd.NaT, index=dates.index)

    dx, d_cr, d_rel, d_death, d_lfu = (
        get(n) for n in ("diagnosis", "cr", "relapse", "death", "last_followup")
    )
    rules = [
        ("date_before_diagnosis", "cr date", d_cr < dx, "the CR date is before diagnosis."),
        ("date_before_diagnosis", "relapse date", d_rel < dx, "the relapse date is before diagnosis."),
        ("date_before_diagnosis", "death date", d_death < dx, "the death date is before diagnosis."),
        ("date_before_diagnosis", "last_followup date", d_lfu < dx,
         "the last follow-up date is before diagnosis."),
        ("relapse_before_cr", "relapse date", d_rel < d_cr,
         "the relapse date is before the CR date; relapse can only follow a remission."),
        ("relapse_after_death", "relapse date", d_rel > d_death, "the relapse date is after death."),
        ("cr_after_death", "cr date", d_cr > d_death, "the CR date is after death."),
    ]  # fmt: skip
    invalid = dates.attrs.get("invalid", pd.Series(False, index=dates.index)).to_numpy(dtype=bool)
    has_dates = (d_cr.notna() | d_rel.notna() | d_death.notna() | d_lfu.notna()).to_numpy()
    has_dates &= ~invalid
    rules.append(
        ("missing_date", "diagnosis date", pd.Series(dx.isna().to_numpy() & has_dates,
         index=dates.index), "the diagnosis date is missing, so no endpoint can be computed.")
    )  # fmt: skip
    rules.append(
        ("missing_date", "last_followup date",
         dx.notna() & d_death.isna() & d_lfu.isna() & ~invalid,
         "neither a death nor a last follow-up date is given, so OS cannot be computed.")
    )  # fmt: skip
    cr_given = pd.Series(cr, index=dates.index).astype("boolean") if cr is not None else None
    no_cr = d_cr.isna() if cr_given is None else (~cr_given.fillna(d_cr.notna()))
    rules.append(
        ("relapse_without_cr", "relapse date", d_rel.notna() & no_cr.astype(bool),
         "a relapse date is given for a patient without CR; relapse requires a prior remission.")
    )  # fmt: skip
    if cr_given is not None:
        rules.append(
            ("cr_inconsistent", "cr", d_cr.notna() & cr_given.eq(False).fillna(False),
             "a CR date is given but cr is False.")
        )  # fmt: skip
    for reason, column, mask, message in rules:
        m = pd.Series(mask, index=dates.index).fillna(False).astype(bool)
        for pos in np.flatnonzero(m.to_numpy()):
            value = _row_dates(dates, pos)
            ctx.add(
                int(pos), reason, column, value, message,
                "Correct the dates in the input (check day/month order and the year).",
            )  # fmt: skip
        unusable |= m
    lfu_after_death = (d_lfu > d_death).fillna(False)
    if lfu_after_death.any():
        ctx.note(
            "warnings",
            f"{int(lfu_after_death.sum())} row(s) have a last follow-up date after the death date; "
            "the death date was used.",
        )
    return unusable


def _row_dates(dates: pd.DataFrame, pos: int) -> str:
    parts = [
        f"{name}={dates[name].iloc[pos].date()}"
        for name in DATE_ORDER
        if name in dates.columns and pd.notna(dates[name].iloc[pos])
    ]
    return ", ".join(parts)


_PARTIAL_DATE = re.compile(r"\d{4}(?:[-/.]\d{1,2})?|\d{1,2}[-/.]\d{4}")
_TZ_SUFFIX = re.compile(r"(?<=\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$")


def date_cells(raw: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Prepare the date columns named in the mapping for parsing; returns a copy of ``raw``.

    - A partial date (``2016``, ``2016-03``, ``03/2016``) would be read as the first day of the
      period; each is a ``partial_date`` problem naming the cell (unless ``date_format`` says how
      to read it).
    - A date-time with a time zone (``2016-03-02T23:30:00-05:00``, or a time-zone-aware Parquet
      column) is read as its calendar date in its own zone (2016-03-02), so that it compares with
      dates without a zone instead of raising.
    """
    out = raw.copy()
    check_partial = ctx.mapping.text_date_format is None
    excel = ctx.mapping.excel_date_system is not None
    for event, source in ctx.mapping.dates.items():
        if source not in out.columns:
            continue
        ctx.labels.setdefault(f"{event} date", source)
        series = out[source]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[source] = series.dt.tz_localize(None).dt.normalize()
            continue
        if series.dtype != object and not pd.api.types.is_string_dtype(series):
            continue
        cells = series.tolist()
        zoned = False
        for pos, value in enumerate(cells):
            if isinstance(value, pd.Timestamp) and value.tzinfo is not None:
                cells[pos], zoned = value.tz_localize(None).normalize(), True
                continue
            if not isinstance(value, str):
                continue
            text = value.strip()
            if check_partial and _PARTIAL_DATE.fullmatch(text) and not (excel and text.isdigit()):
                ctx.add(
                    pos, "partial_date", f"{event} date", value,
                    f"{value!r} is a partial date (year or month only); reading it as the first "
                    "day of the period would invent a day.",
                    "Give the full date (YYYY-MM-DD), or leave the cell empty and record the "
                    "uncertainty elsewhere.",
                )  # fmt: skip
            elif _TZ_SUFFIX.search(text):
                cells[pos], zoned = re.split(r"[T ]", text, maxsplit=1)[0], True
        if zoned:
            out[source] = pd.Series(cells, index=series.index, dtype=object)
    return out
