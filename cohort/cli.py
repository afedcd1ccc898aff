"""The ``cohort`` command line: load, classify, km, synth, report.

Bad input (any :class:`cohort.CohortError`) prints a one-paragraph message and exits with code 2;
``--debug`` shows the traceback instead. Each command imports its machinery lazily so that
``cohort --help`` answers at once.
"""

from __future__ import annotations

import enum
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Survival analysis of NPM1-mutated AML cohorts: load, classify, km, synth, report.",
)
_err = Console(stderr=True, soft_wrap=True)
_out = Console(soft_wrap=True)
_state: dict[str, Any] = {"debug": False}

EXIT_BAD_INPUT = 2
EXIT_ANALYSIS_FAILED = 1


def _version(value: bool) -> None:
    if value:
        from importlib import metadata

        try:
            version = metadata.version("cohort")
        except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
            version = "unknown (not installed)"
        _out.print(f"cohort {version}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    _state["debug"] = debug


def _run(action: Callable[[], Any]) -> Any:
    """Run ``action``; turn toolkit errors into a clean message and exit code 2."""
    import warnings

    from cohort.errors import CohortError, CohortWarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
        # A user reads what is suspicious in the data, not which source line noticed it.
        label = "warning" if issubclass(category, CohortWarning) else category.__name__
        _err.print(f"[yellow]{label}:[/] {escape(str(message))}", highlight=False)

    try:
        with warnings.catch_warnings():
            if not _state["debug"]:
                warnings.showwarning = show
            return action()
    except CohortError as exc:
        if _state["debug"]:
            traceback.print_exc()
        _err.print(f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        if _state["debug"]:
            traceback.print_exc()
        _err.print(f"[bold red]error:[/] cannot read input: {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (FileExistsError, NotADirectoryError) as exc:
        _fail(f"the output cannot be written: {exc}. Give --out a folder (or a new file name).")
    except MemoryError:
        _fail(
            "MemoryError: the input is too large for this machine's memory. Load it with the "
            "Dask engine (convert it to Parquet; cohort.load(path, engine='dask')), or free memory."
        )
    except RecursionError:
        _fail(
            "RecursionError: the input is nested too deeply to read (a formula or file with "
            "thousands of nested brackets). Simplify it."
        )


def _fail(message: str) -> None:
    """Print one paragraph for an error that is not a CohortError, and exit with code 2."""
    if _state["debug"]:
        traceback.print_exc()
    _err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT) from None


def _load(data: str | None, mapping: str | None, dataset: str | None, on_error: str = "raise"):
    from cohort.report.runner import load_cohort

    if dataset:
        from cohort import datasets

        return datasets.load(dataset)
    return load_cohort(data, mapping, on_error=on_error)


class TimeUnit(enum.StrEnum):
    """Time unit of report tables and figures (the data are in days)."""

    months = "months"
    years = "years"
    days = "days"


DataArg = Annotated[
    str | None,
    typer.Argument(
        help="Cohort file (CSV/TSV/XLSX/Parquet/JSON) or dataset folder. Default: the bundled synthetic cohort."
    ),
]
MappingOpt = Annotated[
    str | None,
    typer.Option(
        "--mapping", "-m", help="Mapping YAML file or bundled preset name (amlsg, beataml, tcga)."
    ),
]
DatasetOpt = Annotated[
    str | None,
    typer.Option(
        "--dataset", help="Use a bundled real cohort instead of a file: amlsg, beataml or tcga."
    ),
]
ExcludeOpt = Annotated[
    bool,
    typer.Option(
        "--exclude",
        help="Move invalid rows to the exclusions (an endpoint-only problem blanks that endpoint) "
        "instead of failing.",
    ),
]


def _on_error(exclude: bool) -> str:
    return "exclude" if exclude else "raise"


@app.command()
def load(
    data: DataArg = None,
    mapping: MappingOpt = None,
    dataset: DatasetOpt = None,
    exclude: ExcludeOpt = False,
) -> None:
    """Load a cohort table, validate it and print a summary (n, exclusions, genotypes, follow-up)."""

    def action() -> None:
        from cohort.summary import format_summary, summarise

        c = _load(data, mapping, dataset, _on_error(exclude))
        _out.print(format_summary(summarise(c)), highlight=False, markup=False)

    _run(action)


@app.command()
def classify(
    data: DataArg = None,
    system: Annotated[
        str,
        typer.Option(
            "--system",
            "-s",
            help="eln2017, eln2017_eisfeld2020, eln2022, eln2024, who2017, icc2022, who2022, papaemmanuil2016",
        ),
    ] = "eln2017",
    mapping: MappingOpt = None,
    dataset: DatasetOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the per-patient table (patient_id first, to join it back) to this CSV.",
        ),
    ] = None,
    exclude: ExcludeOpt = False,
    include_ids: Annotated[
        bool,
        typer.Option("--include-ids", hidden=True, help="Kept for old scripts; --out has ids."),
    ] = False,
) -> None:
    """Apply a risk or diagnostic classification and print the category counts."""

    def action() -> None:
        import cohort
        from cohort.io.export import safe_csv
        from cohort.stratify import category_counts

        c = _load(data, mapping, dataset, _on_error(exclude))
        result = cohort.classify(c, system)
        counts = category_counts(result).round({"percent": 1})
        _out.print(f"{system}: {len(result)} patients", highlight=False)
        _out.print(counts.to_string(index=False), highlight=False, markup=False)
        if "needs" in result and result["candidates"].notna().any():
            from cohort.stratify.needs import needs_summary

            needed = needs_summary(result).round({"percent_of_undetermined": 1})
            outside = int((result["category"].isna() & result["candidates"].isna()).sum())
            _out.print(
                f"undetermined: {needed.attrs['n_undetermined']} the data cannot decide"
                + (f" ({outside} more outside the guideline, e.g. APL)" if outside else "")
                + "; missing tests that would decide them (most decisive first):",
                highlight=False,
            )
            _out.print(needed.to_string(index=False), highlight=False, markup=False)
        if out is not None:
            safe_csv(result, out, index=False)
            _out.print(f"wrote {out} (one row per patient, patient_id first)", highlight=False)

    _run(action)


