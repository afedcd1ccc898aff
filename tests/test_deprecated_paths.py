"""Module paths that moved keep working for one release: each old path warns with a
DeprecationWarning and re-exports every old name as the very object of its new module, and no
module of the package imports an old path (so users see the warning only for their own imports)."""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

import pytest

import cohort
from cohort._moved import OLD_PATHS

PACKAGE = pathlib.Path(cohort.__file__).parent

#: old module -> {name: new module}
MOVED: dict[str, dict[str, str]] = {
    "cohort.stratify._common": {
        "Tri": "cohort.stratify.logic",
        "Inputs": "cohort.stratify.inputs",
        "recording_columns": "cohort.stratify.inputs",
        "Terms": "cohort.stratify.terms",
        **{
            n: "cohort.stratify.rule_table"
            for n in (
                "Rule Modifier Option resolve_options options_table rules_table ELN_CATEGORIES "
                "NOT_APPLICABLE RESULT_COLUMNS"
            ).split()
        },
        "walk": "cohort.stratify.walk",
        "run": "cohort.stratify.walk",
        "explain_rules": "cohort.stratify.explanation",
        "row_frame": "cohort.stratify.explanation",
    },
    "cohort.report.extra_blocks": {
        **{
            n: "cohort.report.prose"
            for n in "fmt_p describe_km describe_cuminc describe_cox".split()
        },
        **{
            n: "cohort.report.guarded"
            for n in "MIN_EVENTS MIN_PATIENTS guarded_km guarded_cuminc guarded_cox".split()
        },
        **{
            n: "cohort.report.subsets"
            for n in "UNDETERMINED group_flow npm1_mutated ordered classification".split()
        },
        "reclassification_block": "cohort.report.classification_blocks",
        "compare_systems_block": "cohort.report.classification_blocks",
        **{
            n: "cohort.report.exposure_blocks"
            for n in "mrd_block simon_makuch_block time_varying_block landmark_block".split()
        },
        "comutation_block": "cohort.report.blocks",
    },
    "cohort.coxph": {
        "CoxResult": "cohort.survival.cox",
        "cox": "cohort.survival.cox",
        "cox_zph": "cohort.survival.zph",
    },
    "cohort.competing_risks": {
        **{
            n: "cohort.survival.competing"
            for n in "CAUSE_NAMES CumulativeIncidenceResult cuminc".split()
        },
        "FineGrayResult": "cohort.survival.finegray",
        "finegray": "cohort.survival.finegray",
    },
    "cohort.formula": {
        n: "cohort.survival.formula" for n in "Factor Formula design_matrix parse_formula".split()
    },
    "cohort.landmarking": {
        n: "cohort.survival.landmark" for n in "LandmarkResult landmark".split()
    },
    "cohort.time_varying": {
        **{
            n: "cohort.survival.time_varying"
            for n in (
                "MantelByarResult SimonMakuchResult TimeVaryingCoxResult cox_time_varying "
                "mantel_byar simon_makuch"
            ).split()
        },
        **{n: "cohort.survival.tmerge" for n in "SplitData split_changes split_exposure".split()},
    },
    "cohort.discrimination": {
        n: "cohort.survival.discrimination"
        for n in (
            "Concordance SystemComparison brier_score compare_systems concordance "
            "concordance_fit integrated_brier time_dependent_auc"
        ).split()
    },
}

CHECK = """
import importlib, json, sys, warnings
old, moved = sys.argv[1], json.loads(sys.argv[2])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    module = importlib.import_module(old)
assert any(issubclass(w.category, DeprecationWarning) and old in str(w.message)
           for w in caught), [str(w.message) for w in caught]
assert sorted(module.__all__) == sorted(moved), (sorted(module.__all__), sorted(moved))
for name, new in moved.items():
    assert getattr(module, name) is getattr(importlib.import_module(new), name), name
"""


def test_every_old_path_is_listed_once():
    assert set(MOVED) <= OLD_PATHS


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_warns_and_re_exports_every_name(old):
    done = subprocess.run(
        [sys.executable, "-c", CHECK, old, json.dumps(MOVED[old])], capture_output=True, text=True
    )
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


def test_no_module_of_the_package_imports_an_old_path():
    shims = {PACKAGE.parent / (old.replace(".", "/") + ".py") for old in OLD_PATHS}
    users = [
        f"{p.relative_to(PACKAGE.parent)} imports {old}"
        for p in PACKAGE.rglob("*.py")
        if p not in shims
        for old in sorted(_imported_modules(p) & OLD_PATHS)
    ]
    assert users == []


IMPORT_ALL = """
import importlib, sys, warnings
warnings.filterwarnings("error", message=r"cohort\\.", category=DeprecationWarning)
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


def test_every_module_but_the_shims_imports_without_a_deprecation_warning():
    shims = {PACKAGE.parent / (old.replace(".", "/") + ".py") for old in OLD_PATHS}
    names = sorted(
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in PACKAGE.rglob("*.py")
        if p not in shims and p.name != "__main__.py"
    )
    assert "cohort.survival.kaplan_meier" in names
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, *names], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
