"""One decorator per public analysis: a Dask cohort goes to the distributed path.

``@scales("km")`` on :func:`cohort.km` (one line in the module that defines it) makes
``cohort.km(dask_cohort, ...)`` call the distributed implementation registered in
:data:`DISTRIBUTED`, with the same arguments, returning the same result class. An implementation
may raise :class:`NotDistributed` for arguments it does not cover (e.g. case weights); the
analysis then runs in memory on the gathered rows *if* they number at most
:data:`MATERIALISE_MAX_ROWS` (announced by a :class:`~cohort.errors.ScaleWarning`), and otherwise
raises :class:`~cohort.errors.ScaleError` naming the function and what to do. In-memory input
(a :class:`~cohort.Cohort` or a pandas DataFrame) goes straight to the function, unchanged.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

from cohort.errors import ScaleError, ScaleWarning

__all__ = ["DISTRIBUTED", "MATERIALISE_MAX_ROWS", "NotDistributed", "is_dask", "scales"]

F = TypeVar("F", bound=Callable[..., Any])

MATERIALISE_MAX_ROWS = 2_000_000
"""Largest Dask cohort (rows) an analysis without a distributed path gathers into memory."""

DISTRIBUTED: dict[str, str] = {
    "km": "cohort.scale.survival:km",
    "logrank": "cohort.scale.survival:logrank",
    "pairwise_logrank": "cohort.scale.survival:pairwise_logrank",
    "rmst": "cohort.scale.survival:rmst",
    "cox": "cohort.scale.cox:cox",
    "cuminc": "cohort.scale.competing:cuminc",
    "finegray": "cohort.scale.finegray:finegray",
    "landmark": "cohort.scale.landmark:landmark",
    "classify": "cohort.scale.rowwise:classify",
    "genotype_groups": "cohort.scale.rowwise:genotype_groups",
}
"""Public function name -> ``module:function`` of its distributed path (same signature)."""


class NotDistributed(Exception):
    """Raised by a distributed implementation for arguments it does not cover (internal)."""


def is_dask(data: object) -> bool:
    """True for a DaskCohort or a dask DataFrame (without importing dask for other input)."""
    if type(data).__name__ == "DaskCohort" and hasattr(data, "npartitions"):
        return True
    module = type(data).__module__ or ""
    return module.startswith(("dask.", "dask_expr")) and hasattr(data, "npartitions")


def dask_frame(data: Any) -> Any:
    """The dask DataFrame of a DaskCohort or a dask DataFrame."""
    return data.data if type(data).__name__ == "DaskCohort" else data


def materialise(data: Any, what: str, reason: str) -> Any:
    """The rows of a Dask cohort as an in-memory Cohort, if there are few enough.

    Raises
    ------
    ScaleError
        More than :data:`MATERIALISE_MAX_ROWS` rows.
    """
    from cohort.cohort import Cohort

    frame = dask_frame(data)
    n = int(frame.shape[0].compute())
    if n > MATERIALISE_MAX_ROWS:
        raise ScaleError(
            f"{what} has no distributed path for this call ({reason}) and the Dask cohort has {n} "
            f"rows, more than cohort.scale.dispatch.MATERIALISE_MAX_ROWS = {MATERIALISE_MAX_ROWS}. "
            "Analyse a filtered or sampled subset (e.g. dask_cohort.data[...].compute()) in "
            "memory, or raise the limit if the client has the memory."
        )
    warnings.warn(
        f"{what}: no distributed path for this call ({reason}); the {n} rows of the Dask cohort "
        "were gathered into memory on the client.",
        ScaleWarning,
        stacklevel=3,
    )
    pdf = frame.compute().reset_index(drop=True)
    if type(data).__name__ != "DaskCohort":
        return pdf
    excl = data.exclusions.drop(columns="partition", errors="ignore")
    return Cohort(data=pdf, exclusions=excl, provenance=dict(data.provenance), report=data.report)


def _implementation(name: str) -> Callable[..., Any] | None:
    target = DISTRIBUTED.get(name)
    if target is None:
        return None
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def scales(name: str, *, position: int = 0, keyword: str = "data") -> Callable[[F], F]:
    """Decorate a public analysis so that it accepts a Dask cohort as its data argument.

    Parameters
    ----------
    name : str
        The public name (``"km"``); its distributed path is looked up in :data:`DISTRIBUTED`.
    position, keyword : int, str
        Where the data argument is (first positional argument named ``data`` by default).
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            data = args[position] if len(args) > position else kwargs.get(keyword)
            if data is None or isinstance(data, pd.DataFrame) or not is_dask(data):
                return func(*args, **kwargs)
            what = f"cohort.{name}"
            impl = _implementation(name)
            reason = "not written yet"
            if impl is not None:
                try:
                    return impl(*args, **kwargs)
                except NotDistributed as exc:
                    reason = str(exc)
            gathered = materialise(data, what, reason)
            if len(args) > position:
                return func(*args[:position], gathered, *args[position + 1 :], **kwargs)
            return func(*args, **{**kwargs, keyword: gathered})

        wrapper.__wrapped__ = func  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
