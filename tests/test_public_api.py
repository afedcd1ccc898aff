"""The public API does not move: every name users could import in release 0.1.0 still imports.

``tests/data/public_api_0.1.0.json`` lists each public module of 0.1.0 (no underscore in its
path) with its public names (``__all__``, or the functions and classes it defined). The layout
may change behind them; a module that moved keeps its old path for one release as a shim that
warns with a ``DeprecationWarning``. The names of the top-level ``cohort`` namespace and the
import paths the README and docs show must import without any warning.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import cohort

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
API = json.loads((TESTS / "data" / "public_api_0.1.0.json").read_text())


@pytest.mark.parametrize("module", sorted(m for m in API if m != "cohort"))
def test_every_010_module_path_still_imports_with_its_names(module: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        mod = importlib.import_module(module)
    missing = [name for name in API[module] if not hasattr(mod, name)]
    assert not missing, f"{module} lost public names {missing}"


@pytest.mark.parametrize("name", API["cohort"])
def test_top_level_names_resolve_without_a_warning(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = getattr(cohort, name)
    assert value is not None


def _documented_imports() -> list[tuple[str, list[str]]]:
    pattern = re.compile(r"from (cohort(?:\.[a-z_0-9]+)*) import ([A-Za-z_][A-Za-z_0-9, ]*)")
    found: dict[str, set[str]] = {}
    sources = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for path in sources:
        for module, names in pattern.findall(path.read_text(encoding="utf-8")):
            if any(part.startswith("_") for part in module.split(".")):
                continue
            found.setdefault(module, set()).update(
                n.strip() for n in names.split(",") if n.strip() and not n.strip().startswith("_")
            )
    return sorted((module, sorted(names)) for module, names in found.items())


DOCUMENTED = _documented_imports()


def test_the_docs_show_some_import_paths() -> None:
    assert len(DOCUMENTED) >= 3


def test_import_paths_shown_in_the_docs_work_without_a_deprecation_warning() -> None:
    # a fresh interpreter: in this one the modules are already imported and would not warn again
    lines = [f"from {module} import {', '.join(names)}" for module, names in DOCUMENTED]
    done = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", "\n".join(lines)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
