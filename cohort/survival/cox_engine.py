"""A numpy Cox partial-likelihood engine equal to R's ``coxph`` (Efron or Breslow ties).

One setup pass turns the data into integer indices (no per-iteration sorting), then every Newton step
is a handful of ``np.bincount`` calls and cumulative sums, O(n p^2) per step:

- Each distinct event time within a stratum is a *group*; groups are ordered by (stratum, time).
  Patient ``i`` is in the risk set of the groups ``lo_i <= g < hi_i`` (counting process: entry
  ``start_i < t <= stop_i``; without delayed entry ``lo_i`` is its stratum's first group).
- The risk-set sums ``S0``, ``S1`` at every group are reverse cumulative sums (within each stratum)
  of ``w r`` and ``w r x`` added at ``hi_i - 1`` and removed at ``lo_i - 1``.
- Efron's correction splits a group of ``d`` tied events into ``d`` *slots* with fractions
  ``k / d``; slots, not patients, carry the tie correction, so the whole likelihood is vectorised.
- The information never forms a per-time ``p x p`` array: ``sum_g c_g S2_g`` equals
  ``X' diag(w r A) X`` with ``A_i`` the sum of ``c_g`` over the groups patient ``i`` is at risk in.

The iteration is ``coxph``'s (``agfit4.c``/``coxfit6.c``): Newton-Raphson from 0 with step halving
when the log-likelihood falls, stopping when ``|1 - loglik_old / loglik_new| <= eps`` (1e-9) after a
full step; the variance is the inverse information at the returned coefficients. The score
residuals are ``coxscore``'s, so the robust (sandwich) variance, clustered or not, is R's.

Concordance (:func:`concordance_counts`) is ``survival::concordance`` for a Cox fit: pairs within a
stratum where one patient has an event and the other is still at risk (a censoring at the same time
counts as at risk; two events at the same time are not comparable), weighted by ``w_i w_j``, ties in
the risk score counting 1/2. It is counted in O(n log n) with a wavelet matrix over the risk-score
ranks, vectorised across all events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from cohort.survival.counting import dense_ranks
from cohort.survival.newton import newton_coxph

__all__ = ["CoxFit", "concordance", "concordance_counts", "fit_cox"]


def _codes(labels: np.ndarray | None, n: int) -> np.ndarray:
    """Dense int64 codes 0.. of ``labels`` in sorted order (zeros when None)."""
    if labels is None:
        return np.zeros(n, dtype=np.int64)
    labels = np.asarray(labels)
    if labels.dtype.kind in "iu" and n and labels.min() == labels.max():
        return np.zeros(n, dtype=np.int64)
    return dense_ranks(labels)[1]


@dataclass(frozen=True)
class CoxFit:
    """The result of :func:`fit_cox` (arrays in the order of the input rows).

    Attributes
    ----------
    coef : ndarray (p,)
    var : ndarray (p, p)
        Model-based variance, the inverse information (R ``fit$var`` without robust SE).
    robust_var : ndarray (p, p) or None
        Sandwich variance (R ``fit$var`` with ``robust=TRUE`` or ``cluster=``).
    information : ndarray (p, p)
    score : ndarray (p,)
        The score at ``coef``.
    loglik, loglik_null : float
        Partial log-likelihood at ``coef`` and at 0 (R ``fit$loglik``).
    n_iter : int
    converged : bool
    linear_predictor : ndarray (n,)
        ``x @ coef`` (not centred).
    score_test : float
        Score test of all coefficients being zero (R ``fit$score``).
    """

    coef: np.ndarray
    var: np.ndarray
    robust_var: np.ndarray | None
    information: np.ndarray
    score: np.ndarray
    loglik: float
    loglik_null: float
    n_iter: int
    converged: bool
    linear_predictor: np.ndarray
    score_test: float = float("nan")


class _Setup:
    """Index arrays that stay fixed across Newton steps."""

    def __init__(self, x, stop, event, start, weights, strata, ties):
        n = len(stop)
        self.xt = np.ascontiguousarray((x - x.mean(axis=0)).T)  # feature-major, centred as coxph
        self.w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        dead = np.asarray(event) != 0
        scode = _codes(strata, n)
        if start is None:
            ut, rank_stop = dense_ranks(stop)
            rank_start = np.full(n, -1, dtype=np.int64)
        else:
            ut, inv = dense_ranks(np.concatenate([stop, start]))
            rank_stop, rank_start = inv[:n], inv[n:]
        m = len(ut) + 1
        key_stop = scode * m + rank_stop.reshape(-1) + 1
        key_start = scode * m + rank_start.reshape(-1) + 1
        n_strata = int(scode.max()) + 1 if n else 0
        n_keys = n_strata * m + 1
        if n_keys <= 4 * n + 1024:
            # dense keys: event counts per key, and "groups with key <= k" as a lookup table
            counts = np.bincount(key_stop[dead], minlength=n_keys)
            gkeys = np.flatnonzero(counts)
            d = counts[gkeys]
            below = np.cumsum(counts > 0)
            hi, lo = below[key_stop], below[key_start]
        else:
            gkeys, d = np.unique(key_stop[dead], return_counts=True)
            hi = np.searchsorted(gkeys, key_stop, side="right")
            lo = np.searchsorted(gkeys, key_start, side="right")
        big_g = len(gkeys)
        # stratum segments over the groups
        seg_lo = np.searchsorted(gkeys, np.arange(n_strata) * m)
        seg_hi = np.searchsorted(gkeys, (np.arange(n_strata) + 1) * m)
        self.bounds = [(a, b) for a, b in zip(seg_lo, seg_hi, strict=True) if b > a]
        active = hi > lo
        # bin G is a dump for rows that are in no risk set / need no removal
        self.bin_hi = np.where(active, hi - 1, big_g)
        first = seg_lo[scode]
        late = active & (lo > first)
        self.bin_lo = np.where(late, lo - 1, big_g) if late.any() else None
        self.lo, self.hi = lo, hi
        self.seg_end = seg_hi[scode]
        self.dead = np.flatnonzero(dead)
        self.g_dead = hi[self.dead] - 1
        self.xd = np.ascontiguousarray(self.xt[:, self.dead])
        self.wdead = self.w[self.dead]
        self.big_g, self.d = big_g, d.astype(float)
        # Efron slots: d per group, fractions k/d (Breslow: 0)
        self.slot_g = np.repeat(np.arange(big_g), d)
        self.slot_start = np.cumsum(d) - d  # every group has a death: segments never empty
        first_slot = np.repeat(self.slot_start, d)
        if ties == "efron":
            self.frac = (np.arange(len(self.slot_g)) - first_slot) / self.d[self.slot_g]
        else:
            self.frac = np.zeros(len(self.slot_g))
        wd = np.bincount(self.g_dead, weights=self.wdead, minlength=big_g)
        self.mw = (wd / self.d)[self.slot_g]  # mean death weight of the slot's group
        self.n, self.p = n, self.xt.shape[0]
        self._risk_bounds: tuple[np.ndarray, np.ndarray] | None = None

    # -- cumulative-sum helpers --------------------------------------------------------------

    def _rev_cumsum(self, a: np.ndarray) -> np.ndarray:
        """Reverse cumulative sum over groups, restarting at every stratum."""
        out = np.zeros_like(a)
        for lo, hi in self.bounds:
            out[lo:hi] = np.cumsum(a[lo:hi][::-1], axis=0)[::-1]
        return out

    def _slot_sums(self, v: np.ndarray) -> np.ndarray:
        """Per group, the sum of ``v`` over its Efron slots (slots are ordered by group)."""
        return np.add.reduceat(v, self.slot_start) if len(v) else np.zeros(self.big_g)

    def _risk_sum(self, v: np.ndarray) -> np.ndarray:
        """``sum_{i at risk in g} v_i`` for every group ``g``."""
        e = np.bincount(self.bin_hi, weights=v, minlength=self.big_g + 1)
        if self.bin_lo is not None:
            e -= np.bincount(self.bin_lo, weights=v, minlength=self.big_g + 1)
        return self._rev_cumsum(e[:-1])

    def _over_risk_groups(self, c: np.ndarray) -> np.ndarray:
        """Per patient, ``sum_{g: i at risk in g} c_g`` (``c`` of shape (G,) or (G, k))."""
        rc = np.concatenate([self._rev_cumsum(c), np.zeros((1,) + c.shape[1:])])
        if self._risk_bounds is None:  # fixed across Newton steps: computed once
            active = self.hi > self.lo
            self._risk_bounds = (
                np.where(active, self.lo, self.big_g),
                np.where(active & (self.hi < self.seg_end), self.hi, self.big_g),
            )
        lo, hi = self._risk_bounds
        return rc[lo] - rc[hi]

    # -- likelihood --------------------------------------------------------------------------

    def pieces(self, beta: np.ndarray, info: bool = True, slots: bool = False):
        """Log-likelihood, score, information (and, with ``slots``, per-slot means) at ``beta``.

        The score and information need only per-group sums over the Efron slots: with
        ``a_s = (S1_g - f_s E1_g) / den_s`` for slot ``s`` of group ``g``, ``sum_s mw_s a_s`` is
        ``S1_g c1_g - E1_g c2_g`` and ``sum_s mw_s a_s a_s'`` expands into ``S1 S1'``, ``S1 E1'``
        and ``E1 E1'`` weighted by per-group sums of ``mw / den^2`` times 1, ``f``, ``f^2``; so
        no per-slot, per-covariate array is formed (the slot means ``a`` only for residuals).
        """
        eta = beta @ self.xt
        shift = float(eta.max()) if self.n else 0.0
        r = np.exp(eta - shift)
        wr = self.w * r
        g, dead, f, big_g = self.slot_g, self.dead, self.frac, self.big_g
        wr_dead = wr[dead]
        s0 = self._risk_sum(wr)
        e0 = np.bincount(self.g_dead, weights=wr_dead, minlength=big_g)
        s1, e1 = np.empty((big_g, self.p)), np.empty((big_g, self.p))
        for j in range(self.p):
            s1[:, j] = self._risk_sum(wr * self.xt[j])
            e1[:, j] = np.bincount(self.g_dead, weights=wr_dead * self.xd[j], minlength=big_g)
        den = s0[g] - f * e0[g]
        with np.errstate(divide="ignore"):
            loglik = float(self.wdead @ eta[dead] - self.mw @ (np.log(den) + shift))
        haz = self.mw / den
        c1, c2 = self._slot_sums(haz), self._slot_sums(haz * f)
        score = self.xd @ self.wdead - (c1 @ s1 - c2 @ e1)
        imat = None
        if info:
            v = wr * self._over_risk_groups(c1)
            v[dead] -= wr_dead * c2[self.g_dead]  # the tied deaths' own Efron terms
            imat = _gram(self.xt, v)
            h2 = haz / den
            h2f = h2 * f
            ca, cb, cc = self._slot_sums(h2), self._slot_sums(h2f), self._slot_sums(h2f * f)
            cross = s1.T @ (cb[:, None] * e1)
            imat -= s1.T @ (ca[:, None] * s1) - cross - cross.T + e1.T @ (cc[:, None] * e1)
        a = None
        if slots:
            a = (s1[g] - f[:, None] * e1[g]) / den[:, None]
        return loglik, score, imat, (r, den, a)

    def score_residuals(self, beta: np.ndarray) -> np.ndarray:
        """R ``residuals(fit, type = "score")`` (unweighted), shape (n, p), as ``coxscore``."""
        _, _, _, (r, den, a) = self.pieces(beta, info=False, slots=True)
        g, f = self.slot_g, self.frac
        haz = self.mw / den
        big_h = np.bincount(g, weights=haz, minlength=self.big_g)
        h_own = np.bincount(g, weights=haz * f, minlength=self.big_g)  # H - H'
        big_m = np.column_stack(
            [np.bincount(g, weights=haz * a[:, j], minlength=self.big_g) for j in range(self.p)]
        )
        m_own = np.column_stack(
            [np.bincount(g, weights=haz * f * a[:, j], minlength=self.big_g) for j in range(self.p)]
        )
        mean_bar = (
            np.column_stack(
                [np.bincount(g, weights=a[:, j], minlength=self.big_g) for j in range(self.p)]
            )
            / self.d[:, None]
        )
        x = self.xt.T
        acc = self._over_risk_groups(np.column_stack([big_h, big_m]))
        resid = -r[:, None] * (x * acc[:, :1] - acc[:, 1:])
        dd, gd = self.dead, self.g_dead
        resid[dd] += (x[dd] - mean_bar[gd]) + r[dd, None] * (x[dd] * h_own[gd, None] - m_own[gd])
        return resid


def fit_cox(
    x: np.ndarray,
    stop: np.ndarray,
    event: np.ndarray,
    *,
    start: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    ties: str = "efron",
    cluster: np.ndarray | None = None,
    robust: bool = False,
    eps: float = 1e-9,
    max_iter: int = 20,
) -> CoxFit:
    """Fit a Cox model by Newton-Raphson as R ``coxph`` (same iterates, same stopping rule).

    Parameters
    ----------
    x : ndarray (n, p)
        Covariates, no missing values.
    stop : ndarray (n,)
        Event or censoring times.
    event : ndarray (n,)
        1 event, 0 censored.
    start : ndarray (n,), optional
        Entry times (delayed entry / counting process ``(start, stop]``), ``start < stop``.
    weights : ndarray (n,), optional
        Positive case weights.
    strata : ndarray (n,), optional
        Stratum labels (separate baseline hazards).
    ties : {"efron", "breslow"}
    cluster : ndarray (n,), optional
        Cluster labels for the robust variance (implies ``robust``).
    robust : bool
        Also compute the sandwich variance (each row its own cluster unless ``cluster``).
    eps, max_iter : float, int
        ``coxph.control(eps, iter.max)``.

    Returns
    -------
    CoxFit

    Raises
    ------
    numpy.linalg.LinAlgError
        The information matrix is singular (collinear covariates).
    ValueError
        ``ties`` unknown or weights not positive.
    """
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    x = np.asarray(x, dtype=float).reshape(len(stop), -1)
    stop = np.asarray(stop, dtype=float)
    if weights is not None and not (np.asarray(weights, dtype=float) > 0).all():
        raise ValueError("case weights must be positive")
    # thin (p x n) products gain nothing from BLAS threads and lose much on a busy machine
    with threadpool_limits(1):
        return _fit(x, stop, event, start, weights, strata, ties, cluster, robust, eps, max_iter)


def _fit(x, stop, event, start, weights, strata, ties, cluster, robust, eps, max_iter) -> CoxFit:
    setup = _Setup(x, stop, event, start, weights, strata, ties)
    p = x.shape[1]
    newton = newton_coxph(lambda b: setup.pieces(b)[:3], p, eps=eps, max_iter=max_iter)
    beta, imat = newton.coef, newton.information
    var = np.linalg.inv(imat)
    robust_var = None
    if robust or cluster is not None:
        resid = setup.score_residuals(beta) * setup.w[:, None]
        dfbeta = resid @ var
        if cluster is not None:
            codes = np.unique(np.asarray(cluster), return_inverse=True)[1].reshape(-1)
            dfbeta = np.column_stack([np.bincount(codes, weights=dfbeta[:, j]) for j in range(p)])
        robust_var = dfbeta.T @ dfbeta
    return CoxFit(
        coef=beta,
        var=var,
        robust_var=robust_var,
        information=imat,
        score=newton.score,
        loglik=newton.loglik,
        loglik_null=newton.loglik_null,
        n_iter=newton.n_iter,
        converged=newton.converged,
        linear_predictor=x @ beta,
        score_test=newton.score_test,
    )


def _gram(xt: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``xt diag(v) xt'`` for feature-major ``xt`` (p, n), as p(p+1)/2 dot products."""
    p = xt.shape[0]
    out = np.empty((p, p))
    for j in range(p):
        xv = xt[j] * v
        for k in range(j, p):
            out[j, k] = out[k, j] = xv @ xt[k]
    return out


