"""One number format: 3 significant digits, p-values as <0.001 / 0.043."""

import numpy as np
import pandas as pd
import pytest

from cohort.numbers import fmt_ci, fmt_num, fmt_p


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.57795, "0.578"), (1.0357, "1.04"), (12.345, "12.3"), (1.0, "1.00"), (0.6689, "0.669"),
        (2169.4, "2,169"), (2169, "2,169"), (np.int64(5), "5"), (np.float64(0.398), "0.398"),
        (3.48e-05, "3.48e-05"), (-0.0123, "-0.0123"), (None, ""), (np.nan, ""), (pd.NA, ""),
        ("NR", "NR"),
    ],
)  # fmt: skip
def test_three_significant_digits(value, text):
    assert fmt_num(value) == text


@pytest.mark.parametrize(
    ("p", "text"), [(3.48e-05, "<0.001"), (0.0432, "0.043"), (0.6689, "0.669"), (0.001, "0.001"),
                    (None, "NA"), (np.nan, "NA")],
)  # fmt: skip
def test_p_values(p, text):
    assert fmt_p(p) == text


def test_estimate_with_interval():
    assert fmt_ci(0.57795, 0.4981, 0.6712) == "0.578 (0.498-0.671)"
    assert fmt_ci(1.2, np.nan, 3.0) == "1.20 (NA-3.00)"
