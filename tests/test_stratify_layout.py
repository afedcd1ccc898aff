"""The rule engine's modules: the deprecated ``cohort.stratify._common`` path still works and warns,
no module of the package imports it, and the public functions are not shadowed by submodules."""

from __future__ import annotations

import ast
import importlib
import pathlib
import subprocess
import sys

import cohort.stratify

PACKAGE = pathlib.Path(cohort.stratify.__file__).parent.parent


def test_old_engine_path_warns_and_re_exports_every_name():
    code = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    import cohort.stratify._common as c\n"
        "from cohort.stratify import explanation, inputs, logic, rule_table, terms, walk\n"
        "assert any(issubclass(x.category, DeprecationWarning) and '_common' in str(x.message)\n"
        "           for x in w), [str(x.message) for x in w]\n"
        "assert c.Tri is logic.Tri and c.Inputs is inputs.Inputs and c.Terms is terms.Terms\n"
        "assert c.Rule is rule_table.Rule and c.run is walk.run and c.walk is walk.walk\n"
        "assert c.explain_rules is explanation.explain_rules\n"
        "assert c.recording_columns is inputs.recording_columns\n"
        "for name in c.__all__:\n"
        "    getattr(c, name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_no_module_of_the_package_imports_the_deprecated_path():
    users = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "_common.py" and "cohort.stratify._common" in _imported_modules(p)
    ]
    assert users == []


def test_public_functions_survive_importing_every_engine_module():
    for name in ("logic", "inputs", "terms", "rule_table", "walk", "explanation"):
        importlib.import_module(f"cohort.stratify.{name}")
    for name in ("classify", "explain", "options", "rules", "categories", "category_counts"):
        assert callable(getattr(cohort.stratify, name)), name
        assert not isinstance(getattr(cohort.stratify, name), type(cohort.stratify)), name


def test_rows_condition_is_the_union_of_the_rows_and_names_a_wrong_id():
    import numpy as np
    import pandas as pd
    import pytest

    from cohort.stratify import eln2022
    from cohort.stratify.rule_table import resolve_options, rows_condition

    frame = pd.DataFrame(
        {
            "npm1": pd.array([True, True, None, False, True], dtype="boolean"),
            "flt3_itd": pd.array([False, True, False, None, None], dtype="boolean"),
            "t_8_21": pd.array([False, False, True, False, None], dtype="boolean"),
            "inv_16": pd.array([False] * 5, dtype="boolean"),
            "cebpa_bzip": pd.array([False] * 5, dtype="boolean"),
            "tp53": pd.array([False] * 5, dtype="boolean"),
        }
    )
    o = resolve_options("eln2022", eln2022.OPTIONS, {})
    t = eln2022.build_terms(eln2022.make_inputs(frame, o), o)
    by_id = {r.id: r for r in eln2022.RULES}
    got = rows_condition(eln2022.RULES, eln2022.FAVORABLE_ROWS, t)
    for part in ("true", "false"):
        want = np.zeros(len(frame), bool) if part == "true" else np.ones(len(frame), bool)
        for rid in eln2022.FAVORABLE_ROWS:
            cond = getattr(by_id[rid].condition(t), part)
            want = want | cond if part == "true" else want & cond
        assert (getattr(got, part) == want).all(), part
    assert got.true.any() and got.false.any() and got.unknown.any()
    with pytest.raises(KeyError, match="ELN2022-F9"):
        rows_condition(eln2022.RULES, ("ELN2022-F1", "ELN2022-F9"), t)
