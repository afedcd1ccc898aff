"""The bundled real AML cohorts and the readers of their own file layouts.

Three public, de-identified cohorts ship with the package, each in its own folder with a
``SOURCE.md`` (provenance, licence, attribution) and described in ``docs/datasets.md``:

- ``amlsg``: AMLSG 1,540 intensively treated patients (Papaemmanuil et al. NEJM 2016; Gerstung et
  al. Nat Genet 2017), GPL-3;
- ``beataml``: Beat AML 2.0 derived, 805 patients (Bottomly et al. Cancer Cell 2022), CC BY 4.0;
- ``tcga``: TCGA LAML, 200 adult de novo AML (TCGA Research Network, NEJM 2013).

``cohort.datasets.load("amlsg")`` returns the bundled cohort through :func:`cohort.load`;
:func:`read_folder` reads a folder holding a dataset's original files (used by ``cohort.load``
with ``mapping="amlsg"``, ``"beataml"`` or ``"tcga"``). Each folder's ``mapping.yaml`` is the
preset of the same name for the dataset's main table read on its own.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from cohort.datasets.readers import RawDataset
from cohort.errors import LoadError

if TYPE_CHECKING:
    from cohort.cohort import Cohort

NAMES: tuple[str, ...] = ("amlsg", "beataml", "tcga")
"""Names of the bundled datasets (and of the matching mapping presets)."""

DATA_DIR = Path(__file__).parent


def _check_name(name: str) -> str:
    key = str(name).strip().lower()
    if key not in NAMES:
        raise LoadError(f"Unknown dataset {name!r}. The bundled datasets are {', '.join(NAMES)}.")
    return key


def path(name: str) -> Path:
    """The folder of a bundled dataset (its original files and ``SOURCE.md``).

    Parameters
    ----------
    name : {"amlsg", "beataml", "tcga"}

    Returns
    -------
    pathlib.Path
    """
    return DATA_DIR / _check_name(name)


# A file that only the dataset's own folder holds, to recognise a folder given without a name.
SIGNATURE_FILES = {
    "amlsg": "AMLSG_Clinical_Anon.tsv",
    "beataml": "patients_from_cohort_json.tsv",
    "tcga": "tcga_laml_annot.tsv",
}


def _detect(folder: Path) -> str:
    found = [n for n, f in SIGNATURE_FILES.items() if (folder / f).is_file()]
    if len(found) != 1:
        raise LoadError(
            f"Cannot tell which dataset the folder {folder} holds; name it: read_folder(path, name) "
            f"or cohort.load(path, mapping=name) with name one of {', '.join(NAMES)}."
        )
    return found[0]


def read_folder(path: str | Path, name: str | None = None) -> RawDataset:
    """Read a folder holding one of the supported datasets' original files.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder (e.g. the bundled ``cohort/datasets/amlsg`` or a fresh download of the same files).
    name : {"amlsg", "beataml", "tcga"}, optional
        Which dataset layout to read; when None, recognised from the files in the folder.

    Returns
    -------
    RawDataset
        Canonical frame, long variant table, sequenced patients, files read and decision notes.

    Raises
    ------
    LoadError
        Unknown name, missing folder or file, or a file lacking the columns the reader needs.
    """
    folder = Path(path)
    key = _detect(folder) if name is None else _check_name(name)
    module = importlib.import_module(f"cohort.datasets.{key}")
    return module.read(folder)


def load(name: str) -> Cohort:
    """The bundled cohort ``name`` as a :class:`~cohort.Cohort` (via :func:`cohort.load`).

    Parameters
    ----------
    name : {"amlsg", "beataml", "tcga"}

    Returns
    -------
    cohort.Cohort

    Examples
    --------
    >>> import cohort
    >>> amlsg = cohort.datasets.load("amlsg")  # doctest: +SKIP
    >>> int(amlsg.data["npm1"].sum())  # doctest: +SKIP
    436
    """
    from cohort.io.loading import load_folder

    key = _check_name(name)
    return load_folder(read_folder(DATA_DIR / key, key), DATA_DIR / key, key)


__all__ = ["NAMES", "RawDataset", "load", "path", "read_folder"]
