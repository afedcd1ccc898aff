"""Running the analyses into reports: ``cohort report`` and ``python analyses/<name>.py``.

An analysis is a module of :mod:`cohort.analyses` (shipped with the package) that defines
``TITLE``, ``QUESTION``, ``REQUIRES``, ``OPTIONAL`` and ``analyse(cohort, report)``. It can be run
on the default synthetic cohort or on any cohort file given as an argument.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from types import ModuleType

import cohort.analyses
from cohort.cohort import Cohort
from cohort.errors import CohortError
from cohort.report.document import Report
from cohort.report.needs import describe, join, lacking

REPO_ROOT = Path(__file__).resolve().parents[2]
ANALYSES_DIR = Path(cohort.analyses.__file__).parent
DEFAULT_COHORT = REPO_ROOT / "synthetic_data" / "npm1_cohort.csv"
DEFAULT_MRD = REPO_ROOT / "synthetic_data" / "npm1_mrd.csv"
DEFAULT_OUT = Path("reports")
"""Reports of the default cohort go here; those of a named cohort to ``reports/<name>/``."""


class AnalysisNotFoundError(CohortError):
    """An analysis name that matches no module of :mod:`cohort.analyses`."""


def available_analyses() -> list[str]:
    """Names of the analyses (modules of :mod:`cohort.analyses`)."""
    return sorted(
        m.name for m in pkgutil.iter_modules([str(ANALYSES_DIR)]) if not m.name.startswith("_")
    )


def _module(name: str) -> ModuleType:
    if name not in available_analyses():
        raise AnalysisNotFoundError(
            f"no analysis named {name!r}. Available: {', '.join(available_analyses()) or 'none'}."
        )
    return importlib.import_module(f"cohort.analyses.{name}")


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
    """

    name: str
    title: str
    status: str
    reason: str = ""
    files: list[Path] = field(default_factory=list)
    traceback: str = ""
    software_warnings: list[str] = field(default_factory=list)


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
    name: str, c: Cohort, *, include_ids: bool = False, command_line: str = ""
) -> Report:
    """Build the report of one analysis on cohort ``c``.

    When ``c`` lacks a column the analysis requires (its ``REQUIRES``), the report is a short
    "not run" section naming what is lacking, and ``report.not_run`` lists it.
    """
    module = _module(name)
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
    cohort: Cohort | None = None,
    on_error: str = "raise",
) -> ReportRun:
    """Run one analysis (or ``"all"``) on a cohort and write the reports.

    Every analysis is attempted: one that lacks a required column gets a short "not run" page, and
    one that fails for any other reason is recorded and the run goes on. With ``"all"``,
    ``index.html`` lists what ran, what was not run and why, and what failed. ``progress(name, done,
    total)`` is called before each analysis and once at the end (the CLI draws a progress bar).
    ``cohort`` (an already loaded cohort) is used instead of ``data``/``mapping`` when given;
    ``on_error="exclude"`` loads a file as :func:`cohort.load` does with it.
    """
    c = cohort if cohort is not None else load_cohort(data, mapping, on_error=on_error)
    names = available_analyses() if analysis == "all" else [analysis]
    if not names:
        raise AnalysisNotFoundError(f"no analysis scripts found in {ANALYSES_DIR}.")
    if analysis != "all":
        _module(analysis)  # an unknown name is bad input, not a failed analysis
    outcomes: list[AnalysisOutcome] = []
    for i, name in enumerate(names):
        if progress is not None:
            progress(name, i, len(names))
        outcomes.append(_run_one(name, c, Path(out), include_ids, command_line))
    if progress is not None:
        progress("done", len(names), len(names))
    written = [p for o in outcomes for p in o.files]
    if analysis == "all":
        written.append(write_index(Path(out), outcomes, c))
    return ReportRun(outcomes, written)


def _run_one(
    name: str, c: Cohort, out: Path, include_ids: bool, command_line: str
) -> AnalysisOutcome:
    """Run and write one analysis; any error becomes a ``failed`` outcome."""
    title = name
    try:
        title = getattr(_module(name), "TITLE", name)
        report = run_analysis(name, c, include_ids=include_ids, command_line=command_line)
        files = report.write(out, stem=name)
    except Exception as exc:  # noqa: BLE001 - one analysis failing never stops the others
        return AnalysisOutcome(
            name, title, "failed", failure_paragraph(name, exc), [], traceback.format_exc()
        )
    if report.not_run:
        return AnalysisOutcome(
            name, title, "skipped", f"this cohort lacks {join(report.not_run)}", files
        )
    return AnalysisOutcome(
        name, title, "ran", "", files, software_warnings=report.software_warnings
    )


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
    """Command line of an analysis script: ``python analyses/NAME.py [DATA] [options]``.

    The options are those of ``cohort report`` (``--mapping``, ``--dataset``, ``--exclude``,
    ``--out``, ``--include-ids``), and so are the output and the exit codes; returns the files
    written.
    """
    import sys

    from cohort.cli import run_report_command

    name = Path(script_file).stem
    args = list(sys.argv[1:] if argv is None else argv)
    return run_report_command(
        [*args, "--analysis", name], command_line=" ".join([f"analyses/{name}.py", *args])
    )
