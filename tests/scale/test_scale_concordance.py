"""The concordance counter behind the Dask Cox fit's C: integer case weights are replicated rows.

The Dask path (:func:`cohort.scale.cox._concordance`) counts pairs on distinct (stratum, time,
status, linear predictor) rows with their patient counts as weights; that is exact only if a
weight ``k`` counts as ``k`` identical patients (pairs weigh ``w_i w_j``, and two events at the
same time are not a pair, so identical event rows never pair with each other).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.survival.cox_engine import concordance, concordance_counts


def _rows(seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "time": rng.integers(1, 40, n).astype(float),  # many tied times
            "event": rng.integers(0, 2, n),
            "lp": rng.integers(0, 6, n) * 0.25,  # many tied risk scores
            "stratum": rng.integers(0, 3, n),
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("stratified", [False, True])
def test_integer_weights_count_as_replicated_rows(seed, stratified):
    d = _rows(seed)
    keys = ["stratum", "time", "event", "lp"]
    distinct = d.groupby(keys).size().rename("w").reset_index()
    assert len(distinct) < len(d)  # the compression is real
    strata = (lambda f: f["stratum"].to_numpy()) if stratified else (lambda f: None)
    replicated = concordance_counts(
        d["time"].to_numpy(), d["event"].to_numpy(), d["lp"].to_numpy(), strata=strata(d)
    )
    weighted = concordance_counts(
        distinct["time"].to_numpy(),
        distinct["event"].to_numpy(),
        distinct["lp"].to_numpy(),
        weights=distinct["w"].to_numpy(float),
        strata=strata(distinct),
    )
    np.testing.assert_allclose(weighted, replicated, rtol=1e-12)
    assert min(replicated) > 0  # concordant, discordant and tied pairs all occur
    c_rows = concordance(d["time"], d["event"], d["lp"], strata=strata(d))
    c_weighted = concordance(
        distinct["time"],
        distinct["event"],
        distinct["lp"],
        weights=distinct["w"].to_numpy(float),
        strata=strata(distinct),
    )
    assert c_weighted == pytest.approx(c_rows, rel=0, abs=1e-12)


def test_tied_event_times_are_not_pairs_even_when_weighted():
    # two patients dying on the same day with different risk: no comparable pair
    got = concordance_counts(np.array([5.0, 5.0]), np.array([1, 1]), np.array([0.0, 1.0]))
    assert got == (0.0, 0.0, 0.0)
    # one row standing for three patients who die together: no pair either
    got = concordance_counts(np.array([5.0]), np.array([1]), np.array([0.0]), weights=np.r_[3.0])
    assert got == (0.0, 0.0, 0.0)
