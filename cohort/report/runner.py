"""Running the analyses into reports: ``cohort report`` and ``python analyses/<name>.py``.

An analysis is a module of :mod:`cohort.analyses` (shipped with the package) that defines
``TITLE``, ``QUESTION``, ``REQUIRES``, ``OPTIONAL`` and ``analyse(cohort, report)``. It can be run
on the default synthetic cohort or on any cohort file given as an argument.

An analysis *name* selects one of the shipped analyses only: it must match ``[a-z0-9_]+`` and be
listed by :func:`available_analyses`, so a name can never point at a file elsewhere. Running a
user's own analysis file is a separate, explicit request (``analysis_file=`` / ``cohort report
--analysis-file PATH``; see ``docs/security.md``).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import cohort.analyses
from cohort.cohort import Cohort
from cohort.errors import CohortError, OutputError
from cohort.report.document import Report
from cohort.report.needs import describe, join, lacking
from cohort.scale.dispatch import scales

REPO_ROOT = Path(__file__).resolve().parents[2]
ANALYSES_DIR = Path(cohort.analyses.__file__).parent
DEFAULT_COHORT = REPO_ROOT / "synthetic_data" / "npm1_cohort.csv"
DEFAULT_MRD = REPO_ROOT / "synthetic_data" / "npm1_mrd.csv"
_SHIPPED_DIRS = (ANALYSES_DIR.resolve(), (REPO_ROOT / "analyses").resolve())
DEFAULT_OUT = Path("reports")
"""Reports of the default cohort go here; those of a named cohort to ``reports/<name>/``."""


ANALYSIS_NAME = re.compile(r"[a-z0-9_]+")
"""What an analysis name may contain: no path separator, dot or drive letter can reach a file."""


class AnalysisNotFoundError(CohortError):
    """An analysis name that matches no module of :mod:`cohort.analyses` (or is not a valid name)."""


def available_analyses() -> list[str]:
    """Names of the shipped analyses (modules of :mod:`cohort.analyses`)."""
    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(ANALYSES_DIR)])
        if not m.name.startswith("_") and ANALYSIS_NAME.fullmatch(m.name)
    )


def _check_name(name: str) -> None:
    """Refuse anything but a listed analysis name, before any file is touched."""
    available = available_analyses()
    if not isinstance(name, str) or not ANALYSIS_NAME.fullmatch(name) or name not in available:
        hint = (
            " An analysis name is a lower-case word such as 'overview', never a path; to run your "
            "own analysis file, give it explicitly with --analysis-file PATH (Python: "
            "analysis_file=PATH)."
            if isinstance(name, str) and not ANALYSIS_NAME.fullmatch(name)
            else ""
        )
        raise AnalysisNotFoundError(
            f"no analysis named {name!r}. Available: {', '.join(available) or 'none'}.{hint}"
        )


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
    if analysis_file is None:
        _check_name(name or "")
        return importlib.import_module(f"cohort.analyses.{name}")
    path = _user_path(analysis_file)
    spec = importlib.util.spec_from_file_location(f"cohort_analysis_{_report_stem(path)}", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    if not callable(getattr(module, "analyse", None)):
        raise AnalysisNotFoundError(
            f"analysis file {path} defines no analyse(cohort, report) function."
        )
    return module


def default_out(data: str | Path | None = None, dataset: str | None = None) -> Path:
    """Where reports go when no folder is given: ``reports/`` for the default cohort,
    ``reports/<cohort name>/`` for a named one (so one never overwrites the other)."""
    name = dataset or (Path(str(data)).stem if data is not None else None)
    if not name:
        return DEFAULT_OUT
    return DEFAULT_OUT / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "cohort")


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
    software_warnings : list of str
        Warnings that are not about the data (shown by ``cohort --debug report``).
    question, results, skipped :
        The report's question, key results and left-out parts, for the front page.
    """

    name: str
    title: str
    status: str
    reason: str = ""
    files: list[Path] = field(default_factory=list)
    traceback: str = ""
    software_warnings: list[str] = field(default_factory=list)
    question: str = ""
    results: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


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
    time_unit: str = "months",
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
    time_unit : {"months", "years", "days"}
        The one time unit of the report's tables and figures (the JSON keeps days).

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
    return _analyse(
        module, name, c, include_ids=include_ids, command_line=command_line, time_unit=time_unit
    )


@scales("report", position=2, keyword="c")
def _analyse(
    module: ModuleType,
    name: str,
    c: Cohort,
    *,
    include_ids: bool = False,
    command_line: str = "",
    time_unit: str = "months",
) -> Report:
    """The report of the already loaded analysis ``module`` on ``c`` (see :func:`run_analysis`).

    Taking the module, not its name or file, is what makes a user's analysis file execute once
    per run: :func:`run_report` loads it once (to refuse a file without ``analyse`` before the
    cohort is loaded) and hands that module to each step.
    """
    report = Report(
        c,
        title=getattr(module, "TITLE", name),
        question=getattr(module, "QUESTION", ""),
        include_ids=include_ids,
        command_line=command_line,
        seed=getattr(module, "SEED", None),
        time_unit=time_unit,
    )
    missing = lacking(c, getattr(module, "REQUIRES", ()))
    if missing:
        report.not_run = missing
        report.heading("Not run")
        report.text(
            f"Not run: this cohort lacks {join(missing)}. This analysis needs "
            f"{join([describe(n) for n in module.REQUIRES])}; "
            + (
                "load the MRD table with cohort.load(..., mrd=path) to run it."
                if missing == [describe("mrd")]
                else "map the column(s) in the mapping file (docs/mapping.md) to run it."
            )
        )
        return report
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module.analyse(c, report)
    report.software_warnings = _add_data_notes(report, c, caught)
    return report


