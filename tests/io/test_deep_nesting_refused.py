"""A formula nested hundreds of parentheses deep raised a raw RecursionError from the recursive
parser, and a mapping nested thousands deep could exhaust the stack; both are refused with a named
error before any recursion."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cohort
from cohort.errors import CohortError, FormulaError, MappingError
from cohort.io.mapping import read_mapping
from cohort.survival.formula import _MAX_DEPTH, parse_formula

DATA = Path(__file__).parents[1] / "reference" / "data" / "amlsg_survival.csv"


def _nested(inner: str, depth: int, opener: str = "(") -> str:
    return opener * depth + inner + ")" * depth


@pytest.mark.parametrize(
    "text",
    [
        _nested("age", 300),
        _nested("npm1 + age", 300),
        _nested("age", 300, "C("),
        "npm1 + " + _nested("age", _MAX_DEPTH + 1),
    ],
    ids=["parens", "sum", "calls", "one_over"],
)
def test_deep_formula_is_a_formula_error_naming_limit_and_fix(text):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    message = str(info.value)
    assert f"the limit is {_MAX_DEPTH}" in message
    assert "Remove the redundant parentheses" in message
    assert message.startswith("formula '" + text[:10])
    assert isinstance(info.value, CohortError)


def test_depth_at_the_limit_still_parses():
    assert parse_formula(_nested("age", _MAX_DEPTH)).term_labels == ("age",)
    assert parse_formula(_nested("npm1 * age", _MAX_DEPTH)).term_labels == (
        "npm1",
        "age",
        "npm1:age",
    )


def test_cox_from_python_refuses_the_deep_formula_not_recursion():
    frame = pd.read_csv(DATA)
    for column in ("npm1", "flt3_itd"):
        frame[column] = frame[column].astype("boolean")
    with pytest.raises(FormulaError, match="nests parentheses 300 deep"):
        cohort.cox(frame, _nested("age", 300), "os")


def test_yaml_mapping_nested_5000_deep_is_refused(tmp_path):
    for name, text in {
        "flow_maps.yaml": "values: " + "{a: " * 5000 + "x" + "}" * 5000 + "\n",
        "flow_lists.yaml": "missing: " + "[" * 5000 + "x" + "]" * 5000 + "\n",
    }.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(MappingError, match=f"{name}, line 1: nested more than 8 levels"):
            read_mapping(path)


def test_python_dict_mapping_nested_5000_deep_is_a_mapping_error():
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(MappingError, match=r"values\.a\.a is dict .*not a single value"):
        read_mapping({"values": deep})
    with pytest.raises(MappingError, match=r"columns\.a is dict .*not a text"):
        read_mapping({"columns": deep})
