"""Fine-Gray regression (``cmprsk::crr``) of a Dask cohort from per-time sums.

As in :mod:`cohort.survival.finegray_engine`, with ``G`` the censoring Kaplan-Meier, the weighted risk
set of the k-th event time ``s_k`` is ``S0_k = sum_{t_j >= s_k} r_j + G(s_k-) sum_{t_j < s_k,
competing} r_j / G(t_j-)``, and every per-patient weight (information, sandwich) depends on the
patient only through its time and whether its event competes. So each partition returns, per
distinct time, the counts (at risk leaving, censored, events of interest) and the sums of ``r``,
``r x``, ``r x x'`` over all patients and over the competing ones; the client computes ``G`` from the
counts, then the log-likelihood, score and information, and takes crr's Newton steps. The sandwich
variance takes one more pass: the client ships its per-time terms, each partition returns
``z'z`` of its patients' influence terms ``eta + psi``. The fit equals :func:`cohort.finegray` in
memory.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cohort._arguments import check_conf_level
from cohort.errors import ConvergenceWarning, DataQualityWarning, ModelError, SchemaError
from cohort.scale.design import EVENT, TIME, _categorical, global_levels, persisted_design
from cohort.scale.dispatch import dask_frame
from cohort.survival.endpoint import endpoint_columns, endpoint_key
from cohort.survival.finegray import FineGrayFit
from cohort.survival.finegray_engine import _cumsum0 as _cum0
from cohort.survival.finegray_engine import _rev_cumsum as _rev
from cohort.survival.newton import newton_crr

if TYPE_CHECKING:  # pragma: no cover
    from cohort.survival.finegray import FineGrayResult

__all__ = ["finegray"]


def _sums_part(part: pd.DataFrame, beta: np.ndarray, failcode: int) -> pd.DataFrame:
    p = len(beta)
    x = part[[f"_ x{j}" for j in range(p)]].to_numpy()
    st = part[EVENT].to_numpy()
    r = np.exp(x @ beta)
    comp = ((st != 0) & (st != failcode)).astype(float)
    ev = (st == failcode).astype(float)
    rx = r[:, None] * x
    rxx = (rx[:, :, None] * x[:, None, :]).reshape(len(x), p * p)
    cols = {"n": np.ones(len(x)), "cens": (st == 0).astype(float), "ev": ev, "r": r, "cr": comp * r}
    for j in range(p):
        cols[f"rx{j}"] = rx[:, j]
        cols[f"crx{j}"] = comp * rx[:, j]
        cols[f"evx{j}"] = ev * x[:, j]
    for j in range(p * p):
        cols[f"rxx{j}"] = rxx[:, j]
        cols[f"crxx{j}"] = comp * rxx[:, j]
    frame = pd.DataFrame(cols)
    frame[TIME] = part[TIME].to_numpy()
    return frame.groupby(TIME, sort=False).sum().reset_index()


class _Sums:
    """Per distinct time (ascending) sums at one beta, and crr's quantities derived from them."""

    def __init__(self, design: Any, beta: np.ndarray, failcode: int):
        p = len(beta)
        meta = _sums_part(design._meta, beta, failcode)
        tot = (
            design.map_partitions(_sums_part, beta, failcode, meta=meta)
            .compute()
            .groupby(TIME, sort=True)
            .sum()
        )
        self.p = p
        self.ut = tot.index.to_numpy(dtype=float)
        n, cens = tot["n"].to_numpy(), tot["cens"].to_numpy()
        at_risk = _rev(n)[:-1]
        has = cens > 0
        uc, surv = self.ut[has], np.cumprod(1.0 - cens[has] / at_risk[has])
        idx = np.searchsorted(uc, self.ut * (1 - 100 * np.finfo(float).eps), side="right") - 1
        self.g = np.where(idx >= 0, surv[np.maximum(idx, 0)], 1.0)  # G(t-) per distinct time
        self.inv_g = 1 / np.where(self.g > 0, self.g, 1.0)
        evk = tot["ev"].to_numpy() > 0
        self.k_time = np.flatnonzero(evk)  # index in ut of each event time
        self.s, self.d = self.ut[evk], tot["ev"].to_numpy()[evk]
        self.g_s = self.g[evk]
        self.k_upto = np.searchsorted(self.s, self.ut, side="right")  # event times <= t
        xs = [f"rx{j}" for j in range(p)]
        xxs = [f"rxx{j}" for j in range(p * p)]
        self.r, self.cr_g = tot["r"].to_numpy(), tot["cr"].to_numpy() * self.inv_g
        self.rx = tot[xs].to_numpy()
        self.crx_g = tot[["c" + c for c in xs]].to_numpy() * self.inv_g[:, None]
        self.rxx = tot[xxs].to_numpy().reshape(-1, p, p)
        self.crxx_g = (
            tot[["c" + c for c in xxs]].to_numpy().reshape(-1, p, p) * self.inv_g[:, None, None]
        )
        self.x_event_sum = tot[[f"evx{j}" for j in range(p)]].to_numpy().sum(axis=0)
        self.n, self.cens, self.at_risk = n, cens, at_risk
        fa = self.k_time  # first at risk: t_j >= s_k
        self.s0 = _rev(self.r)[fa] + self.g_s * _cum0(self.cr_g)[fa]
        self.s1 = _rev(self.rx)[fa] + self.g_s[:, None] * _cum0(self.crx_g)[fa]

    def loglik(self, beta: np.ndarray) -> float:
        return float(self.x_event_sum @ beta - self.d @ np.log(self.s0))

    def over_times(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per distinct time: ``sum_k w_kj c_k`` = ``before + inv_g_j * after`` (the second only
        for competing patients)."""
        gs = self.g_s if c.ndim == 1 else self.g_s[:, None]
        return _cum0(c)[self.k_upto], _rev(c * gs)[self.k_upto]

    def derivatives(self, beta: np.ndarray):
        e = self.s1 / self.s0[:, None]
        score = self.x_event_sum - self.d @ e
        before, after = self.over_times(self.d / self.s0)
        info = np.einsum("t,tij->ij", before, self.rxx) + np.einsum("t,tij->ij", after, self.crxx_g)
        info -= (e.T * self.d) @ e
        return self.loglik(beta), score, info, e


def _influence_part(part: pd.DataFrame, beta, failcode, terms) -> pd.DataFrame:
    """``z'z`` of the partition's patients' influence terms (crr's ``crrvv``)."""
    ut, a_b, a_a, b_b, b_a, e_t, comp_t, q_own = terms
    p = len(beta)
    x = part[[f"_ x{j}" for j in range(p)]].to_numpy()
    st = part[EVENT].to_numpy()
    i = np.searchsorted(ut, part[TIME].to_numpy())
    r = np.exp(x @ beta)
    competing = (st != 0) & (st != failcode)
    a = a_b[i] + np.where(competing, a_a[i], 0.0)
    b = b_b[i] + np.where(competing[:, None], b_a[i], 0.0)
    eta = -r[:, None] * (x * a[:, None] - b)
    dead = st == failcode
    eta[dead] += x[dead] - e_t[i[dead]]
    psi = comp_t[i] + np.where((st == 0)[:, None], q_own[i], 0.0)
    z = eta + psi
    return pd.DataFrame((z.T @ z).reshape(1, p * p))


def _sandwich(design, sums: _Sums, beta, info, e, failcode) -> np.ndarray:
    """crr's sandwich variance: per-time terms on the client, ``z'z`` per partition."""
    p = len(beta)
    cvec = sums.d / sums.s0
    a_b, a_a = sums.over_times(cvec)
    b_b, b_a = sums.over_times(cvec[:, None] * e)
    a_a, b_a = a_a * sums.inv_g, b_a * sums.inv_g[:, None]
    nt = len(sums.ut)
    e_t = np.zeros((nt, p))
    e_t[sums.k_time] = e
    # psi: the censoring martingale's compensator, per censoring time u (patients with t < u)
    has = sums.cens > 0
    cidx = np.flatnonzero(has)
    before_p0 = _cum0(sums.cr_g)[cidx]
    before_p1 = _cum0(sums.crx_g)[cidx]
    at_risk = sums.at_risk[cidx]
    ga = cvec * sums.g_s
    k_from = np.searchsorted(sums.s, sums.ut[cidx], side="left")  # event times >= u
    q = before_p1 * _rev(ga)[k_from][:, None] - before_p0[:, None] * _rev(ga[:, None] * e)[k_from]
    compensator = np.cumsum(-(sums.cens[cidx] / at_risk**2)[:, None] * q, axis=0)
    m = np.searchsorted(sums.ut[cidx], sums.ut, side="right") - 1  # last censoring time <= t
    comp_t = np.where((m >= 0)[:, None], compensator[np.maximum(m, 0)] if len(cidx) else 0.0, 0.0)
    q_own = np.zeros((nt, p))
    q_own[cidx] = q / at_risk[:, None]
    terms = (sums.ut, a_b, a_a, b_b, b_a, e_t, comp_t, q_own)
    meta = pd.DataFrame(np.zeros((0, p * p)))
    zz = (
        design.map_partitions(_influence_part, beta, failcode, terms, meta=meta)
        .compute()
        .to_numpy()
        .sum(axis=0)
        .reshape(p, p)
    )
    h = np.linalg.inv(info)
    return h @ zz @ h.T


def _fit(design, p: int, failcode: int, gtol: float, max_iter: int = 50) -> FineGrayFit:
    """crr's Newton-Raphson (:func:`cohort.survival.newton.newton_crr`), one pass per trial point."""
    cache: dict[bytes, _Sums] = {}

    def sums_at(beta: np.ndarray) -> _Sums:  # the accepted trial point is evaluated once
        key = beta.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = _Sums(design, beta, failcode)
        return cache[key]

    newton = newton_crr(
        lambda b: sums_at(b).derivatives(b)[:3],
        lambda b: sums_at(b).loglik(b),
        p,
        gtol=gtol,
        max_iter=max_iter,
    )
    beta, converged, n_iter = newton.coef, newton.converged, newton.n_iter
    sums = sums_at(beta)
    loglik, score, info, e = sums.derivatives(beta)
    try:
        var = _sandwich(design, sums, beta, info, e, failcode)
    except np.linalg.LinAlgError:
        var = np.full((p, p), np.nan)
    return FineGrayFit(
        beta,
        var,
        info,
        score,
        loglik,
        newton.loglik_null,
        converged,
        n_iter,
        sums.s,
        sums.d / sums.s0,
    )


