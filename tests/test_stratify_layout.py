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
