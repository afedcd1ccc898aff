"""Landmark analysis: survival and Cox models from a landmark time, by a status known at it.

A covariate that is only known some time after time zero (NPM1 MRD status after cycle 2, remission
by day 90, transplant by day 180) must not be compared from time zero: patients have to survive long
enough to be classified, which favours the "later" group (immortal-time bias). The landmark method
(Anderson, Cain & Gelber, J Clin Oncol 1983;1:710) keeps only the patients still at risk at the
landmark, classifies them by their status at that time, and measures time from the landmark.

Rule used here: a patient enters the landmark cohort when their endpoint time is **greater** than
``at_days`` (alive, event-free and under follow-up just after the landmark). Those with time
``<= at_days`` are counted as ``event_before_landmark`` (event at or before it) or
``censored_before_landmark``. The same in R: ``d <- subset(d, time > L); d$time <- d$time - L``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cohort.cohort import Cohort
from cohort.errors import (
    DataQualityWarning,
    ModelError,
    ScaleError,
    SchemaError,
    StatisticalWarning,
)
from cohort.scale.dispatch import scales
from cohort.survival.endpoint import endpoint_arrays, endpoint_key

__all__ = ["LandmarkResult", "landmark"]


@dataclass(frozen=True)
class LandmarkResult:
    """A landmark analysis.

    Attributes
    ----------
    data : pandas.DataFrame
        The landmark cohort: the patients at risk just after the landmark, with complete ``by``;
        the endpoint time column is reset to time since the landmark (all other columns unchanged).
    excluded : dict
        Patients left out, by reason, in the order applied: ``missing_endpoint``,
        ``event_before_landmark``, ``censored_before_landmark``, ``missing_group``.
    km : KaplanMeierResult or None
        :func:`cohort.km` on the landmark cohort by ``by`` (None for ``"cir"``).
    cox : CoxResult or None
        :func:`cohort.cox` of ``by`` (plus ``adjust``) on the landmark cohort; None for ``"cir"`` or
        when the model cannot be fitted (see ``notes``).
    cuminc : CumulativeIncidenceResult or None
        For ``endpoint="cir"`` (or a pair with several causes): :func:`cohort.cuminc` from the
        landmark, with Gray's test.
    finegray : FineGrayResult or None
        For ``endpoint="cir"`` (or a pair with several causes): :func:`cohort.finegray` of ``by``
        (plus ``adjust``) for cause 1.
    at_days : float
    endpoint : str
    by : tuple of str
    n_input : int
        Patients given.
    notes : tuple of str
    """

    data: pd.DataFrame = field(repr=False)
    excluded: dict[str, int]
    km: object | None = field(repr=False)
    cox: object | None = field(repr=False)
    cuminc: object | None = field(repr=False)
    finegray: object | None = field(repr=False)
    at_days: float
    endpoint: str | tuple[str, str]
    by: tuple[str, ...]
    n_input: int
    notes: tuple[str, ...]

    @property
    def n(self) -> int:
        """Patients in the landmark cohort."""
        return len(self.data)

    def attrition(self) -> pd.DataFrame:
        """CONSORT-style table: ``step``, ``excluded``, ``remaining`` in the order applied."""
        rows, left = [], self.n_input
        for reason in ("missing_endpoint", "event_before_landmark", "censored_before_landmark",
                       "missing_group"):  # fmt: skip
            k = self.excluded.get(reason, 0)
            left -= k
            rows.append((reason, k, left))
        return pd.DataFrame(rows, columns=["step", "excluded", "remaining"])


def _by_columns(frame: pd.DataFrame, by, what: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    if isinstance(by, pd.Series):
        name = by.name if isinstance(by.name, str) and by.name else "landmark_group"
        if not by.index.equals(frame.index):
            if not frame.index.isin(by.index).all():
                raise SchemaError(
                    f"{what}: the by= Series is not indexed like the cohort table; align it "
                    "(e.g. Series.reindex(cohort.data.index)) so every patient has a value or NA."
                )
            by = by.reindex(frame.index)
        frame = frame.copy()
        frame[name] = by.to_numpy()
        return frame, (name,)
    if isinstance(by, str):
        cols = (by,)
    elif isinstance(by, list | tuple) and by and all(isinstance(b, str) for b in by):
        cols = tuple(by)
    else:
        raise SchemaError(
            f"{what}: by= must be a column name, a list of column names or a pandas Series, got {by!r}."
        )
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what}: by= column(s) {', '.join(map(repr, missing))} not in the data.")
    return frame, cols


@scales("landmark")
def landmark(
    data: Cohort | pd.DataFrame,
    at_days: float,
    by: str | list[str] | pd.Series,
    endpoint: str = "os",
    *,
    adjust: str | None = None,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> LandmarkResult:
    """Survival and Cox (or cumulative incidence and Fine-Gray) from a landmark time.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    at_days : float
        The landmark, on the endpoint's time scale (days from diagnosis for OS/EFS, from CR for
        RFS/CIR).
    by : str, list of str or pandas.Series
        The status at the landmark (e.g. a boolean column ``mrd_negative_c2``), or a Series aligned
        with the table's index (its name becomes the column name). It must describe the patient at
        the landmark: this function cannot check when it was measured.
    endpoint : {"os", "efs", "rfs", "cir"} or (str, str)
        A schema endpoint or a ``(time_column, event_column)`` pair; a pair whose event column
        holds several causes (codes above 1) is analysed as competing risks, like ``"cir"``.
    adjust : str, optional
        Further covariates for the Cox/Fine-Gray model, as a formula (``"age + flt3_itd"``).
    conf_level : float
    conf_type : str
        Passed to :func:`cohort.km` (or :func:`cohort.cuminc`).

    Returns
    -------
    LandmarkResult

    Raises
    ------
    ModelError
        A negative landmark, or no patient at risk after it.
    SchemaError
        ``by`` is not a column of the data.

    Examples
    --------
    >>> lm = cohort.landmark(c, 90, by="mrd_negative_c2", endpoint="os")     # doctest: +SKIP
    >>> lm.excluded, lm.km.survival_at([365, 730]), lm.cox.summary         # doctest: +SKIP
    """
    what = "cohort.landmark"
    try:
        if isinstance(at_days, bool | str):  # True would be day 1, "90" a number by accident
            raise TypeError
        at = float(at_days)
    except (TypeError, ValueError):
        raise ModelError(f"{what}: at_days must be a number of days, got {at_days!r}.") from None
    if not np.isfinite(at) or at < 0:
        raise ModelError(f"{what}: at_days must be a non-negative number of days, got {at_days!r}.")
    key = endpoint_key(endpoint, what=what)
    frame0 = data.data if isinstance(data, Cohort) else data
    if not isinstance(frame0, pd.DataFrame):
        raise SchemaError(
            f"{what} expects a cohort.Cohort or a pandas DataFrame, got {type(data).__name__}."
        )
    n_input = len(frame0)
    frame0, by_cols = _by_columns(frame0, by, what)
    causes = not isinstance(key, str) or key == "cir"  # a pair may hold several causes
    frame, tcol, ecol = endpoint_arrays(frame0, key, what=what, required=by_cols, causes=causes)
    competing = key == "cir" or (causes and bool((frame[ecol] > 1).any()))
    excluded: dict[str, int] = {}
    notes: list[str] = []
    n_missing = frame.attrs.get("n_missing_endpoint", 0)
    if n_missing:
        excluded["missing_endpoint"] = n_missing
        notes.append(f"{n_missing} patient(s) without {tcol}/{ecol} left out.")
    before = frame[tcol].to_numpy() <= at
    event = frame[ecol].to_numpy() > 0
    excluded["event_before_landmark"] = int((before & event).sum())
    excluded["censored_before_landmark"] = int((before & ~event).sum())
    notes.append(
        f"landmark at {at:g} days: {excluded['event_before_landmark']} patient(s) with an event and "
        f"{excluded['censored_before_landmark']} censored at or before it left out."
    )
    frame = frame.loc[~before]
    miss = frame[list(by_cols)].isna().any(axis=1).to_numpy()
    if miss.any():
        k = int(miss.sum())
        excluded["missing_group"] = k
        msg = f"{k} patient(s) at risk at the landmark with missing {', '.join(by_cols)} left out."
        notes.append(msg)
        warnings.warn(f"{what}: {msg}", DataQualityWarning, stacklevel=2)
        frame = frame.loc[~miss]
    if len(frame) == 0:
        raise ModelError(f"{what}: no patient is at risk after day {at:g} with a known {by_cols}.")
    frame = frame.copy()
    frame[tcol] = frame[tcol] - at
    frame.attrs = {}

    return _estimates(frame, key, by_cols, adjust, competing, conf_level, conf_type, what,
                      excluded, at, n_input, notes)  # fmt: skip


def _estimates(
    frame: Any,
    key: Any,
    by_cols: tuple[str, ...],
    adjust: str | None,
    competing: bool,
    conf_level: float,
    conf_type: str,
    what: str,
    excluded: dict[str, int],
    at: float,
    n_input: int,
    notes: list[str],
) -> LandmarkResult:
    """KM and Cox (or cumulative incidence and Fine-Gray) of the landmark rows, through the
    public calls: ``frame`` is a pandas DataFrame or, from :mod:`cohort.scale.landmark`, a lazy
    dask one (the calls then take their distributed paths)."""
    # through the public API map, so a renamed module does not break this one
    import cohort

    formula = " + ".join(by_cols) + (f" + {adjust}" if adjust else "")
    km_res = cox_res = ci_res = fg_res = None
    if competing:
        ci_res = cohort.cuminc(
            frame, key, by=list(by_cols), conf_level=conf_level, conf_type=conf_type
        )
        try:
            fg_res = cohort.finegray(frame, formula, key, event=1, conf_level=conf_level)
        except (ModelError, ScaleError) as exc:
            notes.append(f"Fine-Gray model not fitted: {exc}")
            warnings.warn(f"{what}: Fine-Gray model not fitted: {exc}", StatisticalWarning, 3)
    else:
        km_res = cohort.km(frame, key, by=list(by_cols), conf_level=conf_level, conf_type=conf_type)
        try:
            cox_res = cohort.cox(frame, formula, key, conf_level=conf_level)
        except ModelError as exc:
            notes.append(f"Cox model not fitted: {exc}")
            warnings.warn(f"{what}: Cox model not fitted: {exc}", StatisticalWarning, 3)
    return LandmarkResult(
        data=frame,
        excluded=excluded,
        km=km_res,
        cox=cox_res,
        cuminc=ci_res,
        finegray=fg_res,
        at_days=at,
        endpoint=key,
        by=by_cols,
        n_input=int(n_input),
        notes=tuple(notes),
    )
