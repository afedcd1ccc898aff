"""Cox proportional-hazards models matching R's ``coxph`` and ``cox.zph``.

The partial-likelihood fit is :func:`cohort.survival.cox_fit.fit_cox` (a vectorised numpy port of R's
``coxfit6``/``agfit4``: Efron or Breslow ties, strata, case weights, delayed entry, robust sandwich
variance) on a design matrix built by :mod:`cohort.survival.formula`, so no formula library evaluates user
text. lifelines' ``CoxPHFitter`` has Efron ties only, no delayed entry and weighted Efron terms that
differ from R; it fits penalised models (``penalizer > 0``, its own penalty) and is the test oracle
for the plain case. What is added here:

- validation and R-like bookkeeping: rows with a missing covariate are counted ("n observations
  deleted due to missingness"), constant covariates and groups without events are named;
- times equal up to rounding merged first (``timefix``, R's ``aeqSurv``);
- the concordance as R's ``coxph`` reports it (within strata for a stratified model, after delayed
  entry, with case weights), counted in O(n log n) by :mod:`cohort.survival.cox_engine`;
- the proportional-hazards test of R >= 3.0 ``cox.zph`` (:func:`cox_zph`, written out in
  :mod:`cohort.survival.zph` from R's ``zph1.c``; lifelines' test is the older approximate one).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from cohort._arguments import check_conf_level, column_names
from cohort.cohort import Cohort
from cohort.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    ModelError,
    SchemaError,
    StatisticalWarning,
)
from cohort.scale.dispatch import scales
from cohort.survival.cox_engine import concordance
from cohort.survival.cox_fit import TIES, CoxFit, fit_cox
from cohort.survival.endpoint import endpoint_arrays, endpoint_key, endpoint_label
from cohort.survival.formula import Formula, design_matrix, parse_formula
from cohort.survival.grouping import case_columns
from cohort.survival.timefix import fix_times
from cohort.survival.zph import _zph, cox_zph

__all__ = ["CoxResult", "cox", "cox_zph"]


@dataclass(frozen=True)
class _Design:
    x: np.ndarray
    time: np.ndarray
    event: np.ndarray
    strata: np.ndarray  # int codes, zeros when unstratified
    weights: np.ndarray | None = None
    entry: np.ndarray | None = None
    ties: str = "efron"


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model.

    Attributes
    ----------
    summary : pandas.DataFrame
        Indexed by ``term``: ``coef``, ``se``, ``hr``, ``hr_lower``, ``hr_upper``, ``z``,
        ``p_value``; a robust fit adds ``robust_se`` after ``se`` and its limits, z and p use it
        (R's ``summary(coxph(..., robust = TRUE))``). A boolean column's term is its name
        (``npm1``); a categorical level is ``column[level]``; an interaction joins with ``:``
        (``npm1:flt3_itd``).
    n, events : int
        Patients and events used in the fit.
    n_deleted : int
        Patients left out for a missing time, event, covariate or stratum (R's "observations deleted
        due to missingness").
    concordance : float
        Harrell's C of the linear predictor (within strata when stratified), as R's ``coxph``;
        its standard error is ``concordance_se`` (R's ``concordance["std"]``).
    log_likelihood : float
    formula : Formula
    terms : dict
        Term label -> its coefficient names (R's ``assign``).
    endpoint, strata, conf_level, penalizer :
    notes : tuple of str
    model : cohort.survival.cox_fit.CoxFit or lifelines.CoxPHFitter
        The underlying fit: the numpy core's arrays (``coef``, ``var``, ``robust_var``,
        ``loglik``, ...), or lifelines' fitter for a penalised model.
    ph_test : pandas.DataFrame
        R ``cox.zph(fit)`` per term and ``GLOBAL`` (``chisq``, ``df``, ``p_value``); other time
        transforms with :meth:`zph`.
    ties : {"efron", "breslow"}
    robust : bool
        True when the robust (sandwich) variance is used (``robust=True`` or ``cluster=``).
    cluster, weights, entry : str or None
        The column arguments.
    """

    summary: pd.DataFrame
    n: int
    events: int
    n_deleted: int
    concordance: float
    log_likelihood: float
    formula: Formula
    terms: dict[str, list[str]]
    endpoint: str
    strata: tuple[str, ...]
    conf_level: float
    penalizer: float
    notes: tuple[str, ...]
    model: object = field(repr=False)
    _design: _Design = field(repr=False, compare=False)
    ties: str = "efron"
    robust: bool = False
    cluster: str | None = None
    weights: str | None = None
    entry: str | None = None

    @property
    def methods(self) -> str:
        """One paragraph for a methods section describing this fit."""
        parts = [
            f"Cox proportional-hazards model ({self.ties.capitalize()} method for ties, equal to R "
            "coxph)"
        ]
        if self.strata:
            parts.append(f"stratified by {', '.join(self.strata)}")
        if self.entry:
            parts.append(f"with delayed entry at {self.entry} (left truncation)")
        if self.weights:
            parts.append(f"with case weights {self.weights}")
        text = ", ".join(parts) + "."
        if self.robust:
            text += (
                " Standard errors, confidence intervals and p-values use the robust (sandwich) "
                "variance"
                + (f" clustered on {self.cluster}" if self.cluster else "")
                + ", as R coxph(robust = TRUE)."
            )
        if self.n_deleted:
            text += f" {self.n_deleted} patient(s) with missing data were left out."
        return text

    @cached_property
    def concordance_se(self) -> float:
        """Standard error of ``concordance``, as R's ``fit$concordance["std"]`` (within strata)."""
        from cohort.survival.discrimination import concordance_fit

        d = self._design
        lp = d.x @ self.summary["coef"].to_numpy()
        return concordance_fit(d.time, d.event, lp, d.strata).std_err

    @cached_property
    def ph_test(self) -> pd.DataFrame:
        """Proportional-hazards test per term and global, equal to R ``cox.zph(fit)`` (KM transform).

        Returns
        -------
        pandas.DataFrame
            Indexed by term plus ``"GLOBAL"``: ``chisq``, ``df``, ``p_value``.
        """
        return self.zph("km")

    def zph(self, transform: str = "km") -> pd.DataFrame:
        """R ``cox.zph(fit, transform=)`` with ``transform`` in "km", "identity", "rank", "log"."""
        if self.penalizer:
            warnings.warn(
                "ph_test on a penalised fit ignores the penalty (R adds it to the information matrix).",
                StatisticalWarning,
                stacklevel=2,
            )
        beta = self.summary["coef"].to_numpy()
        return _zph(self._design, beta, self.terms, list(self.summary.index), transform)


