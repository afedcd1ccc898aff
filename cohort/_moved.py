"""Old module paths of the data layer, kept for one release: each warns once and re-exports.

``cohort.loading`` and the other data-layer modules moved to :mod:`cohort.io`; the module left at
each old path calls :func:`reexport`, which copies the new module's public names into it and
issues one :class:`DeprecationWarning` when it is imported. Code inside ``cohort`` imports the new
paths only (a test imports every module with the warning turned into an error).
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

MOVED = {
    "cohort.loading": "cohort.io.loading",
    "cohort.normalise": "cohort.io.normalise",
    "cohort.validation": "cohort.io.validation",
    "cohort._input_checks": "cohort.io.checks",
    "cohort.mapping": "cohort.io.mapping",
    "cohort.endpoints": "cohort.io.endpoints",
    "cohort.mutations": "cohort.io.mutations",
    "cohort.mrd": "cohort.io.mrd",
    "cohort.export": "cohort.io.export",
}
"""Old module path -> new module path."""

OLD_PATHS = frozenset(
    {
        *MOVED,
        "cohort.stratify._common",
        "cohort.report.extra_blocks",
        "cohort.coxph",
        "cohort.competing_risks",
        "cohort.formula",
        "cohort.landmarking",
        "cohort.time_varying",
        "cohort.discrimination",
    }
)
"""Every module path kept for one release after a move (the data layer's re-export through
:func:`reexport`; the others import their names explicitly); each warns when imported, and no
module of the package imports one."""


def public_names(module: Any) -> list[str]:
    """The names a module offers: its ``__all__``, else every name not starting with ``_``."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_") and n != "annotations"]
    return list(names)


def reexport(old: str, namespace: dict[str, Any], overrides: dict[str, Any] | None = None) -> None:
    """Fill the old module's ``namespace`` with the public names of its new module, and warn.

    Parameters
    ----------
    old : str
        The old module path (a key of :data:`MOVED`).
    namespace : dict
        The old module's ``globals()``.
    overrides : dict, optional
        Names whose object at the old path is not the new module's (``cohort.loading.load`` is the
        public :func:`cohort.load`, which also reads dataset folders and runs the Dask engine).
    """
    new = MOVED[old]
    module = importlib.import_module(new)
    names = public_names(module)
    namespace.update({n: getattr(module, n) for n in names})
    namespace.update(overrides or {})
    namespace["__all__"] = names
    warnings.warn(
        f"{old} moved to {new}; the old path works until the next release",
        DeprecationWarning,
        stacklevel=3,
    )
