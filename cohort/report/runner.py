"""Running analysis scripts into reports: ``cohort report`` and ``python analyses/<name>.py``.

An analysis script in ``analyses/`` defines ``TITLE``, ``QUESTION`` and ``analyse(cohort, report)``
and ends with ``if __name__ == "__main__": run_script(__file__)``. It can be run on the default
synthetic cohort or on any cohort file given as an argument.

An analysis *name* selects one of the shipped scripts only: it must match ``[a-z0-9_]+`` and be listed
by :func:`available_analyses`, so a name can never point at a file elsewhere. Running a user's own
analysis file is a separate, explicit request (``analysis_file=`` / ``cohort report
--analysis-file PATH``; see ``docs/security.md``).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from types import ModuleType

from cohort.cohort import Cohort
from cohort.errors import CohortError, OutputError
from cohort.report.document import Report
from cohort.report.needs import describe, join, lacking

REPO_ROOT = Path(__file__).resolve().parents[2]
ANALYSES_DIR = REPO_ROOT / "analyses"
DEFAULT_COHORT = REPO_ROOT / "synthetic_data" / "npm1_cohort.csv"
DEFAULT_MRD = REPO_ROOT / "synthetic_data" / "npm1_mrd.csv"


ANALYSIS_NAME = re.compile(r"[a-z0-9_]+")
"""What an analysis name may contain: no path separator, dot or drive letter can reach a file."""


class AnalysisNotFoundError(CohortError):
    """An analysis name that matches no script in analyses/ (or is not a valid name at all)."""


def available_analyses() -> list[str]:
    """Names of the shipped analysis scripts (file stems in ``analyses/``)."""
    if not ANALYSES_DIR.is_dir():
        return []
    return sorted(
        p.stem
        for p in ANALYSES_DIR.glob("*.py")
        if not p.name.startswith("_") and ANALYSIS_NAME.fullmatch(p.stem)
    )


def _shipped_path(name: str) -> Path:
    """The script of a shipped analysis; anything but a listed name is refused before any file is touched."""
    available = available_analyses()
    if not isinstance(name, str) or not ANALYSIS_NAME.fullmatch(name) or name not in available:
        hint = (
            " An analysis name is a lower-case word such as 'overview', never a path; to run your "
            "own analysis file, give it explicitly with --analysis-file PATH (Python: "
            "analysis_file=PATH)."
            if isinstance(name, str) and not ANALYSIS_NAME.fullmatch(name)
            else " (analyses live in the repository checkout; install with 'pip install -e .')."
        )
        raise AnalysisNotFoundError(
            f"no analysis named {name!r} in {ANALYSES_DIR}. Available: "
            f"{', '.join(available) or 'none'}.{hint}"
        )
    return ANALYSES_DIR / f"{name}.py"


def _user_path(analysis_file: str | Path) -> Path:
    path = Path(analysis_file)
    if path.suffix != ".py" or not path.is_file():
        raise AnalysisNotFoundError(
            f"analysis file {str(analysis_file)!r} is not an existing .py file. Give the path of a "
            "Python script that defines analyse(cohort, report)."
        )
    return path


def _report_stem(path: Path) -> str:
    """A file stem for the reports of ``path`` that stays a plain name inside the output folder."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem).strip("_-")
    return stem or "analysis"