def _strata_codes(frame: pd.DataFrame, cols: tuple[str, ...]) -> np.ndarray:
    if not cols:
        return np.zeros(len(frame), dtype=np.int64)
    keys = frame[list(cols)].astype(object).astype(str).agg("\x1f".join, axis=1)
    return pd.factorize(keys, sort=True)[0].astype(np.int64)


def _check_design(x: pd.DataFrame, event: np.ndarray, strata: np.ndarray) -> list[str]:
    """Raise for constant covariates; return warnings for binary columns whose level has no event."""
    msgs = []
    has_event = event != 0
    for name in x.columns:
        col = x[name].to_numpy()
        values = np.sort(pd.unique(col[~np.isnan(col)]))  # hash-based, sorted as np.unique
        if len(values) == 1:
            raise ModelError(
                f"covariate {name!r} takes a single value ({col[0]:g}) among the analysed patients, so "
                "its effect cannot be estimated. Drop it from the formula or analyse a wider cohort."
            )
        if len(values) == 2:
            at_first = col == values[0]
            n_events = (
                np.count_nonzero(has_event & at_first),
                np.count_nonzero(has_event & ~at_first),
            )
            for v, k in zip(values, n_events, strict=True):
                if k == 0:
                    msgs.append(
                        f"covariate {name!r}: no event among patients with {name} = {v:g}; the "
                        "coefficient diverges (monotone likelihood) and its HR and p-value are not "
                        "meaningful. Consider merging groups or Firth-type penalisation."
                    )
    return msgs


