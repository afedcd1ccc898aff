"""Cox proportional-hazards fit of a Dask cohort: exact Newton steps from per-time sums.

The Efron (or Breslow) log partial likelihood, its score and information depend on the patients
only through, per stratum and distinct time ``t`` and for the current ``beta``:

- over the patients whose follow-up *ends* at ``t``: ``sum r``, ``sum r x``, ``sum r x x'``
  (``r = exp(x beta)``); reverse cumulative sums over time give the risk-set sums ``S0, S1, S2``;
- over the patients who *die* at ``t``: their number ``d``, ``sum r``, ``sum r x``, ``sum r x x'``
  (Efron's ``D0, D1, D2``), ``sum x`` and ``sum x beta``.

Each partition computes these with one ``groupby(stratum, time).sum()``; the client adds the
partitions' rows, forms the reverse cumulative sums and takes the Newton step of
:func:`cohort.survival.newton.newton_coxph`, the loop the in-memory engine runs, so the fit equals
:func:`cohort.cox` in memory. A partition boundary inside a tied time changes nothing: ties are
added up on the client before Efron's steps.

One pass over the data per Newton step (typically 4-6): the design matrix (``n x p`` floats plus
time, event and strata) is built once and persisted on the workers.

The robust (sandwich) variance of ``robust=True`` / ``cluster=`` takes a second pass: the client
turns the per-time sums at the final ``beta`` into the hazard terms of R's score residuals, each
partition computes its patients' residuals and returns their cross-product (or their sums per
cluster, added up across partitions on the client), and ``var D'D var`` follows exactly.

Harrell's concordance is exact too: each partition returns its distinct (stratum, time, status,
linear predictor) rows with their counts, and the client counts pairs on them with the counts as
case weights (:func:`_concordance`; one row per distinct combination reaches the client). Its
standard error (``concordance_se``) raises: R's variance needs each patient's concordant and
discordant counts, which the in-memory counter does not take weights for. ``ph_test`` / ``zph`` (R's
``cox.zph`` score test) aggregate: each event time's score and information come from the same
per-time sums, and the time transform (KM, rank, identity, log) from per-time counts; one more
pass at the fitted ``beta``. Case ``weights`` aggregate: every sum above is weighted (``w r``, the
deaths' ``w x`` and ``w x beta``), Efron's steps use the tied deaths' count and their mean weight, and
the score residuals are multiplied by the weights (R's ``coxph(weights=)``). Delayed ``entry`` and a
``penalizer`` run in memory when the cohort is small enough (see :mod:`cohort.scale.dispatch`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from cohort._arguments import check_conf_level
from cohort.errors import (
    CohortValidationError,
    DataQualityWarning,
    ModelError,
    Problem,
    ScaleWarning,
    SchemaError,
)
from cohort.scale.design import (
    EVENT,
    TIME,
    WEIGHTS,
    _categorical,
    global_levels,
    persisted_design,
)
from cohort.scale.dispatch import NotDistributed, dask_frame
from cohort.survival.cox import CoxResult, _summary_table
from cohort.survival.cox_fit import TIES, CoxFit, zph_tests
from cohort.survival.endpoint import endpoint_columns, endpoint_key, endpoint_label
from cohort.survival.formula import parse_formula
from cohort.survival.newton import newton_coxph

__all__ = ["DaskCoxResult", "cox", "cox_sums"]


@dataclass(frozen=True)
class DaskCoxResult(CoxResult):
    """A :class:`cohort.survival.cox.CoxResult` fitted on a Dask cohort (per-time sums).

    The same fields; ``concordance`` is counted from the distinct rows (NaN with a ScaleWarning
    above ``MATERIALISE_MAX_ROWS`` of them) and ``concordance_se`` raises
    :class:`~cohort.errors.ModelError`. ``ph_test`` and
    ``zph`` (R ``cox.zph``) take one more pass of per-time sums over the persisted design.
    """

    _scale: Any = field(default=None, repr=False, compare=False)

    def _not_kept(self, what: str):
        raise ModelError(
            f"{what} of a Cox fit on a Dask cohort is not available: R's variance of Harrell's C "
            "needs each patient's concordant and discordant pair counts, which are not aggregated "
            "(the concordance itself is). Fit the same model in memory on a sample, or "
            "on the cohort if it fits (dask_cohort.data.compute())."
        )

    @cached_property
    def ph_test(self) -> pd.DataFrame:  # type: ignore[override]
        return self.zph("km")

    def zph(self, transform: str = "km") -> pd.DataFrame:
        return _zph_dask(self, transform)

    @property
    def concordance_se(self) -> float:  # type: ignore[override]
        return self._not_kept("concordance_se")


def _weights(part: pd.DataFrame) -> np.ndarray:
    """The case weights carried in the design (:data:`WEIGHTS`), or ones."""
    return part[WEIGHTS].to_numpy(dtype=float) if WEIGHTS in part else np.ones(len(part))


def _sums_part(part: pd.DataFrame, beta: np.ndarray, mean: np.ndarray, keys: list[str]):
    """Per (stratum, time) sums for ``beta`` (see the module docstring); with case weights ``w``
    every sum is weighted (``w r``, ``w x`` over deaths, ``dw`` the deaths' weight) except the
    counts ``n`` and ``d`` (Efron's steps count the tied deaths)."""
    p = len(beta)
    x = part[[f"_ x{j}" for j in range(p)]].to_numpy() - mean
    eta = x @ beta
    w = _weights(part)
    r = w * np.exp(eta)
    dead = part[EVENT].to_numpy() == 1
    rx = r[:, None] * x
    rxx = (rx[:, :, None] * x[:, None, :]).reshape(len(x), p * p)
    cols = {
        "n": np.ones(len(r)),
        "r": r,
        "d": dead.astype(float),
        "dw": dead * w,
        "dr": dead * r,
        "deta": dead * w * eta,
    }
    for j in range(p):
        cols[f"rx{j}"] = rx[:, j]
        cols[f"drx{j}"] = dead * rx[:, j]
        cols[f"dx{j}"] = dead * w * x[:, j]
    for j in range(p * p):
        cols[f"rxx{j}"] = rxx[:, j]
        cols[f"drxx{j}"] = dead * rxx[:, j]
    frame = pd.DataFrame(cols)
    for k in keys:
        frame[k] = part[k].to_numpy()
    return frame.groupby(keys, sort=False, observed=True).sum().reset_index()


def _pieces(per_part: pd.DataFrame, keys: list[str], strata: list[str], p: int) -> list[tuple]:
    """Per stratum: risk-set sums at the event times (reverse cumulative sums over time) and the
    sums over the tied deaths, from the partitions' per-(stratum, time) rows added up."""
    tot = per_part.groupby(keys, sort=True, observed=True).sum()
    level = strata[0] if len(strata) == 1 else strata
    groups = [tot] if not strata else [g for _, g in tot.groupby(level=level, sort=False)]
    xs = [f"rx{j}" for j in range(p)]
    xxs = [f"rxx{j}" for j in range(p * p)]
    out = []
    for g in groups:  # one stratum, times ascending
        if not strata:
            skey = ()
        else:
            first = g.index[0]
            skey = tuple(first[: len(strata)])

        def rev(cols, g=g):
            return np.cumsum(g[cols].to_numpy()[::-1], axis=0)[::-1]

        ev = g["d"].to_numpy() > 0
        out.append(
            (
                rev("r")[ev],
                rev(xs)[ev],
                rev(xxs)[ev].reshape(-1, p, p),
                g["d"].to_numpy()[ev],
                g["dr"].to_numpy()[ev],
                g[["d" + c for c in xs]].to_numpy()[ev],
                g[["d" + c for c in xxs]].to_numpy()[ev].reshape(-1, p, p),
                float(g["deta"].to_numpy().sum()),
                g[[f"dx{j}" for j in range(p)]].to_numpy().sum(axis=0),
                skey,
                g.index.get_level_values(-1).to_numpy(dtype=float)[ev],
                g[[f"dx{j}" for j in range(p)]].to_numpy()[ev],
                g["dw"].to_numpy()[ev],
            )
        )
    return out


def _per_part(design: Any, beta: np.ndarray, mean: np.ndarray, keys: list[str]) -> pd.DataFrame:
    meta = _sums_part(design._meta, beta, mean, keys)
    return design.map_partitions(_sums_part, beta, mean, keys, meta=meta).compute()


def _per_time(design: Any, beta: np.ndarray, mean: np.ndarray, keys: list[str]) -> list[tuple]:
    return _pieces(_per_part(design, beta, mean, keys), keys, keys[:-1], len(beta))


def _event_time_terms(piece: tuple, ties: str, p: int) -> tuple[np.ndarray, ...]:
    """Each event time's log-likelihood (without ``sum x beta`` over its deaths), score and
    information: Efron's (or Breslow's) steps over the tied deaths, as
    :func:`cohort.survival.cox_fit.event_time_terms`."""
    s0, s1, s2, nd, d0, d1, d2, _, _, _, _, dx_t, dw = piece
    eff = nd if ties == "efron" else np.ones(len(nd))
    ll, score, info = np.zeros(len(nd)), dx_t.copy(), np.zeros((len(nd), p, p))
    for step in range(int(eff.max()) if ties == "efron" and len(nd) else 1):
        act = eff > step
        frac = (step / eff[act]) if ties == "efron" else np.zeros(act.sum())
        wt = dw[act] / eff[act]  # Efron: the tied deaths' mean weight per step
        den = s0[act] - frac * d0[act]
        a = (s1[act] - frac[:, None] * d1[act]) / den[:, None]
        c = (s2[act] - frac[:, None, None] * d2[act]) / den[:, None, None]
        ll[act] -= wt * np.log(den)
        score[act] -= wt[:, None] * a
        info[act] += wt[:, None, None] * (c - a[:, :, None] * a[:, None, :])
    return ll, score, info


def _zph_dask(fit: DaskCoxResult, transform: str) -> pd.DataFrame:
    """R ``cox.zph`` (as :func:`cohort.survival.zph._zph`) from one more pass of per-time sums."""
    from cohort.survival.zph import _TRANSFORMS

    if transform not in _TRANSFORMS:
        raise ModelError(f"transform={transform!r}: use one of {', '.join(_TRANSFORMS)}.")
    if fit.ties != "efron":  # as in memory
        raise ModelError(
            "ph_test: the cox.zph score test is implemented for Efron fits without weights or "
            'delayed entry; this fit has ties="breslow". Refit without them to test '
            "proportional hazards, or use R's cox.zph."
        )
    design, mean, keys = fit._scale
    beta = fit.summary["coef"].to_numpy()
    p = len(beta)
    per_part = _per_part(design, beta, mean, keys)
    pooled = per_part.groupby(TIME)[["n", "d"]].sum().sort_index()
    ut = pooled.index.to_numpy(dtype=float)
    n_t, d_t = pooled["n"].to_numpy(), pooled["d"].to_numpy()
    if transform == "identity":
        g = ut
    elif transform == "log":
        g = np.log(ut)
    elif transform == "rank":  # average ranks of all patients' times
        g = np.concatenate([[0.0], np.cumsum(n_t)[:-1]]) + (n_t + 1) / 2
    else:  # "km": 1 - S(t-) of the pooled Kaplan-Meier
        at_risk = np.cumsum(n_t[::-1])[::-1]
        g = 1 - np.concatenate([[1.0], np.cumprod(1 - d_t / at_risk)[:-1]])
    g = g - (g * d_t).sum() / d_t.sum()  # centred on the mean over events
    u2, info = np.zeros(p), np.zeros((3, p, p))
    for piece in _pieces(per_part, keys, keys[:-1], p):
        gt = g[np.searchsorted(ut, piece[10])]
        _, score_t, v_t = _event_time_terms(piece, fit.ties, p)
        u2 += gt @ score_t
        info[0] += v_t.sum(axis=0)
        info[1] += (gt[:, None, None] * v_t).sum(axis=0)
        info[2] += (gt[:, None, None] ** 2 * v_t).sum(axis=0)
    return zph_tests(u2, info, fit.terms, list(fit.summary.index))


LP, WEIGHT = "_ lp", "_ weight"


def _concordance_part(part: pd.DataFrame, beta: np.ndarray, strata: list[str]) -> pd.DataFrame:
    """The partition's distinct (stratum, time, status, linear predictor) rows and their counts."""
    p = len(beta)
    out = pd.DataFrame({c: part[c].to_numpy() for c in strata})
    out[TIME] = part[TIME].to_numpy()
    out[EVENT] = part[EVENT].to_numpy()
    # column by column, not ``x @ beta``: BLAS may round the same row differently by its position
    # in the block, and an ulp apart would split patients with equal covariates (tied risk)
    lp = np.zeros(len(part))
    for j in range(p):
        lp += part[f"_ x{j}"].to_numpy(dtype=float) * beta[j]
    out[LP] = lp
    out[WEIGHT] = _weights(part)
    keys = [*strata, TIME, EVENT, LP]
    return out.groupby(keys, sort=False, observed=True)[WEIGHT].sum().reset_index()


def _concordance(design: Any, beta: np.ndarray, strata: list[str], what: str) -> float:
    """Harrell's C of the fit, exactly as in memory (:func:`cohort.survival.cox_engine.concordance`).

    The pair counts depend on the patients only through their (stratum, time, status, linear
    predictor): each partition returns its distinct combinations with their counts, the client
    adds them up and counts pairs with the counts as case weights (a pair weighs ``w_i w_j``; two
    events at the same time are not a pair, so a weight ``k`` counts exactly as ``k`` identical
    patients). The client then holds one row per distinct combination: few with categorical
    covariates, up to one per patient with a continuous one. Above
    :data:`cohort.scale.dispatch.MATERIALISE_MAX_ROWS` rows the concordance is not gathered:
    NaN, with a :class:`~cohort.errors.ScaleWarning`.
    """
    from cohort.scale import dispatch
    from cohort.survival.cox_engine import concordance

    meta = _concordance_part(design._meta, beta, strata)
    rows = design.map_partitions(_concordance_part, beta, strata, meta=meta).persist()
    n_rows = len(rows)
    if n_rows > dispatch.MATERIALISE_MAX_ROWS:
        warnings.warn(
            f"{what}: concordance not computed: the fit's distinct (stratum, time, status, linear "
            f"predictor) rows number {n_rows}, more than cohort.scale.dispatch."
            f"MATERIALISE_MAX_ROWS = {dispatch.MATERIALISE_MAX_ROWS} (continuous covariates make "
            "one per patient). Raise the limit if the client has the memory, or compute it on a "
            "sample.",
            ScaleWarning,
            stacklevel=4,
        )
        return float("nan")
    keys = [*strata, TIME, EVENT, LP]
    tot = rows.compute().groupby(keys, sort=False, observed=True)[WEIGHT].sum().reset_index()
    codes = (
        None
        if not strata
        else tot.groupby(strata, sort=False, observed=True).ngroup().to_numpy(dtype=np.int64)
    )
    return float(
        concordance(
            tot[TIME].to_numpy(dtype=float),
            tot[EVENT].to_numpy(),
            tot[LP].to_numpy(dtype=float),
            weights=tot[WEIGHT].to_numpy(dtype=float),
            strata=codes,
        )
    )


def cox_sums(design: Any, beta: np.ndarray, mean: np.ndarray, keys: list[str], ties: str):
    """Log-likelihood, score and information at ``beta``: one pass over the persisted design."""
    return _loglik_score_info(_per_time(design, beta, mean, keys), ties, len(beta))


def _hazard_terms(pieces: list[tuple], ties: str, p: int) -> dict[tuple, tuple]:
    """Per stratum and event time, the hazard terms of the score residuals (as
    :func:`cohort.survival.cox_fit._score_residuals`): cumulative ``h`` and ``h xbar``, and the dying
    patients' ``h``, ``h xbar`` (Efron weights ``1 - k/d``) and mean of the step means."""
    out = {}
    for s0, s1, _, nd, d0, d1, _, _, _, skey, times, _, dw in pieces:
        k = len(times)
        eff = nd if ties == "efron" else np.ones(k)
        h, xh = np.zeros(k), np.zeros((k, p))
        hd, xhd, xbar_mean = np.zeros(k), np.zeros((k, p)), np.zeros((k, p))
        for step in range(int(eff.max()) if ties == "efron" and k else 1):
            act = eff > step
            frac = (step / eff[act]) if ties == "efron" else np.zeros(act.sum())
            den = s0[act] - frac * d0[act]
            haz = dw[act] / eff[act] / den
            xbar = (s1[act] - frac[:, None] * d1[act]) / den[:, None]
            h[act] += haz
            xh[act] += haz[:, None] * xbar
            hd[act] += (1 - frac) * haz
            xhd[act] += ((1 - frac) * haz)[:, None] * xbar
            xbar_mean[act] += xbar / eff[act][:, None]
        ch = np.concatenate([[0.0], np.cumsum(h)])
        cxh = np.concatenate([np.zeros((1, p)), np.cumsum(xh, axis=0)])
        out[skey] = (times, ch, cxh, h, xh, hd, xhd, xbar_mean)
    return out


def _residual_part(part, beta, mean, strata, terms, cluster):
    """Score residuals of a partition's rows, summed per cluster (or their cross-product)."""
    p = len(beta)
    x = part[[f"_ x{j}" for j in range(p)]].to_numpy() - mean
    r = np.exp(x @ beta)
    t = part[TIME].to_numpy()
    dead = part[EVENT].to_numpy() == 1
    res = np.zeros((len(part), p))
    groups = [((), np.arange(len(part)))] if not strata else [
        (k if isinstance(k, tuple) else (k,), idx)
        for k, idx in part.groupby(strata, sort=False, observed=True).indices.items()
    ]  # fmt: skip
    for skey, idx in groups:
        if skey not in terms:  # a stratum without events: residuals 0
            continue
        times, ch, cxh, h, xh, hd, xhd, xbar_mean = terms[skey]
        xs, rs = x[idx], r[idx]
        pos = np.searchsorted(times, t[idx], side="right")  # event times <= time
        out = -rs[:, None] * (xs * ch[pos][:, None] - cxh[pos])
        i = np.flatnonzero(dead[idx])
        j = np.searchsorted(times, t[idx][i])
        out[i] += rs[i, None] * ((xs[i] * h[j, None] - xh[j]) - (xs[i] * hd[j, None] - xhd[j]))
        out[i] += xs[i] - xbar_mean[j]
        res[idx] = out
    res *= _weights(part)[:, None]  # R: the score residuals times the case weights
    if cluster is None:
        return pd.DataFrame((res.T @ res).reshape(1, p * p))
    frame = pd.DataFrame(res)
    frame["_ cluster"] = part[cluster].to_numpy()
    return frame.groupby("_ cluster", observed=True).sum()


def _robust_var(design, fit: CoxFit, mean, keys, ties, strata, cluster) -> np.ndarray:
    """R's robust variance ``D'D`` with ``D`` the dfbeta residuals (summed within clusters): a
    second pass over the partitions with the client's per-time hazard terms."""
    p = len(fit.coef)
    terms = _hazard_terms(_per_time(design, fit.coef, mean, keys), ties, p)
    meta = _residual_part(design._meta, fit.coef, mean, strata, terms, cluster)
    parts = design.map_partitions(
        _residual_part, fit.coef, mean, strata, terms, cluster, meta=meta
    ).compute()
    if cluster is None:
        meat = parts.to_numpy().sum(axis=0).reshape(p, p)
    else:
        per_cluster = parts.groupby(level=0).sum().to_numpy()
        meat = per_cluster.T @ per_cluster
    return fit.var @ meat @ fit.var


def _loglik_score_info(pieces, ties: str, p: int):
    """Log-likelihood, score and information: the per-event-time terms summed."""
    ll, u, imat = 0.0, np.zeros(p), np.zeros((p, p))
    for piece in pieces:
        ll_t, score_t, info_t = _event_time_terms(piece, ties, p)
        ll += piece[7] + float(ll_t.sum())
        u += score_t.sum(axis=0)
        imat += info_t.sum(axis=0)
    return ll, u, imat


def _newton(design, mean, keys, ties, p, max_iter=50, tol=1e-9) -> CoxFit:
    """coxph's Newton iteration (:func:`cohort.survival.newton.newton_coxph`, with the ``eps`` and
    ``max_iter`` of :func:`cohort.survival.cox_fit.fit_cox`), one pass over the partitions per step."""
    newton = newton_coxph(
        lambda b: cox_sums(design, b, mean, keys, ties), p, eps=tol, max_iter=max_iter
    )
    return CoxFit(
        coef=newton.coef,
        var=np.linalg.inv(newton.information),
        robust_var=None,
        loglik=float(newton.loglik),
        loglik0=float(newton.loglik_null),
        score_test=newton.score_test,
        iterations=newton.n_iter,
        converged=newton.converged,
        ties=ties,
    )


def cox(
    data: Any,
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
) -> DaskCoxResult:
    """:func:`cohort.cox` of a Dask cohort, by per-time sums (see the module docstring).

    Returns
    -------
    DaskCoxResult
        A :class:`cohort.survival.cox.CoxResult` (coefficients, SEs, log-likelihood equal to memory).
    """
    import dask

    from cohort.survival.timefix import aeq_times

    what = "cohort.cox"
    if penalizer or entry is not None:
        raise NotDistributed("penalizer or delayed entry")
    if endpoint_key(endpoint, what=what) == "cir":
        raise ModelError(
            "cohort.cox: 'cir' is a competing-risks endpoint; use cohort.finegray for the "
            "subdistribution hazard, or code a cause-specific endpoint as an 0/1 event column."
        )
    conf_level = check_conf_level(conf_level, what)
    if ties not in TIES:
        raise ModelError(f"{what}: ties={ties!r}; use one of {', '.join(TIES)} (as R coxph).")
    frame = dask_frame(data)
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    tcol, ecol = endpoint_columns(endpoint, what=what)
    parsed = parse_formula(formula, frame.columns)
    carry = strata_cols + ([cluster] if cluster is not None else [])
    needed = [tcol, ecol, *carry, *parsed.variables, *([weights] if weights else [])]
    lacking = [c for c in needed if c not in frame.columns]
    if lacking:
        raise SchemaError(f"{what}: the data lack column(s) {', '.join(lacking)}.")
    if weights is not None:  # carried into the design under a name that cannot clash
        frame = frame.assign(**{WEIGHTS: frame[weights].astype("float64")})
        carry = [*carry, WEIGHTS]
    overlap = set(parsed.variables) & set(strata_cols)
    if overlap:
        raise SchemaError(
            f"{what}: {', '.join(sorted(overlap))} is both a covariate and a stratum."
        )

    # pass 1: missingness, the cohort's categorical levels and distinct times (complete rows)
    known = frame[tcol].notnull() & frame[ecol].notnull()
    weighted = known if weights is None else known & frame[WEIGHTS].notnull()
    complete = weighted
    for c in [*parsed.variables, *carry]:
        complete = complete & frame[c].notnull()
    cats = _categorical(parsed, frame._meta)
    rows = frame[complete]
    n_missing_w, w_min, w_nonint = 0, 1.0, 0
    if weights is not None:
        wk = frame[WEIGHTS][known]
        n_missing_w, w_min, w_nonint = dask.compute(
            (known & ~weighted).sum(), wk.min(), (wk != wk.round()).sum()
        )
    if w_min < 0 or not np.isfinite(w_min):
        raise CohortValidationError(
            [
                Problem(
                    "bad_weights",
                    f"{what}: a case weight must be a finite number >= 0",
                    column=weights,
                    value=float(w_min),
                    fix=f"correct {weights}",
                )
            ],
            source="the Dask cohort",
        )
    n_missing, n_incomplete, n, events, uniq_t, *uniq_levels = dask.compute(
        (~known).sum(),
        (weighted & ~complete).sum(),
        complete.sum(),
        rows[ecol].astype("float64").sum(),
        rows[tcol].astype("float64").unique(),
        *[rows[c].unique() for c in cats],
    )
    levels = global_levels(frame, cats, uniq_levels)
    n_deleted = int(n_missing + n_incomplete + n_missing_w)
    also = f", {int(n_missing_w)} with a missing weights" if n_missing_w else ""
    notes = []
    if n_deleted:
        notes.append(f"{n_deleted} observation(s) deleted due to missingness")
        warnings.warn(
            f"{what}: {n_deleted} observation(s) deleted due to missingness ({int(n_missing)} "
            f"without {tcol}/{ecol}, {int(n_incomplete)} with a missing covariate"
            f"{' or stratum' if strata_cols else ''}{also}).",
            DataQualityWarning,
            stacklevel=3,
        )
    if int(events) == 0:
        raise ModelError(
            f"{what}: no {endpoint_label(endpoint)} events among the {int(n)} analysed patients."
        )
    times = None
    if timefix:
        ut = np.unique(np.asarray(uniq_t, dtype=float))
        merged = aeq_times(ut)[0]
        if not np.array_equal(merged, ut):
            times = (ut, merged)
    design, names, assign = persisted_design(frame, parsed, levels, tcol, ecol, carry, times)
    p = len(names)
    sums = design[[f"_ x{j}" for j in range(p)]].sum().compute().to_numpy()
    mean = sums / n
    keys = [*strata_cols, TIME]
    try:
        fit = _newton(design, mean, keys, ties, p)
    except np.linalg.LinAlgError as exc:
        raise ModelError(
            f"cohort.cox: the model {formula!r} could not be fitted; covariates "
            f"{', '.join(names)} may be collinear or separate the events completely (singular "
            "information matrix). Remove or merge covariates."
        ) from exc
    if robust is None:  # R coxph: robust by default with a cluster or non-integer case weights
        robust = cluster is not None or (weights is not None and int(w_nonint) > 0)
    robust = bool(robust) or cluster is not None  # R: a cluster implies robust
    robust_se = None
    if robust:
        rv = _robust_var(design, fit, mean, keys, ties, strata_cols, cluster)
        fit = replace(fit, robust_var=rv)
        robust_se = np.sqrt(np.diag(rv))
    concordance = _concordance(design, fit.coef, strata_cols, what)
    if np.isnan(concordance):
        notes.append("concordance not computed: too many distinct rows to gather (ScaleWarning)")
    se = np.sqrt(np.diag(fit.var))
    return DaskCoxResult(
        summary=_summary_table(names, fit.coef, se, robust_se, conf_level),
        n=int(n),
        events=int(events),
        n_deleted=n_deleted,
        concordance=concordance,
        log_likelihood=fit.loglik,
        formula=parsed,
        terms=assign,
        endpoint=endpoint_key(endpoint),
        strata=tuple(strata_cols),
        conf_level=conf_level,
        penalizer=0.0,
        notes=tuple(notes),
        model=fit,
        _design=None,  # type: ignore[arg-type]
        ties=ties,
        robust=robust,
        cluster=cluster,
        _scale=(design, mean, keys),
    )