# --------------------------------------------------------------------------------------------
# concordance
# --------------------------------------------------------------------------------------------


def _weighted_rank_less(values, weights, bits, ends, thresholds):
    """For each query ``q``: ``sum(weights[k] for k < ends[q] if values[k] < thresholds[q])``.

    A wavelet matrix over ``values`` (non-negative integers below ``2**bits``): one stable
    partition per bit, every query answered at once per level. ``weights`` None counts rows.
    Positions are int32 below 2**31 rows, and the partitions reuse two buffers (``np.compress``
    into them). A query's range always starts at the start of its node, which depends only on the
    threshold's leading bits, so node starts are a small table per level, not a per-query array.
    """
    n = len(values)
    idx = np.int32 if n < 2**31 - 1 else np.int64
    e = np.asarray(ends, dtype=idx)
    thr = np.asarray(thresholds).astype(idx)
    acc = np.zeros(len(e), dtype=idx if weights is None else float)
    z0 = np.zeros(n + 1, dtype=idx)
    wz = None if weights is None else np.zeros(n + 1)
    cur = [values, weights]
    bufs = [[np.empty_like(a), np.empty_like(a)] if a is not None else None for a in cur]
    node_start = np.zeros(1, dtype=idx)  # indexed by the threshold's bits above the level
    for level, b in enumerate(range(bits - 1, -1, -1)):
        zero = (cur[0] & (1 << b)) == 0
        np.cumsum(zero, out=z0[1:])
        nz = idx(z0[-1])
        prefix = thr >> (b + 1)
        qbit = (thr >> b) & 1
        zs_node = z0[node_start]
        ze = z0[e]
        if weights is None:
            acc += (ze - zs_node[prefix]) * qbit
        else:
            np.cumsum(np.where(zero, cur[1], 0.0), out=wz[1:])
            acc += np.where(qbit.astype(bool), wz[e] - wz[node_start][prefix], 0.0)
        # the children of every node: bit 0 starts at zs, bit 1 at nz + s - zs
        node_start = np.stack([zs_node, nz + node_start - zs_node], axis=1).reshape(-1)
        e = np.where(qbit.astype(bool), nz + e - ze, ze)
        if b:  # stable partition, zeros first, into the buffer the previous level did not fill
            one = ~zero
            for k, a in enumerate(cur):
                if a is not None:
                    out = bufs[k][level % 2]
                    np.compress(zero, a, out=out[:nz])
                    np.compress(one, a, out=out[nz:])
                    cur[k] = out
    return acc.astype(float)


