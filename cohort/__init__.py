"""cohort: survival analysis of NPM1-mutated AML cohorts.

The public API is re-exported here lazily (so that ``import cohort`` stays fast and loads no
plotting backend): ``cohort.load``, ``cohort.classify``, ``cohort.km``, ``cohort.cox``, ...
"""

from __future__ import annotations

import importlib
from typing import Any

from cohort.cohort import Cohort
from cohort.errors import (
    ClassificationError,
    CohortError,
    CohortValidationError,
    CohortWarning,
    DataQualityWarning,
    FormulaError,
    LoadError,
    MappingError,
    ModelError,
    SchemaError,
    StatisticalWarning,
)

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "load": "cohort.loader",
    "load_mrd": "cohort.io.loading",
    "classify": "cohort.stratify",
    "explain": "cohort.stratify",
    "genotype_groups": "cohort.stratify.groups",
    "reclassify": "cohort.stratify.reclassify",
    "km": "cohort.survival.kaplan_meier",
    "cox": "cohort.survival.cox",
    "cuminc": "cohort.survival.competing",
    "finegray": "cohort.survival.finegray",
    "landmark": "cohort.survival.landmark",
    "cox_time_varying": "cohort.survival.time_varying",
    "mantel_byar": "cohort.survival.time_varying",
    "simon_makuch": "cohort.survival.time_varying",
    "compare_systems": "cohort.survival.discrimination",
    "concordance": "cohort.survival.discrimination",
    "rmst": "cohort.survival.restricted_mean",
    "logrank": "cohort.survival.log_rank",
    "logrank_trend": "cohort.survival.log_rank",
    "pairwise_logrank": "cohort.survival.log_rank",
    "median_follow_up": "cohort.survival.kaplan_meier",
}
_SUBMODULES = {
    "cytogenetics",
    "datasets",
    "synthetic",
    "mrd",
    "plots",
    "report",
    "schema",
    "stratify",
}

# public submodules that moved: ``cohort.mrd`` is the MRD module of the data layer
_SUBMODULE_PATHS = {"mrd": "cohort.io.mrd"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        return getattr(module, name)
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULE_PATHS.get(name, f"cohort.{name}"))
    raise AttributeError(f"module 'cohort' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)


__all__ = [
    "ClassificationError",
    "Cohort",
    "CohortError",
    "CohortValidationError",
    "CohortWarning",
    "DataQualityWarning",
    "FormulaError",
    "LoadError",
    "MappingError",
    "ModelError",
    "SchemaError",
    "StatisticalWarning",
    "__version__",
    *_LAZY,
]
