"""Decimal commas ("78,6", ";"-separated files): read when the mapping says decimal: ",", otherwise
refused with one line per column (not one per cell) saying how to declare them."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import cohort
from cohort.errors import CohortValidationError, MappingError

USER = Path(__file__).parents[1] / "data" / "user_cohort"
COMMA_COLUMNS = ("FLT3-ITD ratio", "OS (months)")


@pytest.fixture
def european(tmp_path) -> tuple[Path, Path]:
    """The user's table as a European spreadsheet exports it, and its mapping with decimal: ','."""
    table = pd.read_csv(USER / "my_cohort.csv", dtype=str, keep_default_na=False)
    for col in COMMA_COLUMNS:
        table[col] = table[col].str.replace(".", ",", regex=False)
    path = tmp_path / "eu.csv"
    table.to_csv(path, sep=";", index=False)
    mapping = tmp_path / "eu.yaml"
    text = (USER / "my_cohort.yaml").read_text(encoding="utf-8")
    mapping.write_text(text + 'decimal: ","\n', encoding="utf-8")
    return path, mapping


def _load(path, mapping):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cohort.load(path, mapping=mapping, on_error="exclude")


def test_declared_decimal_commas_read_the_same_numbers(european):
    path, mapping = european
    eu = _load(path, mapping)
    dot = _load(USER / "my_cohort.csv", USER / "my_cohort.yaml")
    for col in ("flt3_itd_ar", "os_days", "age"):
        pd.testing.assert_series_equal(eu.data[col], dot.data[col])
    assert any("decimal comma" in u for u in eu.report["units"])
    assert eu.exclusions[["row", "scope"]].values.tolist() == [[19, "os"], [44, "os"]]


def test_undeclared_decimal_commas_one_line_per_column(european):
    path, _ = european
    with pytest.raises(CohortValidationError) as err:
        cohort.load(path, mapping=USER / "my_cohort.yaml")
    msg = str(err.value)
    assert msg.count("writes numbers with a decimal comma") == 2  # one line per column
    assert "column 'OS (months) (os_days)', row 2, value '6,3'" in msg
    assert "column 'FLT3-ITD ratio (flt3_itd_ar)', row 2, value '0,87'" in msg
    assert "(299 cell(s))" in msg and 'decimal: ","' in msg
    assert len(err.value.problems) > 500  # every cell stays listed for programs
    # excluding: every such row is accounted for, and the reason is said once per column
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = cohort.load(path, mapping=USER / "my_cohort.yaml", on_error="exclude")
    said = [str(w.message) for w in caught if "decimal comma" in str(w.message)]
    assert len(said) == 2  # one sentence per column, not one per cell
    assert "column 'OS (months) (os_days)' writes numbers with a decimal comma" in said[1]
    assert c.n_input == 300


def test_decimal_must_be_a_dot_or_a_comma(tmp_path):
    with pytest.raises(MappingError, match="'decimal' is ';'"):
        cohort.load(USER / "my_cohort.csv", mapping={"decimal": ";"})