def _concordance(design: _Design, lp: np.ndarray) -> float:
    """Harrell's C of the linear predictor as R's ``coxph`` reports it: pairs within strata, at risk
    after delayed entry, weighted by the case weights (:func:`cohort.survival.cox_engine.concordance`, an
    O(n log n) count; lifelines' tree is pure Python, scikit-survival's is O(n^2))."""
    return float(
        concordance(
            design.time,
            design.event,
            lp,
            start=design.entry,
            weights=design.weights,
            strata=design.strata,
        )
    )


@scales("cox")
def cox(
    data: Cohort | pd.DataFrame,
    formula: str,
    endpoint: str = "os",
    *,
    strata: str | list[str] | None = None,
    penalizer: float = 0.0,
    conf_level: float = 0.95,
    ties: str = "efron",
    robust: bool | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    entry: str | None = None,
    timefix: bool = True,
) -> CoxResult:
    """Fit a Cox proportional-hazards model, as R ``coxph(Surv(t, e) ~ formula)``.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    formula : str
        Right-hand side, e.g. ``"npm1 * flt3_itd + age"`` or ``"C(eln2017) + age"``; only column
        names, 0/1, ``+ - : *``, parentheses and ``C()`` are accepted (see :mod:`cohort.survival.formula`).
    endpoint : {"os", "efs", "rfs"}
    strata : str or list of str, optional
        Stratification columns: separate baseline hazards, as R's ``+ strata(x)``.
    penalizer : float
        lifelines' L2 penalty on standardised covariates (0 = ordinary partial likelihood, as R);
        a penalised model is fitted by lifelines and takes none of the arguments below.
    conf_level : float
    ties : {"efron", "breslow"}
        R's ``ties=`` (default Efron, as R).
    robust : bool, optional
        Robust (sandwich) standard errors, as ``coxph(robust = TRUE)``: ``summary`` gains
        ``robust_se`` and the limits, z and p-values use it. By default (None) as R: on with
        ``cluster`` or with non-integer ``weights``, off otherwise.
    cluster : str, optional
        Column of cluster codes (e.g. centre, family): the robust variance sums the dfbeta
        residuals within clusters, as ``coxph(..., cluster = column)``; implies ``robust``.
    weights : str, optional
        Column of case weights, as ``coxph(weights = column)``.
    entry : str, optional
        Column of delayed-entry (left-truncation) times on the endpoint's time scale:
        ``coxph(Surv(entry, time, event) ~ ...)``.
    timefix : bool
        Merge times equal up to floating-point rounding (R's ``aeqSurv``, coxph's default).

    Returns
    -------
    CoxResult

    Raises
    ------
    FormulaError
        The formula holds anything but columns, 0/1 and model operators.
    ModelError
        No events, a constant covariate, or a fit that fails (collinear covariates).
    """
    what = "cohort.cox"
    if endpoint_key(endpoint, what=what) == "cir":
        raise ModelError(
            "cohort.cox: 'cir' is a competing-risks endpoint; use cohort.finegray for the "
            "subdistribution hazard, or code a cause-specific endpoint as an 0/1 event column."
        )
    conf_level = check_conf_level(conf_level, what)
    if penalizer < 0:
        raise ModelError(f"penalizer must be >= 0, got {penalizer!r}.")
    if ties not in TIES:
        raise ModelError(f"{what}: ties={ties!r}; use one of {', '.join(TIES)} (as R coxph).")
    if penalizer and (ties != "efron" or robust or cluster or weights or entry):
        raise ModelError(
            f"{what}: a penalised fit (penalizer > 0) is lifelines' and supports Efron ties only, "
            "without weights, entry, robust or cluster; drop the penalizer or those arguments."
        )
    strata_cols = column_names(strata, "strata", what)
    extra = tuple(c for c in (cluster,) if c is not None)
    frame, tcol, ecol = endpoint_arrays(
        data, endpoint, what=what, required=strata_cols + extra, warn=False
    )
    parsed = parse_formula(formula, frame.columns)
    overlap = set(parsed.variables) & set(strata_cols)
    if overlap:
        raise SchemaError(
            f"{what}: {', '.join(sorted(overlap))} is both a covariate and a stratum."
        )
    n_missing_endpoint = frame.attrs.get("n_missing_endpoint", 0)
    frame, wts, ent, case_excluded = case_columns(
        frame, tcol, weights=weights, entry=entry, what=what
    )
    x_all, assign = design_matrix(parsed, frame)
    incomplete = x_all.isna().any(axis=1).to_numpy()
    if strata_cols or extra:
        incomplete |= frame[list(strata_cols + extra)].isna().any(axis=1).to_numpy()
    n_deleted = int(n_missing_endpoint + sum(case_excluded.values()) + incomplete.sum())
    notes = []
    if n_deleted:
        notes.append(f"{n_deleted} observation(s) deleted due to missingness")
        also = "".join(f", {k} with a missing {r[8:]}" for r, k in case_excluded.items())
        warnings.warn(
            f"{what}: {n_deleted} observation(s) deleted due to missingness "
            f"({n_missing_endpoint} without {tcol}/{ecol}, {int(incomplete.sum())} with a missing "
            f"covariate{' or stratum' if strata_cols else ''}{also}).",
            DataQualityWarning,
            stacklevel=2,
        )
    if incomplete.any():
        frame = frame.loc[~incomplete]
    wts = None if wts is None else wts[~incomplete]
    if robust is None:  # R coxph: robust by default with a cluster or non-integer case weights
        robust = cluster is not None or (wts is not None and bool(np.any(wts != np.floor(wts))))
    robust = bool(robust) or cluster is not None
    ent = None if ent is None else ent[~incomplete]
    # categorical levels absent after deletion would give all-zero columns: rebuild on the kept rows
    if incomplete.any():
        x, assign = design_matrix(parsed, frame)
    else:
        x = x_all
    time = frame[tcol].to_numpy(dtype=float)
    if timefix:
        time, ent = fix_times(time, ent, what=what, entry_col=entry)
    event = frame[ecol].to_numpy(dtype=np.int64)
    scodes = _strata_codes(frame, strata_cols)
    if event.sum() == 0:
        raise ModelError(
            f"{what}: no {endpoint_label(endpoint)} events among the {len(frame)} analysed patients."
        )
    for msg in _check_design(x, event, scodes):
        warnings.warn(f"{what}: {msg}", StatisticalWarning, stacklevel=2)
        notes.append(msg)

    names = list(x.columns)
    design = _Design(x.to_numpy(dtype=float), time, event, scodes, wts, ent, ties)
    cluster_codes = None if cluster is None else frame[cluster].to_numpy()
    if penalizer:
        model, coef, se, loglik, notes_fit = _fit_lifelines(
            design, names, bool(strata_cols), penalizer, conf_level, formula
        )
        robust_se = None
    else:
        model, notes_fit = _fit_core(design, names, robust, cluster_codes, formula)
        coef, se, loglik = model.coef, np.sqrt(np.diag(model.var)), model.loglik
        robust_se = None if model.robust_var is None else np.sqrt(np.diag(model.robust_var))
    notes.extend(notes_fit)
    summary = _summary_table(names, coef, se, robust_se, conf_level)
    big = [n for n, b, e in zip(names, coef, se, strict=True) if abs(b) > 15 or e > 1e3]
    if big:
        msg = (
            f"coefficient(s) of {', '.join(big)} are extreme (|coef| > 15 or se > 1000): probable "
            "separation; the estimates may be infinite."
        )
        warnings.warn(f"{what}: {msg}", StatisticalWarning, stacklevel=2)
        notes.append(msg)
    if wts is not None or ent is not None:
        notes.append(
            "the concordance weights pairs and uses the (entry, time] risk sets as R's coxph, but "
            "its standard error (concordance_se) counts unweighted pairs on exit times"
        )
    lp = x.to_numpy() @ coef
    return CoxResult(
        summary=summary,
        n=len(frame),
        events=int(event.sum()),
        n_deleted=n_deleted,
        concordance=_concordance(design, lp),
        log_likelihood=float(loglik),
        formula=parsed,
        terms=assign,
        endpoint=endpoint_key(endpoint),
        strata=strata_cols,
        conf_level=conf_level,
        penalizer=penalizer,
        notes=tuple(notes),
        model=model,
        _design=design,
        ties=ties,
        robust=robust,
        cluster=cluster,
        weights=weights,
        entry=entry,
    )


