"""The proportional-hazards test of R >= 3.0 ``cox.zph``, per term and global.

lifelines' ``proportional_hazard_test`` is the older approximate test: it has no global test and
gives different numbers (lifelines#997), so the score test is written out here from R's
``zph1.c`` (``zph2.c`` for delayed entry). :meth:`cohort.survival.cox.CoxResult.zph` and
:func:`cox_zph` call :func:`_zph` on the fit's design; the Dask path
(:mod:`cohort.scale.cox`) ends in the same :func:`cohort.survival.cox_fit.zph_tests`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from cohort.errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from cohort.survival.cox import CoxResult, _Design

__all__ = ["cox_zph"]

_TRANSFORMS = ("km", "identity", "rank", "log")


def _time_transform(
    time: np.ndarray, event: np.ndarray, transform: str, entry: np.ndarray | None = None
) -> np.ndarray:
    if transform == "identity":
        return time.astype(float)
    if transform == "rank":
        return stats.rankdata(time)
    if transform == "log":
        return np.log(time)
    if transform == "km":
        # R: 1 - S(t-) from the unweighted KM of all patients (strata ignored, delayed entry kept),
        # S evaluated just before t
        from cohort.survival.kaplan_meier import _at_risk

        ut, inv = np.unique(time, return_inverse=True)
        d = np.bincount(inv, weights=event, minlength=len(ut))
        surv = np.cumprod(1 - d / _at_risk(ut, time, None, entry))
        before = np.concatenate([[1.0], surv[:-1]])
        return 1 - before[inv]
    raise ModelError(f"transform={transform!r}: use one of {', '.join(_TRANSFORMS)}.")


def cox_zph(fit: CoxResult, transform: str = "km") -> pd.DataFrame:
    """Proportional-hazards test of a fitted model, as R ``cox.zph(fit, transform=)``.

    Parameters
    ----------
    fit : CoxResult
    transform : {"km", "identity", "rank", "log"}

    Returns
    -------
    pandas.DataFrame
        Indexed by term plus ``"GLOBAL"``: ``chisq``, ``df``, ``p_value``.
    """
    return fit.zph(transform)


def _zph(
    design: _Design,
    beta: np.ndarray,
    terms: dict[str, list[str]],
    names: list[str],
    transform: str = "km",
) -> pd.DataFrame:
    """The score test of R >= 3.0 ``cox.zph``, per term and global.

    R's method (``survival/R/cox.zph.R`` and ``src/zph1.c``, ``zph2.c`` for delayed entry): add to
    the model the interactions ``x * g(t)`` with ``g`` the transformed event time centred on its
    mean over events, and compute the score test of their coefficients being zero, one Newton step
    from the fitted model. The score for the original coefficients is 0 at the MLE, so with ``U2``
    the score of the time interactions and ``I`` the full ``2p x 2p`` information matrix, the
    statistic for a term with columns ``j`` is ``u' I[k, k]^-1 u`` with ``k = (1..p, p + j)`` and
    ``u = (0, U2[j])``; the global test uses all of them. Each event time contributes its score
    ``U_t`` and information ``V_t`` (:func:`cohort.survival.cox_fit.event_time_terms`, with the fit's ties,
    weights, delayed entry and strata) to ``U2 = sum g U_t`` and the blocks ``V``, ``g V``,
    ``g^2 V``. A stratum without events contributes nothing.
    """
    from cohort.survival.cox_fit import event_time_terms, strata_index, zph_tests

    x, time, event = design.x, design.time, design.event
    p = x.shape[1]
    gt_all = _time_transform(time, event, transform, design.entry)
    gtime = gt_all - gt_all[event == 1].mean()
    xc = x - x.mean(axis=0)  # recentring, as zph1.c, for numerical stability only
    w = np.ones(len(time)) if design.weights is None else design.weights
    u2 = np.zeros(p)
    info = np.zeros((3, p, p))  # sum V, sum g V, sum g^2 V
    for st in strata_index(time, event, design.entry, design.strata):
        if len(st.times) == 0:
            continue
        _, score_t, v_t = event_time_terms(beta, xc, w, st, design.ties)
        g = np.zeros(len(st.times))
        g[st.dead_t] = gtime[st.rows][st.dead_row]  # g depends on the event time only
        u2 += (g[:, None] * score_t).sum(axis=0)
        info[0] += v_t.sum(axis=0)
        info[1] += (g[:, None, None] * v_t).sum(axis=0)
        info[2] += (g[:, None, None] ** 2 * v_t).sum(axis=0)
    return zph_tests(u2, info, terms, names)
