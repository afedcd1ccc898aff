"""Fine-Gray proportional subdistribution hazards regression (:func:`cohort.finegray`), as
R's ``cmprsk::crr``.

Hand-written because no mature Python package fits it (``comprisk`` 0.8.0 and the GPL ``pycmprsk``
are young and unverified). The estimating equations and the sandwich variance follow Fine & Gray
(JASA 1999;94:496-509) exactly as cmprsk's Fortran computes them (``crrfsv``, ``crrf``, ``crrvv`` in
``src/crr.f``, Robert Gray, GPL >= 2): the sums that the Fortran forms with nested loops over
patients are cumulative sums in :mod:`cohort.survival.finegray_engine`, which give the same numbers in
time and memory linear in the number of patients.

Notation: patients sorted by time ``t``; ``eps`` 1 for the event of interest, 2 for a competing
event, 0 censored; ``G`` the Kaplan-Meier estimate of the censoring distribution and ``G(t-)`` its
left limit, evaluated as crr does (``approx(..., xout = t * (1 - 100 * eps))``). At the k-th distinct
time ``s_k`` of an event of interest (``d_k`` events), patient ``j`` has weight

    w_kj = 1                            if t_j >= s_k   (still in the risk set)
         = G(s_k-) / G(t_j-)            if t_j < s_k and eps_j = 2 (kept after a competing event)
         = 0                            otherwise.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cohort._arguments import check_conf_level
from cohort.cohort import Cohort
from cohort.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    ModelError,
    StatisticalWarning,
)
from cohort.scale.dispatch import scales
from cohort.survival.endpoint import Endpoint, endpoint_arrays, endpoint_key
from cohort.survival.finegray_engine import FineGrayFit, fit_finegray
from cohort.survival.formula import Formula, design_matrix, parse_formula

__all__ = ["FineGrayFit", "FineGrayResult", "finegray", "fit_finegray"]


@dataclass(frozen=True)
class FineGrayResult:
    """A fitted Fine-Gray proportional subdistribution hazards model.

    Attributes
    ----------
    summary : pandas.DataFrame
        Indexed by ``term``: ``coef``, ``se`` (robust, crr's), ``shr`` (subdistribution hazard ratio),
        ``shr_lower``, ``shr_upper``, ``z``, ``p_value``. Term names as :func:`cohort.cox`
        (``npm1``, ``eln2010[Adverse]``, ``npm1:flt3_itd``).
    covariance : pandas.DataFrame
        The sandwich covariance matrix (crr ``$var``).
    n : int
        Patients in the fit.
    events, competing, censored : int
        Patients with the event of interest, a competing event, or censored.
    n_deleted : int
        Patients left out for a missing time, status or covariate.
    loglik, loglik_null : float
        Log pseudo-likelihood at the estimate and at zero (crr ``$loglik``, ``$loglik.null``).
    converged : bool
    formula : Formula
    terms : dict
        Term label -> its coefficient names.
    endpoint : str
    event : int
        The event of interest (crr ``failcode``).
    conf_level : float
    notes : tuple of str
    baseline : pandas.DataFrame
        ``time``, ``jump``: the baseline cumulative subdistribution hazard's jumps at each distinct
        time of the event of interest (crr ``$uftime``, ``$bfitj``); used by :meth:`predict`.
    """

    summary: pd.DataFrame
    covariance: pd.DataFrame = field(repr=False)
    n: int
    events: int
    competing: int
    censored: int
    n_deleted: int
    loglik: float
    loglik_null: float
    converged: bool
    formula: Formula
    terms: dict[str, list[str]]
    endpoint: str | tuple[str, str]
    event: int
    conf_level: float
    notes: tuple[str, ...]
    baseline: pd.DataFrame = field(repr=False, default=None)

    def predict(self, covariates: pd.DataFrame | dict) -> pd.DataFrame:
        """Predicted cumulative incidence for covariate profiles, as R ``predict.crr``.

        ``F(t | z) = 1 - exp(-sum_{s_k <= t} exp(z'b) dLambda_k)``, with ``dLambda_k`` the baseline
        jumps of crr's ``bfitj`` (``.baseline``), at each distinct time of the event of interest.

        Parameters
        ----------
        covariates : pandas.DataFrame or dict
            One row per profile, one column per model coefficient, named as ``.summary.index``
            (``npm1``, ``age``, ``eln2010[Adverse]``); booleans count as 0/1.

        Returns
        -------
        pandas.DataFrame
            ``profile`` (the row label of ``covariates``), ``time``, ``cif``.
        """
        frame = pd.DataFrame(covariates)
        names = list(self.summary.index)
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise ModelError(
                f"predict: give a value for every model coefficient; missing {', '.join(missing)} "
                f"(the coefficients are {', '.join(names)})."
            )
        try:
            z = frame[names].astype(float).to_numpy()
        except (TypeError, ValueError) as exc:
            raise ModelError(
                f"predict: covariate values must be numbers or booleans ({exc})."
            ) from None
        if np.isnan(z).any():
            raise ModelError("predict: covariate values must not be missing.")
        risk = np.exp(z @ self.summary["coef"].to_numpy())
        cum = np.cumsum(self.baseline["jump"].to_numpy())
        cif = 1 - np.exp(-np.outer(risk, cum))
        times = self.baseline["time"].to_numpy()
        return pd.DataFrame(
            {
                "profile": np.repeat(frame.index.to_numpy(), len(times)),
                "time": np.tile(times, len(frame)),
                "cif": cif.reshape(-1),
            }
        )


def _summary_table(
    names: list[str], coef: np.ndarray, var: np.ndarray, conf_level: float
) -> pd.DataFrame:
    """The ``summary`` of a :class:`FineGrayResult`: crr's coefficients, sandwich SEs, subdistribution
    hazard ratios with Wald limits, z and p (for the in-memory and the Dask fit alike)."""
    se = np.sqrt(np.diag(var))
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "coef": coef,
                "se": se,
                "shr": np.exp(coef),
                "shr_lower": np.exp(coef - z * se),
                "shr_upper": np.exp(coef + z * se),
                "z": coef / se,
                "p_value": 2 * stats.norm.sf(np.abs(coef / se)),
            },
            index=pd.Index(names, name="term"),
        )


@scales("finegray")
def finegray(
    data: Cohort | pd.DataFrame,
    formula: str,
    endpoint: Endpoint = "cir",
    *,
    event: int = 1,
    conf_level: float = 0.95,
    gtol: float = 1e-6,
) -> FineGrayResult:
    """Fine-Gray regression on the subdistribution hazard of one event type, as R ``cmprsk::crr``.

    The subdistribution hazard of event 1 is the hazard of the improper distribution
    ``F1(t) = P(T <= t, event = 1)``; its risk set keeps patients who had a *competing* event
    (here, death in CR when modelling relapse), so ``exp(coef)`` (``shr``) describes the effect of a
    covariate on the cumulative incidence directly, unlike a cause-specific Cox model. With censored
    data, a patient who had a competing event at ``t_j`` enters the risk set at a later event time
    ``s`` with the inverse-probability-of-censoring weight ``G(s-) / G(t_j-)``, ``G`` being the
    Kaplan-Meier estimate of the censoring distribution (Fine & Gray 1999, section 3). The
    coefficients solve the weighted partial-likelihood score equation (Newton-Raphson with step
    halving, as crr). Their variance is Fine & Gray's sandwich ``I^-1 Σ (η_i + ψ_i)(η_i + ψ_i)' I^-1``:
    ``η_i`` is patient i's score term and ``ψ_i`` accounts for the estimation of ``G``; computed as
    crr's Fortran ``crrvv`` does, so ``se`` equals crr's ``sqrt(diag(fit$var))``.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    formula : str
        Right-hand side, e.g. ``"npm1 + flt3_itd + age"`` or ``"npm1 + C(eln2017)"``; only column
        names, 0/1, ``+ - : *``, parentheses and ``C()`` are accepted (see :mod:`cohort.survival.formula`).
    endpoint : str or (str, str)
        ``"cir"`` (default): ``cir_days`` / ``cir_status`` (0 censored, 1 relapse, 2 death without
        relapse); or a ``(time_column, event_column)`` pair. Status codes 0 (censored) and any
        positive whole numbers ``1..k``.
    event : int
        The event of interest (crr ``failcode``), any cause present; every other non-zero code
        competes.
    conf_level : float
    gtol : float
        Convergence tolerance, crr's ``gtol`` and its default, so that the coefficients are crr's.
        crr's criterion is loose (the estimate can sit ~1e-5 from the maximum); pass ``1e-12`` for
        the fully converged estimate.

    Returns
    -------
    FineGrayResult

    Raises
    ------
    FormulaError
        The formula holds anything but columns, 0/1 and model operators.
    ModelError
        No events of interest, a constant covariate, or a singular information matrix.
    CohortValidationError
        Negative times, or status codes that are not 0 or a positive whole number.

    Notes
    -----
    Censoring groups (crr ``cengroup``) and time-varying coefficients (crr ``cov2``/``tf``) are not
    supported.

    Examples
    --------
    >>> fg = cohort.finegray(c, "npm1 + flt3_itd + age")        # doctest: +SKIP
    >>> fg.summary[["shr", "shr_lower", "shr_upper", "p_value"]]   # doctest: +SKIP
    """
    what = "cohort.finegray"
    conf_level = check_conf_level(conf_level, what)
    if not 0 < gtol < 1:
        raise ModelError(f"{what}: gtol must be between 0 and 1, got {gtol!r}.")
    frame, tcol, ecol = endpoint_arrays(data, endpoint, what=what, warn=False, causes=True)
    codes = set(np.unique(frame[ecol]).tolist())
    if isinstance(event, bool) or not isinstance(event, int | np.integer) or event == 0:
        raise ModelError(f"{what}: event= must be a non-zero event code such as 1, got {event!r}.")
    if event not in codes:
        raise ModelError(
            f"{what}: no patient has {ecol} == {event}; the codes present are "
            f"{', '.join(map(str, sorted(codes)))}."
        )
    parsed = parse_formula(formula, frame.columns)
    n_missing_endpoint = frame.attrs.get("n_missing_endpoint", 0)
    x_all, _ = design_matrix(parsed, frame)
    incomplete = x_all.isna().any(axis=1).to_numpy()
    n_deleted = int(n_missing_endpoint + incomplete.sum())
    notes = []
    if n_deleted:
        msg = (
            f"{n_deleted} observation(s) deleted due to missingness ({n_missing_endpoint} without "
            f"{tcol}/{ecol}, {int(incomplete.sum())} with a missing covariate)"
        )
        notes.append(msg)
        warnings.warn(f"{what}: {msg}.", DataQualityWarning, stacklevel=2)
    frame = frame.loc[~incomplete]
    x, assign = design_matrix(parsed, frame)
    time = frame[tcol].to_numpy(dtype=float)
    status = frame[ecol].to_numpy(dtype=np.int64)
    n_events = int((status == event).sum())
    if n_events == 0:
        raise ModelError(
            f"{what}: no events of type {event} among the {len(frame)} analysed patients."
        )
    xv = x.to_numpy(dtype=float)
    constant = [c for c, col in zip(x.columns, xv.T, strict=True) if np.ptp(col) == 0]
    if constant:
        raise ModelError(
            f"{what}: covariate(s) {', '.join(constant)} take a single value among the "
            f"{len(frame)} analysed patients; drop them from the formula."
        )
    if np.linalg.matrix_rank(np.column_stack([np.ones(len(xv)), xv])) < xv.shape[1] + 1:
        raise ModelError(
            f"{what}: the covariates of {formula!r} ({', '.join(x.columns)}) are collinear; remove "
            "or merge some of them."
        )
    fit = fit_finegray(time, status, xv, failcode=event, gtol=gtol)
    if not fit.converged:
        msg = f"the fit of {formula!r} did not converge in 50 Newton-Raphson iterations"
        warnings.warn(f"{what}: {msg}.", ConvergenceWarning, stacklevel=2)
        notes.append(msg)
    names = list(x.columns)
    coef = fit.coef
    summary = _summary_table(names, coef, fit.var, conf_level)
    big = [nm for nm, b in zip(names, coef, strict=True) if abs(b) > 15]
    if big:
        msg = f"coefficient(s) of {', '.join(big)} are extreme (|coef| > 15): probable separation"
        warnings.warn(f"{what}: {msg}.", StatisticalWarning, stacklevel=2)
        notes.append(msg)
    return FineGrayResult(
        summary=summary,
        covariance=pd.DataFrame(fit.var, index=names, columns=names),
        n=len(frame),
        events=n_events,
        competing=int(((status != event) & (status != 0)).sum()),
        censored=int((status == 0).sum()),
        n_deleted=n_deleted,
        loglik=fit.loglik,
        loglik_null=fit.loglik_null,
        converged=fit.converged,
        formula=parsed,
        terms=assign,
        endpoint=endpoint_key(endpoint),
        event=int(event),
        conf_level=conf_level,
        notes=tuple(notes),
        baseline=pd.DataFrame({"time": fit.event_times, "jump": fit.baseline_jumps}),
    )
