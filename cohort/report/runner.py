"""Running analysis scripts into reports: ``cohort report`` and ``python analyses/<name>.py``.

An analysis script in ``analyses/`` defines ``TITLE``, ``QUESTION`` and ``analyse(cohort, report)``
and ends with ``if __name__ == "__main__": run_script(__file__)``. It can be run on the default
synthetic cohort or on any cohort file given as an argument.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from cohort.cohort import Cohort
from cohort.errors import CohortError
from cohort.report.document import Report

REPO_ROOT = Path(__file__).resolve().parents[2]
ANALYSES_DIR = REPO_ROOT / "analyses"
DEFAULT_COHORT = REPO_ROOT / "synthetic_data" / "npm1_cohort.csv"
DEFAULT_MRD = REPO_ROOT / "synthetic_data" / "npm1_mrd.csv"


class AnalysisNotFoundError(CohortError):
    """An analysis name that matches no script in analyses/."""


def available_analyses() -> list[str]:
    """Names of the analysis scripts (file stems in ``analyses/``)."""
    if not ANALYSES_DIR.is_dir():
        return []
    return sorted(p.stem for p in ANALYSES_DIR.glob("*.py") if not p.name.startswith("_"))


def _module(name: str) -> ModuleType:
    path = ANALYSES_DIR / f"{name}.py"
    if not path.is_file():
        raise AnalysisNotFoundError(
            f"no analysis named {name!r} in {ANALYSES_DIR}. Available: {', '.join(available_analyses()) or 'none'}"
            " (analyses live in the repository checkout; install with 'pip install -e .')."
        )
    spec = importlib.util.spec_from_file_location(f"cohort_analysis_{name}", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def load_cohort(data: str | Path | None, mapping: str | None = None) -> Cohort:
    """The cohort to analyse: ``data`` (a file, folder or bundled dataset name) or the default synthetic one."""
    import cohort

    if data is None:
        mrd = DEFAULT_MRD if DEFAULT_MRD.is_file() else None
        if DEFAULT_COHORT.is_file():
            return cohort.load(DEFAULT_COHORT, mrd=mrd)
        from cohort.synthetic import generate

        return generate(2000, seed=2020)
    if str(data) in ("amlsg", "beataml", "tcga") and not Path(str(data)).exists():
        from cohort import datasets

        return datasets.load(str(data))
    return cohort.load(data, mapping=mapping)


def run_analysis(
    name: str, c: Cohort, *, include_ids: bool = False, command_line: str = ""
) -> Report:
    """Build the report of one analysis on cohort ``c``."""
    module = _module(name)
    report = Report(
        c,
        title=getattr(module, "TITLE", name),
        question=getattr(module, "QUESTION", ""),
        include_ids=include_ids,
        command_line=command_line,
        seed=getattr(module, "SEED", None),
    )
    module.analyse(c, report)
    return report


def run_report(
    data: str | Path | None = None,
    *,
    mapping: str | None = None,
    analysis: str = "all",
    out: str | Path = "reports",
    include_ids: bool = False,
    command_line: str = "",
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Path]:
    """Run one analysis (or ``"all"``) on a cohort and write the reports; returns the files written.

    ``progress(name, done, total)`` is called before each analysis and once at the end (the CLI
    draws a progress bar with it).
    """
    c = load_cohort(data, mapping)
    names = available_analyses() if analysis == "all" else [analysis]
    if not names:
        raise AnalysisNotFoundError(f"no analysis scripts found in {ANALYSES_DIR}.")
    written: list[Path] = []
    for i, name in enumerate(names):
        if progress is not None:
            progress(name, i, len(names))
        report = run_analysis(name, c, include_ids=include_ids, command_line=command_line)
        written += report.write(out, stem=name)
    if progress is not None:
        progress("done", len(names), len(names))
    if analysis == "all":
        written.append(_write_index(Path(out), names))
    return written


def _write_index(out: Path, names: list[str]) -> Path:
    items = "\n".join(f'<li><a href="{n}.html">{n}</a></li>' for n in names)
    path = out / "index.html"
    path.write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>cohort reports</title></head><body>"
        f"<h1>cohort reports</h1><ul>{items}</ul></body></html>\n",
        encoding="utf-8",
    )
    return path


def run_script(script_file: str, argv: list[str] | None = None) -> list[Path]:
    """Command line of an analysis script: ``python analyses/NAME.py [DATA] [--mapping M] [--out DIR]``."""
    name = Path(script_file).stem
    parser = argparse.ArgumentParser(prog=f"analyses/{name}.py", description=_module(name).__doc__)
    parser.add_argument(
        "data",
        nargs="?",
        default=None,
        help="cohort file or folder (default: the synthetic cohort)",
    )
    parser.add_argument("--mapping", default=None)
    parser.add_argument("--out", default=str(REPO_ROOT / "reports"))
    parser.add_argument("--include-ids", action="store_true")
    args = parser.parse_args(argv)
    try:
        written = run_report(
            args.data,
            mapping=args.mapping,
            analysis=name,
            out=args.out,
            include_ids=args.include_ids,
            command_line=" ".join([f"analyses/{name}.py", *(argv or sys.argv[1:])]),
        )
    except CohortError as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    for p in written:
        print(f"wrote {p}")
    return written