def _module(name: str | None = None, *, analysis_file: str | Path | None = None) -> ModuleType:
    path = _user_path(analysis_file) if analysis_file is not None else _shipped_path(name or "")
    spec = importlib.util.spec_from_file_location(f"cohort_analysis_{_report_stem(path)}", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    if not callable(getattr(module, "analyse", None)):
        raise AnalysisNotFoundError(
            f"analysis file {path} defines no analyse(cohort, report) function."
        )
    return module


def load_cohort(
    data: str | Path | None, mapping: str | None = None, *, on_error: str = "raise"
) -> Cohort:
    """The cohort to analyse: ``data`` (a file, folder or bundled dataset name) or the default
    synthetic one; ``on_error`` as in :func:`cohort.load` (used for a file)."""
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
    return cohort.load(data, mapping=mapping, on_error=on_error)


@dataclass
class AnalysisOutcome:
    """What happened to one analysis of a ``cohort report`` run.

    Attributes
    ----------
    name : str
        The analysis (script stem).
    title : str
    status : {"ran", "skipped", "failed"}
        ``skipped``: the cohort lacks a required column (a short "not run" page is written);
        ``failed``: an error stopped this analysis (the others still ran).
    reason : str
        Why it was skipped or how it failed, in one paragraph.
    files : list of Path
        Files written for it.
    traceback : str
        The traceback of a failure (shown by ``cohort --debug report``).
    """

    name: str
    title: str
    status: str
    reason: str = ""
    files: list[Path] = field(default_factory=list)
    traceback: str = ""


@dataclass
class ReportRun:
    """The result of :func:`run_report`: one outcome per analysis and every file written."""

    outcomes: list[AnalysisOutcome]
    written: list[Path]

    @property
    def failed(self) -> list[AnalysisOutcome]:
        """The analyses that failed (the CLI exits 1 when there is any)."""
        return [o for o in self.outcomes if o.status == "failed"]


def run_analysis(
    name: str | None,
    c: Cohort,
    *,
    include_ids: bool = False,
    command_line: str = "",
    analysis_file: str | Path | None = None,
) -> Report:
    """Build the report of one analysis on cohort ``c``.

    Parameters
    ----------
    name : str or None
        A shipped analysis (see :func:`available_analyses`); ignored when ``analysis_file`` is given.
    c : Cohort
    include_ids : bool
        Allow patient identifiers in the report.
    command_line : str
        Recorded in the provenance.
    analysis_file : path, optional
        Run this Python file instead (it is executed: give only a file you trust).

    Raises
    ------
    AnalysisNotFoundError
        ``name`` is not a shipped analysis, or ``analysis_file`` is not a ``.py`` file defining
        ``analyse``.

    When ``c`` lacks a column the analysis requires (its ``REQUIRES``), the report is a short
    "not run" section naming what is lacking, and ``report.not_run`` lists it.
    """
    module = _module(name, analysis_file=analysis_file)
    if analysis_file is not None:
        name = _report_stem(Path(analysis_file))
    report = Report(
        c,
        title=getattr(module, "TITLE", name),
        question=getattr(module, "QUESTION", ""),
        include_ids=include_ids,
        command_line=command_line,
        seed=getattr(module, "SEED", None),
    )
    missing = lacking(c, getattr(module, "REQUIRES", ()))
    if missing:
        report.not_run = missing
        report.heading("Not run")
        report.text(
            f"Not run: this cohort lacks {join(missing)}. This analysis needs "
            f"{join([describe(n) for n in module.REQUIRES])}; map the column(s) in the mapping file "
            "(docs/mapping.md) to run it."
        )
        return report
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
    analysis_file: str | Path | None = None,
    cohort: Cohort | None = None,
    on_error: str = "raise",
) -> ReportRun:
    """Run one analysis (or ``"all"``) on a cohort and write the reports.

    ``analysis`` names shipped analyses only (``[a-z0-9_]+``, listed by :func:`available_analyses`);
    ``analysis_file`` runs a user's own script instead (executed as Python: an explicit choice).
    Every file is written inside ``out``.

    Every analysis is attempted: one that lacks a required column gets a short "not run" page, and
    one that fails for any other reason is recorded and the run goes on. With ``"all"``,
    ``index.html`` lists what ran, what was not run and why, and what failed. ``progress(name, done,
    total)`` is called before each analysis and once at the end (the CLI draws a progress bar).
    ``cohort`` (an already loaded cohort) is used instead of ``data``/``mapping`` when given;
    ``on_error="exclude"`` loads a file as :func:`cohort.load` does with it.
    """
    if analysis_file is not None:
        _module(None, analysis_file=analysis_file)  # a file that defines no analyse() is bad input
        names = [_report_stem(_user_path(analysis_file))]
    elif analysis == "all":
        names = available_analyses()
        if not names:
            raise AnalysisNotFoundError(f"no analysis scripts found in {ANALYSES_DIR}.")
    else:
        _module(analysis)  # a bad or unknown name is bad input, refused before the cohort is loaded
        names = [analysis]
    out = _output_folder(out)
    c = cohort if cohort is not None else load_cohort(data, mapping, on_error=on_error)
    outcomes: list[AnalysisOutcome] = []
    for i, name in enumerate(names):
        if progress is not None:
            progress(name, i, len(names))
        outcomes.append(_run_one(name, c, out, include_ids, command_line, analysis_file))
    if progress is not None:
        progress("done", len(names), len(names))
    written = [p for o in outcomes for p in o.files]
    if analysis == "all" and analysis_file is None:
        written.append(write_index(out, outcomes, c))
    return ReportRun(outcomes, written)