def _less_and_tied(vals, keys, w, dead, from_key):
    """Per event row ``i`` (in ``dead``): weights of rows with ``keys >= from_key[i]`` and a risk
    value below / equal to ``vals[i]``. ``vals`` and ``keys`` are dense non-negative integers."""
    n = len(vals)
    n_keys = int(keys.max()) + 2
    if n_keys > 4 * n + 1024:  # sparse keys (many strata x times): ranks keep the wavelet small
        uk, keys = dense_ranks(keys)
        from_key = np.searchsorted(uk, from_key, side="left")  # keys < from <=> rank < this
        n_keys = len(uk) + 1
    comp = vals * n_keys + keys
    order = np.argsort(comp)  # rows with equal (value, key) are interchangeable
    sorted_comp = comp[order]
    ww = None if w is None else w[order]
    cum = np.zeros(n + 1)
    np.cumsum(np.ones(n) if ww is None else ww, out=cum[1:])
    # process the events in the same order, so the searchsorted gets sorted queries
    ev = order[dead[order]]
    thr, frm = vals[ev], from_key[ev]
    val_start = np.zeros(int(vals.max()) + 2, dtype=np.int64)  # first sorted row of each value
    np.cumsum(np.bincount(vals), out=val_start[1:])
    first, eq_hi = val_start[thr], val_start[thr + 1]
    eq_lo = np.searchsorted(sorted_comp, thr * n_keys + frm, side="left")
    bits = max(1, int(n_keys).bit_length())
    seq = keys[order].astype(np.int32 if n_keys < 2**31 else np.int64)
    below = cum[first] - _weighted_rank_less(seq, ww, bits, first, frm)
    return ev, below, cum[eq_hi] - cum[eq_lo]