@app.command()
def km(
    data: DataArg = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Column to group by (e.g. npm1, flt3_itd, or a classify system name)."
        ),
    ] = None,
    endpoint: Annotated[str, typer.Option("--endpoint", "-e", help="os, efs, rfs")] = "os",
    mapping: MappingOpt = None,
    dataset: DatasetOpt = None,
    exclude: ExcludeOpt = False,
) -> None:
    """Kaplan-Meier medians per group (in days and months) and the log-rank test."""

    def action() -> None:
        import cohort

        c = _load(data, mapping, dataset, _on_error(exclude))
        frame = c.data
        if by and by not in frame.columns:
            from cohort.stratify import SYSTEMS

            if by in SYSTEMS:
                frame = frame.assign(**{by: cohort.classify(c, by)["category"].to_numpy()})
        from cohort.numbers import fmt_num, fmt_p

        res = cohort.km(frame, endpoint=endpoint, by=by)
        origin = "complete remission" if endpoint in ("rfs", "cir") else "diagnosis"
        _out.print(
            f"{endpoint.upper()}: times in days from {origin}; months = days / 30.4375 "
            "(NaN: median not reached)",
            highlight=False,
        )
        _out.print(_with_months(res.table).to_string(index=False), highlight=False, markup=False)
        if res.test is not None:
            _out.print(
                f"log-rank: chi-square {fmt_num(res.test.statistic)} on {res.test.dof} df, "
                f"p {'= ' if res.test.p_value >= 0.001 else ''}{fmt_p(res.test.p_value)}",
                highlight=False,
            )

    _run(action)