def _run_one(
    name: str,
    c: Cohort,
    out: Path,
    include_ids: bool,
    command_line: str,
    analysis_file: str | Path | None = None,
) -> AnalysisOutcome:
    """Run and write one analysis; any error becomes a ``failed`` outcome."""
    title = name
    try:
        title = getattr(_module(name, analysis_file=analysis_file), "TITLE", name)
        report = run_analysis(
            name,
            c,
            include_ids=include_ids,
            command_line=command_line,
            analysis_file=analysis_file,
        )
        files = report.write(out, stem=name)
        _check_inside(out, files)
    except Exception as exc:  # noqa: BLE001 - one analysis failing never stops the others
        return AnalysisOutcome(
            name, title, "failed", failure_paragraph(name, exc), [], traceback.format_exc()
        )
    if report.not_run:
        return AnalysisOutcome(
            name, title, "skipped", f"this cohort lacks {join(report.not_run)}", files
        )
    return AnalysisOutcome(name, title, "ran", "", files)


def _output_folder(out: str | Path) -> Path:
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(
            f"the report cannot be written: --out {str(out)!r} is an existing file, not a folder. "
            "Give a folder (it is created if absent)."
        )
    return out


def _check_inside(out: Path, files: list[Path]) -> None:
    root = out.resolve()
    for f in files:
        if not f.resolve().is_relative_to(root):  # pragma: no cover - names are checked first
            raise OutputError(f"refusing to write {f} outside the output folder {out}.")


def failure_paragraph(name: str, exc: BaseException) -> str:
    """One paragraph saying which analysis failed, with what error, and where in our code."""
    from cohort.errors import CohortError

    where = ""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if "site-packages" not in f.filename and "/lib/python" not in f.filename
    ]
    if frames and not isinstance(exc, CohortError):
        f = frames[-1]
        where = f" (at {Path(f.filename).name} line {f.lineno})"
    kind = "" if isinstance(exc, CohortError) else "an unexpected error, please report it: "
    return (
        f"analysis {name!r} failed: {kind}{type(exc).__name__}: {exc}{where}. The other analyses "
        "were run; 'cohort --debug report ...' shows the traceback."
    )


_STATUS_HEADINGS = {"ran": "Ran", "skipped": "Not run", "failed": "Failed"}


def write_index(out: Path, outcomes: list[AnalysisOutcome], c: Cohort | None = None) -> Path:
    """``index.html``: the analyses that ran, those not run (and why) and those that failed."""
    out.mkdir(parents=True, exist_ok=True)
    parts = []
    for status, heading in _STATUS_HEADINGS.items():
        group = [o for o in outcomes if o.status == status]
        if not group:
            continue
        items = []
        for o in group:
            link = (
                f'<a href="{escape(o.name)}.html">{escape(o.title)}</a>'
                if o.files
                else escape(o.title)
            )
            why = f": {escape(o.reason)}" if o.reason else ""
            items.append(f"<li>{link} ({escape(o.name)}){why}</li>")
        parts.append(f"<h2>{heading} ({len(group)})</h2><ul>{''.join(items)}</ul>")
    who = ""
    if c is not None:
        name = (c.provenance.get("mapping") or {}).get("name") or _cohort_name(c)
        who = f"<p>Cohort: {escape(str(name))}, {len(c.data)} patients analysed.</p>"
    path = out / "index.html"
    path.write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>cohort reports</title>"
        f"</head><body><h1>cohort reports</h1>{who}{''.join(parts)}</body></html>\n",
        encoding="utf-8",
    )
    return path


def _cohort_name(c: Cohort) -> str:
    files = c.provenance.get("files") or []
    return Path(files[0].get("path", "")).name if files else "cohort"


def run_script(script_file: str, argv: list[str] | None = None) -> list[Path]:
    """Command line of an analysis script: ``python analyses/NAME.py [DATA] [--mapping M] [--out DIR]``.

    A shipped analysis runs by name; any other script (a user's own, calling ``run_script(__file__)``)
    runs as an explicit ``analysis_file``.
    """
    path = Path(script_file)
    shipped = path.resolve().parent == ANALYSES_DIR.resolve() and path.stem in available_analyses()
    name = path.stem if shipped else _report_stem(path)
    user_file = None if shipped else path
    description = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    parser = argparse.ArgumentParser(prog=f"analyses/{name}.py", description=description)
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
        run = run_report(
            args.data,
            mapping=args.mapping,
            analysis=name,
            out=args.out,
            include_ids=args.include_ids,
            command_line=" ".join([f"analyses/{name}.py", *(argv or sys.argv[1:])]),
            analysis_file=user_file,
        )
    except CohortError as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    for o in run.failed:
        print(o.reason, file=sys.stderr)
    for p in run.written:
        print(f"wrote {p}")
    if run.failed:
        raise SystemExit(1)
    return run.written
