"""Test-suite configuration.

Tests marked ``slow`` (large property runs, the coverage simulation, scale checks) are skipped by the
default run so that the suite stays within minutes on two cores. Run them with ``pytest -m slow`` or by
setting ``COHORT_FULL=1``.
"""

import os

import matplotlib
import pytest

matplotlib.use("Agg")  # notebooks and scripts run headless in the tests


def pytest_collection_modifyitems(config, items):
    markexpr = config.getoption("-m") or ""
    if "slow" in markexpr or os.environ.get("COHORT_FULL") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or COHORT_FULL=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def synthetic_for_r():
    """The shipped synthetic cohort for the R comparisons, after checking that the R references
    (tests/reference/values) were written from this very file."""
    import hashlib
    from pathlib import Path

    import pandas as pd

    root = Path(__file__).resolve().parents[1]
    path = root / "synthetic_data" / "npm1_cohort.csv"
    md5_file = root / "tests" / "reference" / "values" / "survival_synthetic_md5.csv"
    if not path.exists() or not md5_file.exists():
        pytest.skip("synthetic cohort or its R reference not generated yet")
    if hashlib.md5(path.read_bytes()).hexdigest() != pd.read_csv(md5_file)["md5"].iloc[0]:
        pytest.fail(
            "synthetic_data/npm1_cohort.csv changed after the R references were written: rerun "
            "Rscript tests/reference/make_reference.R"
        )
    d = pd.read_csv(path)
    for b in ("npm1", "flt3_itd"):
        d[b] = d[b].astype("boolean")
    return d