def finegray(
    data: Any,
    formula: str,
    endpoint: Any = "cir",
    *,
    event: int = 1,
    conf_level: float = 0.95,
    gtol: float = 1e-6,
) -> FineGrayResult:
    """:func:`cohort.finegray` of a Dask cohort (a ``FineGrayResult`` equal to memory)."""
    import dask

    from cohort.survival.finegray import FineGrayResult, _summary_table
    from cohort.survival.formula import parse_formula

    what = "cohort.finegray"
    conf_level = check_conf_level(conf_level, what)
    if not 0 < gtol < 1:
        raise ModelError(f"{what}: gtol must be between 0 and 1, got {gtol!r}.")
    if isinstance(event, bool) or not isinstance(event, int | np.integer) or event == 0:
        raise ModelError(f"{what}: event= must be a non-zero event code such as 1, got {event!r}.")
    frame = dask_frame(data)
    key = endpoint_key(endpoint, what=what)
    tcol, ecol = endpoint_columns(key, what=what)
    parsed = parse_formula(formula, frame.columns)
    lacking = [c for c in [tcol, ecol, *parsed.variables] if c not in frame.columns]
    if lacking:
        raise SchemaError(f"{what}: the data lack column(s) {', '.join(lacking)}.")
    known = frame[tcol].notnull() & frame[ecol].notnull()
    complete = known
    for c in parsed.variables:
        complete = complete & frame[c].notnull()
    cats = _categorical(parsed, frame._meta)
    rows = frame[complete]
    status = rows[ecol].astype("int64")
    n_missing, n_incomplete, codes, n, n_ev, n_cens, *uniq = dask.compute(
        (~known).sum(),
        (known & ~complete).sum(),
        frame[ecol][known].astype("int64").unique(),
        complete.sum(),
        (status == event).sum(),
        (status == 0).sum(),
        *[rows[c].unique() for c in cats],
    )
    codes = sorted(int(v) for v in codes)
    if event not in codes:
        raise ModelError(
            f"{what}: no patient has {ecol} == {event}; the codes present are "
            f"{', '.join(map(str, codes))}."
        )
    n_deleted = int(n_missing + n_incomplete)
    notes = []
    if n_deleted:
        msg = (
            f"{n_deleted} observation(s) deleted due to missingness ({int(n_missing)} without "
            f"{tcol}/{ecol}, {int(n_incomplete)} with a missing covariate)"
        )
        notes.append(msg)
        warnings.warn(f"{what}: {msg}.", DataQualityWarning, stacklevel=3)
    if int(n_ev) == 0:
        raise ModelError(f"{what}: no events of type {event} among the {int(n)} analysed patients.")
    levels = global_levels(frame, cats, uniq)
    design, names, assign = persisted_design(frame, parsed, levels, tcol, ecol, [], None)
    p = len(names)
    xcols = design[[f"_ x{j}" for j in range(p)]]
    lo, hi, gram = dask.compute(xcols.min(), xcols.max(), _gram(xcols))
    constant = [c for c, a, b in zip(names, lo, hi, strict=True) if a == b]
    if constant:
        raise ModelError(
            f"{what}: covariate(s) {', '.join(constant)} take a single value among the "
            f"{int(n)} analysed patients; drop them from the formula."
        )
    if np.linalg.matrix_rank(gram) < p + 1:
        raise ModelError(
            f"{what}: the covariates of {formula!r} ({', '.join(names)}) are collinear; remove "
            "or merge some of them."
        )
    fit = _fit(design, p, int(event), gtol)
    if not fit.converged:
        msg = f"the fit of {formula!r} did not converge in 50 Newton-Raphson iterations"
        warnings.warn(f"{what}: {msg}.", ConvergenceWarning, stacklevel=3)
        notes.append(msg)
    coef = fit.coef
    summary = _summary_table(names, coef, fit.var, conf_level)
    return FineGrayResult(
        summary=summary,
        covariance=pd.DataFrame(fit.var, index=names, columns=names),
        n=int(n),
        events=int(n_ev),
        competing=int(n - n_ev - n_cens),
        censored=int(n_cens),
        n_deleted=n_deleted,
        loglik=fit.loglik,
        loglik_null=fit.loglik_null,
        converged=fit.converged,
        formula=parsed,
        terms=assign,
        endpoint=key,
        event=int(event),
        conf_level=conf_level,
        notes=tuple(notes),
        baseline=pd.DataFrame({"time": fit.event_times, "jump": fit.baseline_jumps}),
    )


def _gram(xcols: Any) -> Any:
    """``[1, x]' [1, x]`` summed over partitions (for the collinearity check of memory)."""
    import dask

    def part(frame: pd.DataFrame) -> np.ndarray:
        a = np.column_stack([np.ones(len(frame)), frame.to_numpy(dtype=float)])
        return a.T @ a

    return dask.delayed(sum)([dask.delayed(part)(d) for d in xcols.to_delayed()])