def _add_data_notes(report: Report, c: Cohort, caught: list) -> list[str]:
    """Put the data-quality warnings of the load and of the analysis into the report, once each,
    in words; returns the other (software) warnings, which are not about the data."""
    from cohort.errors import CohortWarning

    data = [str(w.message) for w in caught if issubclass(w.category, CohortWarning)]
    other = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if not issubclass(w.category, CohortWarning)
    ]
    loading = [f"When the cohort was loaded: {w}" for w in c.report.get("warnings", [])]
    notes = list(dict.fromkeys([*loading, *data]))
    if notes:
        report.heading("Data-quality notes")
        report.text("\n\n".join(notes))
    return list(dict.fromkeys(other))


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
    time_unit: str = "months",
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
    ``time_unit`` ("months", "years" or "days") is the one time unit of every report.
    """
    from cohort.schema import TIME_UNITS

    if time_unit not in TIME_UNITS:
        raise OutputError(f"time unit {time_unit!r}: use one of {', '.join(TIME_UNITS)}.")
    loaded: dict[str, ModuleType] = {}
    if analysis_file is not None:
        # executed here, once: a file that defines no analyse() is bad input, refused before the
        # cohort is loaded; the analysis then runs on this module (the file is not run again)
        names = [_report_stem(_user_path(analysis_file))]
        loaded[names[0]] = _module(None, analysis_file=analysis_file)
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
        outcomes.append(
            _run_one(name, c, out, include_ids, command_line, loaded.get(name), time_unit)
        )
    if progress is not None:
        progress("done", len(names), len(names))
    written = [p for o in outcomes for p in o.files]
    if analysis == "all" and analysis_file is None:
        written.append(write_index(out, outcomes, c, time_unit))
    return ReportRun(outcomes, written)


def _run_one(
    name: str,
    c: Cohort,
    out: Path,
    include_ids: bool,
    command_line: str,
    module: ModuleType | None = None,
    time_unit: str = "months",
) -> AnalysisOutcome:
    """Run and write one analysis (``module``: a user's file already loaded, else the shipped
    analysis ``name``); any error becomes a ``failed`` outcome."""
    title, question = name, ""
    try:
        module = module if module is not None else _module(name)
        title, question = getattr(module, "TITLE", name), getattr(module, "QUESTION", "")
        report = _analyse(
            module, name, c, include_ids=include_ids, command_line=command_line, time_unit=time_unit
        )
        files = report.write(out, stem=name)
        _check_inside(out, files)
    except Exception as exc:  # noqa: BLE001 - one analysis failing never stops the others
        return AnalysisOutcome(
            name,
            title,
            "failed",
            failure_paragraph(name, exc),
            [],
            traceback.format_exc(),
            question=question,
        )
    card = {"question": report.question, "results": report.results, "skipped": report.skipped}
    if report.not_run:
        return AnalysisOutcome(
            name, title, "skipped", f"this cohort lacks {join(report.not_run)}", files, **card
        )
    return AnalysisOutcome(
        name, title, "ran", "", files, software_warnings=report.software_warnings, **card
    )


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


def write_index(
    out: Path, outcomes: list[AnalysisOutcome], c: Cohort | None = None, time_unit: str = "months"
) -> Path:
    """``index.html``, the front page: the cohort (name, date, input hashes, patients, median
    follow-up) and one card per analysis with its question, n, key result and what was left out;
    analyses that ran, were not run (and why) and failed are grouped in that order."""
    from cohort.report.front_page import render_index

    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(render_index(outcomes, c, time_unit=time_unit), encoding="utf-8")
    return path


def _cohort_name(c: Cohort) -> str:
    files = c.provenance.get("files") or []
    return Path(files[0].get("path", "")).name if files else "cohort"


def run_script(script_file: str, argv: list[str] | None = None) -> list[Path]:
    """Command line of an analysis script: ``python analyses/NAME.py [DATA] [options]``.

    A shipped analysis runs by name; any other script (a user's own) runs as an explicit
    ``analysis_file``. The options are those of ``cohort report`` (``--mapping``, ``--dataset``, ``--exclude``,
    ``--out``, ``--include-ids``), and so are the output and the exit codes; returns the files
    written.
    """
    import sys

    from cohort.cli import run_report_command

    path = Path(script_file)
    name = path.stem
    args = list(sys.argv[1:] if argv is None else argv)
    # A shipped analysis runs by name; a user's own script calling run_script(__file__) runs as the
    # explicit analysis file it is.
    shipped = name in available_analyses() and (
        not path.is_file() or path.resolve().parent in _SHIPPED_DIRS
    )
    which = ["--analysis", name] if shipped else ["--analysis-file", str(path)]
    return run_report_command(
        [*args, *which], command_line=" ".join([f"{path.parent.name}/{path.name}", *args])
    )
