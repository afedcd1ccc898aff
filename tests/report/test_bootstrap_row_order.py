"""compare_systems' bootstrap resamples patients in a canonical order: the confidence intervals do
not change when the input rows are shuffled (they did: the same seed drew different patients)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.survival.discrimination import compare_systems


def _cohort(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    risk = rng.integers(0, 3, size=n)
    time = rng.exponential(800 / (1 + risk), size=n).round() + 1
    return pd.DataFrame(
        {
            "os_days": time,
            "os_event": (rng.random(n) < 0.7).astype(int),
            "eln": pd.Categorical(
                np.array(["fav", "int", "adv"])[risk], ["fav", "int", "adv"], ordered=True
            ),
            "noise": rng.choice(["a", "b", "c"], size=n),
        }
    )


@pytest.mark.parametrize("shuffle_seed", [1, 2])
def test_bootstrap_intervals_do_not_depend_on_row_order(shuffle_seed):
    data = _cohort()
    shuffled = data.sample(frac=1, random_state=shuffle_seed).reset_index(drop=True)
    kw = {"n_boot": 60, "seed": 11, "n_jobs": 1}
    a = compare_systems(data, ["eln", "noise"], **kw).differences
    b = compare_systems(shuffled, ["eln", "noise"], **kw).differences
    assert not shuffled["os_days"].equals(data["os_days"])
    pd.testing.assert_frame_equal(a, b)
    assert a.loc[0, "lower"] < a.loc[0, "upper"]