def _summary_table(
    names: list[str],
    coef: np.ndarray,
    se: np.ndarray,
    robust_se: np.ndarray | None,
    conf_level: float,
) -> pd.DataFrame:
    """R's ``summary(coxph)`` coefficient table; with ``robust_se`` the limits, z and p use it."""
    use = se if robust_se is None else robust_se
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        columns = {"coef": coef, "se": se}
        if robust_se is not None:
            columns["robust_se"] = robust_se
        columns.update(
            {
                "hr": np.exp(coef),
                "hr_lower": np.exp(coef - z * use),
                "hr_upper": np.exp(coef + z * use),
                "z": coef / use,
                "p_value": 2 * stats.norm.sf(np.abs(coef / use)),
            }
        )
    return pd.DataFrame(columns, index=pd.Index(names, name="term"))


def _fit_core(
    design: _Design, names: list[str], robust: bool, cluster: np.ndarray | None, formula: str
) -> tuple[CoxFit, list[str]]:
    """The numpy core's fit, with R-worded errors and a note when it did not converge."""
    try:
        fit = fit_cox(
            design.x,
            design.time,
            design.event,
            entry=design.entry,
            weights=design.weights,
            strata=design.strata,
            ties=design.ties,
            robust=robust,
            cluster=cluster,
        )
    except np.linalg.LinAlgError as exc:
        raise ModelError(
            f"cohort.cox: the model {formula!r} could not be fitted; covariates "
            f"{', '.join(names)} may be collinear or separate the events completely (singular "
            "information matrix). Remove or merge covariates."
        ) from exc
    notes = []
    if not fit.converged or not np.all(np.isfinite(fit.coef)):
        msg = (
            f"cohort.cox: the fit of {formula!r} did not converge in {fit.iterations} Newton steps; "
            "a coefficient may be infinite (separation)."
        )
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
        notes.append(msg)
    return fit, notes


