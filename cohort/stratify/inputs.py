"""Reading canonical columns for the classifiers: flags and threshold comparisons as :class:`Tri`.

:class:`Inputs` reads each column once (an absent column is all unknown, never wild-type) and can
complete unknown values for the exact-candidate search; :func:`recording_columns` collects the names
of the columns the classifiers read (used by ``needs`` to know which tests matter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import pandas as pd

from cohort.errors import ClassificationError
from cohort.stratify.logic import Tri

_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<": np.less,
    "<=": np.less_equal,
}


class Inputs:
    """Canonical columns read as :class:`Tri` (flags) or compared with thresholds (numbers).

    Parameters
    ----------
    frame : pandas.DataFrame
    use_normal_karyotype : bool
        When True, a cytogenetic flag that is missing reads False for a patient whose
        ``normal_karyotype`` is True (a normal karyotype shows none of the listed abnormalities).
    cytogenetic_flags : iterable of str
        The flags to which ``use_normal_karyotype`` applies.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        use_normal_karyotype: bool = False,
        cytogenetic_flags: Iterable[str] = (),
    ):
        self.frame = frame
        self.n = len(frame)
        self._cyto = set(cytogenetic_flags) if use_normal_karyotype else set()
        self._forced: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._parent: Inputs | None = None
        self._idx: np.ndarray | None = None
        self._num_cache: dict[str, np.ndarray] = {}
        self._cache: dict[str, Tri] = {}
        self._seen: set[str] = set()

    def take(
        self, idx: np.ndarray, forced: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None
    ) -> Inputs:
        """The inputs of the patients at positions ``idx``, with unknown values completed by ``forced``.

        ``forced`` maps a column to ``(values, mask)`` boolean arrays (aligned with ``idx``): where
        ``mask`` is True and the column is unknown, the column reads ``values`` (for a number, the
        result of its comparison). The column arrays are shared with this object, not re-read.
        """
        child = Inputs.__new__(Inputs)
        child.frame = self.frame
        child.n = len(idx)
        child._cyto = self._cyto
        child._forced = dict(forced or {})
        child._parent = self if self._parent is None else self._parent
        child._idx = idx if self._idx is None else self._idx[idx]
        child._num_cache, child._cache = {}, {}
        child._seen = child._parent._seen  # one record of the columns read, kept by the root
        return child

    def has(self, name: str) -> bool:
        _record(name)
        self._seen.add(name)
        return name in self.frame.columns

    def read_columns(self) -> set[str]:
        """Names of every column read so far through this object, its root or any subset taken
        from it (values, missing masks or presence), including ``normal_karyotype`` when it
        completes a cytogenetic flag. Unlike :func:`recording_columns`, this is per cohort."""
        return set(self._seen)

    def distinct_rows(
        self, positions: np.ndarray, columns: Iterable[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Group the patients at ``positions`` by their values in ``columns``.

        Two patients are in one group when every one of ``columns`` present in the frame holds the
        same value for both (missing values of any kind are equal). Returns ``(first, inverse,
        counts)``: positions (into ``positions``) of each group's first patient, in order of first
        appearance; each patient's group; each group's size. None when a column's values cannot be
        compared (unhashable objects), so that the caller does not group.
        """
        if self._parent is not None:
            raise ValueError("distinct_rows reads the root inputs (a bug in the caller)")
        key = np.zeros(len(positions), np.int64)
        for name in sorted(c for c in set(columns) if c in self.frame.columns):
            try:
                codes, uniques = pd.factorize(
                    self.frame[name].iloc[positions], use_na_sentinel=True
                )
            except TypeError:
                return None
            # combine and renumber at once, so that the key stays below the number of patients
            key, _ = pd.factorize(key * (len(uniques) + 1) + (codes + 1))
            key = key.astype(np.int64)
        _, first, inverse, counts = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        order = np.argsort(first, kind="stable")  # groups in order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return first[order], rank[inverse.reshape(-1)], counts[order]

    def _bool_arrays(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(values, missing) of a boolean column over the whole frame; values are False where
        missing. Not cached: :meth:`_raw_flag` keeps the column's Tri only."""
        if name not in self.frame.columns:
            out = (np.zeros(self.n, bool), np.ones(self.n, bool))
        else:
            col = self.frame[name]
            if str(col.dtype) != "boolean":
                try:
                    col = col.astype("boolean")
                except (TypeError, ValueError) as exc:
                    bad = _first_bad(self.frame[name])
                    raise ClassificationError(
                        f"Column {name!r} must hold True/False/missing (pandas 'boolean'); value "
                        f"{bad!r} cannot be read as one. Load the table with cohort.load, or cast it "
                        f"with frame[{name!r}].astype('boolean') after recoding the values."
                    ) from exc
            out = (col.to_numpy(dtype=bool, na_value=False), col.isna().to_numpy())
        return out

    def _numbers(self, name: str) -> np.ndarray:
        """A numeric column as floats with NaN for missing (read once)."""
        if self._parent is not None:
            return self._parent._numbers(name)[self._idx]
        if name in self._num_cache:
            return self._num_cache[name]
        col = self.frame[name]
        try:
            x = pd.to_numeric(col, errors="raise")
        except (TypeError, ValueError) as exc:
            raise ClassificationError(
                f"Column {name!r} must be numeric; value {_first_bad(col)!r} is not a number. "
                "Load the table with cohort.load, or clean the column."
            ) from exc
        if isinstance(x.dtype, pd.api.extensions.ExtensionDtype):
            values = x.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = np.asarray(x, dtype=float)
        self._num_cache[name] = values
        return values

    def _raw_flag(self, name: str) -> Tri:
        self._seen.add(name)
        if name not in self._cache:
            if self._parent is not None:
                whole = self._parent._raw_flag(name)  # the root has no completions
                tri = Tri(whole.true[self._idx], whole.false[self._idx])
            else:
                # one Tri per column is all that is kept (1 byte per patient and array): ``values``
                # is already False where missing, so it is the "known True" array as it is
                values, missing = self._bool_arrays(name)
                tri = Tri(values, ~(values | missing))
            self._cache[name] = self._force(name, tri)
        return self._cache[name]

    def flag(self, name: str) -> Tri:
        """A boolean column as :class:`Tri`; an absent column is all unknown."""
        _record(name)
        tri = self._raw_flag(name)
        if name in self._cyto:
            normal = self._raw_flag("normal_karyotype")
            tri = Tri(tri.true, tri.false | (tri.unknown & normal.true))
        return tri

    def compare(self, name: str, op: str, threshold: float) -> Tri:
        """``column <op> threshold`` as :class:`Tri`; missing values and an absent column are unknown."""
        _record(name)
        self._seen.add(name)
        if name not in self.frame.columns:
            return self._force(name, Tri.unknown_of(self.n))
        values = self._numbers(name)
        known = ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            hit = _OPS[op](values, threshold)
        return self._force(name, Tri(hit & known, ~hit & known))

    def _force(self, name: str, tri: Tri) -> Tri:
        """Apply a completion: where the column is unknown and forced, use the forced truth."""
        if name not in self._forced:
            return tri
        values, mask = self._forced[name]
        mask = mask & tri.unknown
        return Tri(tri.true | (mask & values), tri.false | (mask & ~values))

    def unknown(self, name: str) -> np.ndarray:
        """Missing mask of a column (all True when the column is absent), after completions and
        the normal-karyotype reading."""
        if name in self._cyto:
            return self.flag(name).unknown
        missing = self._missing(name)
        if name in self._forced:
            missing = missing & ~self._forced[name][1]
        return missing

    def _missing(self, name: str) -> np.ndarray:
        self._seen.add(name)
        if self._parent is not None:
            return self._parent._missing(name)[self._idx]
        if name not in self.frame.columns:
            return np.ones(self.n, bool)
        return self.frame[name].isna().to_numpy()


_READ: list[set[str]] = []


def _record(name: str) -> None:
    if _READ:
        _READ[-1].add(name)


@contextmanager
def recording_columns() -> Iterator[set[str]]:
    """Collect the names of the columns that classifiers read inside the ``with`` block."""
    seen: set[str] = set()
    _READ.append(seen)
    try:
        yield seen
    finally:
        _READ.pop()


def _first_bad(col: pd.Series) -> object:
    for value in col.dropna().unique()[:50]:
        try:
            pd.Series([value]).astype("boolean")
        except (TypeError, ValueError):
            return value
    return col.dropna().iloc[0] if col.notna().any() else None
