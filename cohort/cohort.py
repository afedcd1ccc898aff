"""The :class:`Cohort` container: a canonical table plus the account of every input row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cohort.errors import SchemaError

EXCLUSION_COLUMNS = ("row", "patient_id", "reason", "column", "value", "message", "scope")


def empty_exclusions() -> pd.DataFrame:
    """An exclusions table with no rows (columns: row, patient_id, reason, column, value, message)."""
    return pd.DataFrame({c: pd.Series([], dtype="object") for c in EXCLUSION_COLUMNS})


@dataclass
class Cohort:
    """A loaded cohort.

    Attributes
    ----------
    data : pandas.DataFrame
        The canonical table (see :mod:`cohort.schema`), one row per kept patient.
    exclusions : pandas.DataFrame
        One row per exclusion: ``row`` (input row number), ``patient_id``, ``reason`` (a stable
        code), ``column``, ``value``, ``message`` and ``scope``: ``"patient"`` when the row was
        left out, or the endpoint (``"os"``, ``"efs"``, ``"rfs"``, ``"cir"``) whose time and
        event were blanked for a patient who was kept. Invariant:
        ``n_input == len(data) + excluded_patients().row.nunique()``.
    provenance : dict
        File names, SHA-256 of each input, the mapping used, package version, load time options.
    report : dict
        The load report: derived values, disagreements, unparsed text, extra columns kept, warnings.
    mrd : pandas.DataFrame or None
        The NPM1 MRD long table (patient_id, days, sample, npm1_abl1_pct) when one was loaded.
    """

    data: pd.DataFrame
    exclusions: pd.DataFrame = field(default_factory=empty_exclusions)
    provenance: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    mrd: pd.DataFrame | None = None

    @property
    def n_input(self) -> int:
        """Number of input rows (kept + excluded patients)."""
        return len(self.data) + int(self.excluded_patients()["row"].nunique())

    def excluded_patients(self) -> pd.DataFrame:
        """The exclusions that removed a whole patient (``scope == "patient"``).

        The other rows of :attr:`exclusions` blanked one endpoint of a patient who was kept
        (``scope`` names the endpoint: ``"os"``, ``"efs"``, ``"rfs"`` or ``"cir"``).
        """
        excl = self.exclusions
        if "scope" not in excl.columns:
            return excl
        return excl[excl["scope"].isna() | (excl["scope"] == "patient")]

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return (
            f"Cohort(n={len(self.data)}, excluded={self.n_input - len(self.data)}, "
            f"columns={self.data.shape[1]})"
        )

    def subset(self, mask: pd.Series | Any, label: str | None = None) -> Cohort:
        """A new cohort restricted to rows where ``mask`` is True (missing counts as False).

        Rows left out are not exclusions (they are not analysed by design), so ``exclusions`` is
        carried over unchanged and the subset is recorded in ``provenance["subsets"]``.
        """
        m = pd.Series(mask, index=self.data.index).fillna(False).astype(bool)
        prov = dict(self.provenance)
        prov["subsets"] = list(prov.get("subsets", [])) + [
            {"label": label or "subset", "kept": int(m.sum()), "left_out": int((~m).sum())}
        ]
        mrd = self.mrd
        if mrd is not None:
            mrd = mrd[mrd["patient_id"].isin(self.data.loc[m, "patient_id"])]
        return Cohort(self.data.loc[m].copy(), self.exclusions, prov, dict(self.report), mrd)


def as_frame(
    data: Cohort | pd.DataFrame, *, required: tuple[str, ...] = (), what: str = ""
) -> pd.DataFrame:
    """The canonical DataFrame behind ``data``, checking that ``required`` columns exist.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    required : tuple of str
        Columns the caller needs.
    what : str
        Name of the calling analysis, for the error message.

    Raises
    ------
    SchemaError
        If ``data`` is neither a Cohort nor a DataFrame, or a required column is absent.
    """
    if isinstance(data, Cohort):
        frame = data.data
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise SchemaError(
            f"{what or 'this function'} expects a cohort.Cohort or a pandas DataFrame in the canonical "
            f"schema, got {type(data).__name__}. Load raw tables with cohort.load(path)."
        )
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{what or 'this function'} needs column(s) {', '.join(repr(m) for m in missing)}, which the "
            f"table does not have (it has {len(frame.columns)} columns). Map them with a mapping file "
            "in cohort.load, or derive them first."
        )
    return frame
