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
