"""The data layer lives in cohort.io: old module paths still work (with a DeprecationWarning), no
cohort module imports an old path, and the data layer imports neither the datasets nor Dask."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pandas as pd
import pytest

import cohort
from cohort._moved import MOVED, public_names

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_no_cohort_module_imports_an_old_path():
    """Every module of the package imports with cohort's DeprecationWarnings made errors, and
    afterwards no old path has been imported (in a fresh interpreter: nothing cached)."""
    done = _python(
        """
        import importlib, pkgutil, sys, warnings
        warnings.filterwarnings("error", category=DeprecationWarning, message=r"cohort\\.")
        import cohort
        from cohort._moved import OLD_PATHS
        names = [m.name for m in pkgutil.walk_packages(cohort.__path__, "cohort.")]
        skipped = set(OLD_PATHS) | {"cohort.__main__"}
        for name in names:
            if name not in skipped:
                importlib.import_module(name)
        print(len(names), sorted(set(OLD_PATHS) & set(sys.modules)))
        """
    )
    assert done.returncode == 0, done.stderr[-3000:]
    n, imported = done.stdout.split(" ", 1)
    assert int(n) > 60  # the walk saw the whole package, subpackages included
    assert imported.strip() == "[]"


def test_the_data_layer_imports_neither_datasets_nor_dask():
    """cohort.io and cohort.load's module import no dataset reader and no Dask engine (the
    loading <-> dask_engine <-> datasets circle is gone)."""
    done = _python(
        """
        import sys, pkgutil, importlib
        import cohort.io
        for m in pkgutil.walk_packages(cohort.io.__path__, "cohort.io."):
            importlib.import_module(m.name)
        print(sorted(m for m in sys.modules if m.startswith(("cohort.datasets", "cohort.dask",
              "cohort.scale", "dask"))))
        """
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_warns_and_offers_the_same_names(old):
    new = importlib.import_module(MOVED[old])
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {MOVED[old]}; the old path works"):
        shim = importlib.import_module(old)
    names = public_names(new)
    assert names and sorted(shim.__all__) == sorted(names)
    for name in names:
        if (old, name) != ("cohort.loading", "load"):
            assert getattr(shim, name) is getattr(new, name), name
    assert shim.__all__ == names


def _old(path: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module(path)


OLD_PATH_USES = {
    "cohort.loading": lambda m: len(m.load(pd.DataFrame({"patient_id": ["a", "b"]})).data) == 2,
    "cohort.normalise": lambda m: m.token(" Wild_Type ") == "wild type",
    "cohort.validation": lambda m: m.problem_scope("os_days") == "os",
    "cohort._input_checks": lambda m: m.strip_inner_boms("a\n\ufeffb", "f")[0] == "a\nb",
    "cohort.mapping": lambda m: (
        m.read_mapping({"columns": {"ID": "patient_id"}}).columns == {"ID": "patient_id"}
    ),
    "cohort.endpoints": lambda m: "os_days" in m.DERIVED_COLUMNS,
    "cohort.mutations": lambda m: callable(m.pivot_variants),
    "cohort.mrd": lambda m: m.VERSION == importlib.import_module("cohort.io.mrd").VERSION,
    "cohort.export": lambda m: m.neutralise_cell("=1+1") == "'=1+1",
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_still_works(old):
    assert OLD_PATH_USES[old](_old(old))


def test_old_loading_load_keeps_the_dataset_folder_and_the_engine_argument():
    """cohort.loading.load was the public load: a bundled folder still loads through it."""
    folder = Path(cohort.__file__).parent / "datasets" / "amlsg"
    c = _old("cohort.loading").load(folder)
    assert len(c.data) == len(cohort.datasets.load("amlsg").data)
    with pytest.raises(cohort.LoadError, match="engine must be"):
        _old("cohort.loading").load(folder, engine="spark")


def test_public_mrd_attribute_is_the_data_layer_module():
    assert cohort.mrd.classify is importlib.import_module("cohort.io.mrd").classify