def concordance_counts(
    stop: np.ndarray,
    event: np.ndarray,
    lp: np.ndarray,
    *,
    start: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    strata: np.ndarray | None = None,
) -> tuple[float, float, float]:
    """Weighted (concordant, discordant, tied-risk) pair counts as ``survival::concordance``.

    A pair is comparable when patient ``i`` has an event at ``t`` and patient ``j`` of the same
    stratum is at risk at ``t`` (``start_j < t <= stop_j``) without an event at ``t``; it is
    concordant when ``lp_i > lp_j``. Each pair counts ``w_i w_j``. Rows are ordered by (stratum,
    risk rank) and keyed by (stratum, time): "same stratum, at risk, lower risk" is then "key at
    least the event's, value below the event's", two-sided dominance counted by a wavelet matrix.
    """
    n = len(stop)
    stop = np.asarray(stop, dtype=float)
    w = None if weights is None else np.asarray(weights, dtype=float)
    wfull = np.ones(n) if w is None else w
    dead = np.asarray(event) != 0
    scode = _codes(strata, n)
    ranks = dense_ranks(np.asarray(lp, dtype=float))[1]
    vals = scode * (int(ranks.max()) + 1 if n else 1) + ranks
    # at risk without an event at t_i: stop_j > t_i, or stop_j == t_i and censored
    ut, rank_stop = dense_ranks(stop)
    big_t = len(ut) + 1
    key = (scode * big_t + rank_stop.reshape(-1)) * 2 + (~dead)
    ev, lt, eq = _less_and_tied(vals, key, w, dead, key + 1)
    to_key = (scode[ev] + 1) * big_t * 2
    cum_key = np.concatenate([[0.0], np.cumsum(np.bincount(key, weights=wfull))])
    tot = cum_key[np.minimum(to_key, len(cum_key) - 1)] - cum_key[key[ev] + 1]
    if start is not None:
        # minus rows not yet entered at t_i: start_j >= t_i
        ub, inv = dense_ranks(np.concatenate([stop, np.asarray(start, dtype=float)]))
        big_t = len(ub) + 1
        inv = inv.reshape(-1)
        key2 = scode * big_t + inv[n:]
        from2 = scode * big_t + inv[:n]
        ev2, lt2, eq2 = _less_and_tied(vals, key2, w, dead, from2)
        back = np.empty(n, dtype=np.int64)
        back[ev2] = np.arange(len(ev2))
        pos = back[ev]
        cum2 = np.concatenate([[0.0], np.cumsum(np.bincount(key2, weights=wfull))])
        to2 = np.minimum((scode[ev] + 1) * big_t, len(cum2) - 1)
        tot = tot - (cum2[to2] - cum2[np.minimum(from2[ev], len(cum2) - 1)])
        lt, eq = lt - lt2[pos], eq - eq2[pos]
    wi = wfull[ev]
    return float(wi @ lt), float(wi @ (tot - lt - eq)), float(wi @ eq)


def concordance(
    stop: np.ndarray,
    event: np.ndarray,
    lp: np.ndarray,
    *,
    start: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    strata: np.ndarray | None = None,
) -> float:
    """Harrell's C as R reports it for ``coxph``: ``(concordant + tied / 2) / (all comparable)``."""
    c, d, t = concordance_counts(stop, event, lp, start=start, weights=weights, strata=strata)
    total = c + d + t
    return (c + 0.5 * t) / total if total > 0 else float("nan")
