"""The rule engine's modules: the public functions of ``cohort.stratify`` are not shadowed by its
submodules, and notes read the rows through ``rows_condition``. (The deprecated
``cohort.stratify._common`` path is checked in ``test_deprecated_paths.py``.)"""

from __future__ import annotations

import importlib

import cohort.stratify


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
