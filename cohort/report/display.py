"""How a result table is shown to a reader: column headers in words with units, times in the
report's time unit, groups, events and model terms in words, natural order of groups.

The JSON file of a report keeps the machine-readable names and days; the HTML and the CSV files show
what :func:`display_frame` makes of a table.
"""

from __future__ import annotations

import pandas as pd

from cohort import schema
from cohort.schema import term_label

TIME_COLUMNS = frozenset({
    "median", "median_lower", "median_upper", "time", "median_follow_up", "median_follow_up_lower",
    "median_follow_up_upper", "q25", "q75", "tau", "rmst", "landmark", "at_days",
})  # fmt: skip
"""Result columns that hold times in days."""

HIDDEN_COLUMNS = ("var", "std_err")
"""Intermediate quantities (variance, standard error of the cumulative hazard) left to the JSON."""

_REASONS = {"missing_endpoint": "no time or event for this endpoint",
            "missing_group": "group unknown"}  # fmt: skip

_HEADERS = {
    "group": "Group", "n": "N", "events": "Events", "median": "Median", "median_lower": "Median, lower 95% CI",
    "median_upper": "Median, upper 95% CI", "time": "Time", "survival": "Survival", "lower": "Lower 95% CI",
    "upper": "Upper 95% CI", "at_risk": "Number at risk", "statistic": "Chi-square", "dof": "df",
    "p_value": "p", "p_adjusted": "p (adjusted)", "term": "Term", "coef": "Coefficient", "se": "SE",
    "hr": "HR", "hr_lower": "HR, lower 95% CI", "hr_upper": "HR, upper 95% CI", "shr": "SHR",
    "shr_lower": "SHR, lower 95% CI", "shr_upper": "SHR, upper 95% CI", "z": "z", "cif": "Cumulative incidence",
    "event": "Event", "chisq": "Chi-square", "df": "df", "concordance": "Concordance (C)",
    "n_deleted_missing": "Left out (missing values)", "variable": "Characteristic", "level": "",
    "overall": "All patients", "missing": "Missing", "reason": "Reason", "step": "Step",
    "median_follow_up": "Median follow-up", "median_follow_up_lower": "Median follow-up, lower 95% CI",
    "median_follow_up_upper": "Median follow-up, upper 95% CI", "q25": "25th percentile",
    "q75": "75th percentile", "minimum_n": "Minimum N", "tau": "Horizon", "rmst": "RMST",
    "observed_exposed": "Observed (exposed)", "expected_exposed": "Expected (exposed)",
    "competing": "Competing events", "censored": "Censored",
}  # fmt: skip


def header(column: str, time_unit: str = "months") -> str:
    """The header of a result column: ``"median"`` -> ``"Median (months)"``, ``"wbc"`` -> ``"WBC (x10^9/L)"``."""
    name = str(column)
    if name in _HEADERS:
        text = _HEADERS[name]
        return f"{text} ({time_unit})" if name in TIME_COLUMNS else text
    if name.endswith("_days"):
        return schema.label(name, time_unit=time_unit) if name in schema.COLUMNS else (
            f"{name[:-5].replace('_', ' ').capitalize()} ({time_unit})"
        )  # fmt: skip
    return schema.label(name) if name in schema.COLUMNS else name


def _event_label(value: object) -> str:
    text = schema.level_label("cir_status", value)
    return text if text != str(value) else str(value)


def display_frame(frame: pd.DataFrame, time_unit: str = "months") -> pd.DataFrame:
    """``frame`` as a reader sees it: times converted from days to ``time_unit``, groups, events
    and terms in words, headers from :func:`header`. Numbers keep full precision (formatting is
    the HTML's job)."""
    if time_unit not in schema.TIME_UNITS:
        raise ValueError(f"time_unit={time_unit!r}: use one of {', '.join(schema.TIME_UNITS)}.")
    scale = schema.TIME_UNITS[time_unit]
    out = frame.drop(columns=[c for c in HIDDEN_COLUMNS if c in frame.columns])
    for col in out.columns:
        name = str(col)
        if (name in TIME_COLUMNS or name.endswith("_days")) and pd.api.types.is_numeric_dtype(
            out[col]
        ):
            out[col] = out[col] / scale
        elif name in ("group", "group_1", "group_2", "from", "to"):
            out[col] = out[col].map(lambda v: schema.group_label(v) if isinstance(v, str) else v)
        elif (
            name == "event"
            and "cif" in out.columns
            or name == "event"
            and "statistic" in out.columns
        ):
            out[col] = out[col].map(_event_label)
        elif name == "term":
            out[col] = out[col].map(lambda v: v if v == "GLOBAL" else term_label(v))
        elif name == "variable":
            out[col] = out[col].map(lambda v: schema.label(v) if v in schema.COLUMNS else v)
            out[col] = out[col].replace({"patients": "Patients"})
        elif name == "reason":
            out[col] = out[col].map(lambda v: _REASONS.get(v, v))
    if "variable" in frame.columns and "level" in frame.columns:
        out["level"] = [
            schema.level_label(v, lv) if v in schema.COLUMNS and lv not in ("yes", "median (IQR)", "n")
            else "N" if lv == "n" else lv
            for v, lv in zip(frame["variable"], frame["level"], strict=True)
        ]  # fmt: skip
    out.columns = [header(c, time_unit) for c in out.columns]
    return out