def _fit_lifelines(
    design: _Design,
    names: list[str],
    stratified: bool,
    penalizer: float,
    conf_level: float,
    formula: str,
) -> tuple[object, np.ndarray, np.ndarray, float, list[str]]:
    """A penalised fit by lifelines' ``CoxPHFitter`` (its penalty, on standardised covariates)."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError
    from lifelines.exceptions import ConvergenceWarning as LifelinesConvergenceWarning

    # the real term names keep .model.summary readable; the outcome columns cannot clash with them
    # because formula names are identifiers and these start with an underscore plus a space
    fit_frame = pd.DataFrame(design.x, columns=names)
    fit_frame["_ time"] = design.time
    fit_frame["_ event"] = design.event
    if stratified:
        fit_frame["_ stratum"] = design.strata
    fitter = CoxPHFitter(penalizer=penalizer, alpha=1 - conf_level)
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitter.fit(
                fit_frame,
                duration_col="_ time",
                event_col="_ event",
                strata=["_ stratum"] if stratified else None,
                fit_options={"precision": 1e-12, "r_precision": 1e-14, "max_steps": 200},
            )
        except (ConvergenceError, np.linalg.LinAlgError) as exc:
            raise ModelError(
                f"cohort.cox: the model {formula!r} could not be fitted; covariates "
                f"{', '.join(names)} may be collinear or separate the events completely "
                f"(lifelines: {str(exc).splitlines()[0]}). Remove or merge covariates."
            ) from exc
    for w in caught:
        if issubclass(w.category, LifelinesConvergenceWarning):
            msg = f"cohort.cox: the fit of {formula!r} did not converge cleanly: {w.message}"
            warnings.warn(msg, ConvergenceWarning, stacklevel=3)
            notes.append(msg)
    coef = fitter.params_.to_numpy()
    se = fitter.standard_errors_.to_numpy()
    return fitter, coef, se, float(fitter.log_likelihood_), notes