@app.command()
def synth(
    n: Annotated[int, typer.Option("--n", help="Number of patients.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 2020,
    scenario: Annotated[
        str, typer.Option("--scenario", help="intensive_2017 or venetoclax_hma")
    ] = "intensive_2017",
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("synthetic_data"),
) -> None:
    """Generate a synthetic NPM1-AML cohort (and its NPM1 MRD table) with known truth."""

    def action() -> None:
        from cohort.synthetic import write_default

        for path in write_default(out, n=n, seed=seed, scenario=scenario):
            _out.print(f"wrote {path}", highlight=False)

    _run(action)


def _with_months(table: Any) -> Any:
    """A KM table with the median and its limits also in months, next to the days."""
    from cohort.io.normalise import DAYS_PER_UNIT

    out = table.copy()
    for col in ("median", "median_lower", "median_upper"):
        if col in out.columns:
            pos = out.columns.get_loc(col) + 1
            out.insert(pos, f"{col}_months", (out[col] / DAYS_PER_UNIT["months"]).round(1))
    return out.rename(
        columns={c: f"{c}_days" for c in ("median", "median_lower", "median_upper") if c in out}
    )


@app.command()
def report(
    data: DataArg = None,
    mapping: MappingOpt = None,
    dataset: DatasetOpt = None,
    exclude: ExcludeOpt = False,
    analysis: Annotated[
        str,
        typer.Option(
            "--analysis", "-a", help="Name of a shipped analysis (see analyses/) or 'all'."
        ),
    ] = "all",
    analysis_file: Annotated[
        Path | None,
        typer.Option(
            "--analysis-file",
            help="Run your own analysis script (Python, executed as is: only a file you trust).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output folder (default: reports/ for the default cohort, reports/<name>/ for a "
            "named one).",
        ),
    ] = None,
    include_ids: Annotated[
        bool, typer.Option("--include-ids", help="Allow patient identifiers in the report.")
    ] = False,
    time_unit: Annotated[
        TimeUnit,
        typer.Option("--time-unit", help="The one time unit of the reports' tables and figures."),
    ] = TimeUnit.months,
) -> Any:
    """Write a self-contained HTML report (plus CSV tables and a JSON of every number)."""

    def action() -> Any:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from cohort.report import run_report
        from cohort.report.runner import default_out

        with Progress(
            TextColumn("[bold]report[/] {task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=_err,
            transient=True,
        ) as bar:
            task = bar.add_task("loading", total=None)

            def progress(name: str, done: int, total: int) -> None:
                bar.update(task, description=name, completed=done, total=total)

            run = run_report(
                data,
                cohort=_load(data, mapping, dataset, _on_error(exclude)) if dataset else None,
                mapping=mapping,
                on_error=_on_error(exclude),
                analysis=analysis,
                out=out if out is not None else default_out(data, dataset),
                include_ids=include_ids,
                command_line=_state.get("command_line") or " ".join(["cohort", *sys.argv[1:]]),
                progress=progress,
                analysis_file=analysis_file,
                time_unit=time_unit.value,
            )
        print_report_run(run)
        return run

    run = _run(action)
    if run.failed:
        raise typer.Exit(EXIT_ANALYSIS_FAILED)
    return run


def run_report_command(args: list[str], *, command_line: str) -> list[Path]:
    """``cohort report ARGS`` for the analysis scripts: same options, output and exit codes.

    Returns the files written; exits (``SystemExit``) with the command's code on bad input (2)
    or a failed analysis (1).
    """
    import click

    _state["command_line"] = command_line
    try:
        result = app(["report", *args], standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    finally:
        _state.pop("command_line", None)
    if isinstance(result, int):  # click returns the code of typer.Exit instead of raising
        if result:
            raise SystemExit(result)
        return []
    return list(result.written)


def print_report_run(run: Any) -> None:
    """The quiet summary of a report run: files, what was not run and why, one paragraph per failure."""
    for path in run.written:
        if path.suffix != ".csv":
            _out.print(f"wrote {path}", highlight=False)
    n_csv = sum(p.suffix == ".csv" for p in run.written)
    _out.print(f"wrote {n_csv} CSV tables next to them (<analysis>_tables/)", highlight=False)
    for o in run.outcomes:
        if o.status == "skipped":
            _out.print(f"not run: {o.name}: {o.reason}", highlight=False, markup=False)
    for o in run.outcomes:
        for w in o.software_warnings if _state["debug"] else ():
            _err.print(f"{o.name}: {w}", highlight=False, markup=False)
    for o in run.failed:
        if _state["debug"]:
            _err.print(o.traceback, highlight=False, markup=False)
        _err.print(f"[bold red]failed:[/] {escape(o.reason)}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
