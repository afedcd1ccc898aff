"""Reports degrade, never crash: every analysis on the minimal cohort (patient_id, age, npm1,
flt3_itd_ar, os) and on that cohort plus each column it can use, one at a time.

The expected outcome comes from each analysis's declared ``REQUIRES``: lacking one, the analysis
must say "not run" and name it; with them, it must run, and without an optional column it must say
which section it left out.
"""

from __future__ import annotations

import warnings

import pytest

import cohort
from cohort.report.needs import AnyOf, describe, has
from cohort.report.runner import _module, available_analyses, run_analysis
from cohort.schema import ENDPOINTS
from cohort.synthetic import generate

MINIMAL = ("patient_id", "age", "npm1", "flt3_itd_ar", "os_days", "os_event")


@pytest.fixture(scope="module")
def full():
    return generate(150, seed=11)


def _columns(need) -> tuple[str, ...]:
    """Columns of the synthetic cohort that meet ``need``."""
    if isinstance(need, AnyOf):
        return _columns(need.names[0])
    if need == "mrd":
        return ()
    return ENDPOINTS.get(need, (need,))


def _cohort(full, needs=()):
    cols = list(dict.fromkeys([*MINIMAL, *(c for n in needs for c in _columns(n))]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = cohort.load(full.data[cols])
    if "mrd" in needs:
        c.mrd = full.mrd
    return c


def _build(name, c):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_analysis(name, c)


def _texts(report) -> str:
    return "\n".join(s.body for s in report.sections if s.kind == "text")


def _cases():
    for name in available_analyses():
        module = _module(name)
        yield pytest.param(name, None, id=f"{name}-minimal")
        for need in getattr(module, "OPTIONAL", ()):
            if all(c in (*MINIMAL, "flt3_itd") for c in _columns(need)) and need != "mrd":
                continue  # in the minimal cohort already
            label = need.names[0] if isinstance(need, AnyOf) else need
            yield pytest.param(name, need, id=f"{name}+{label}")


def test_every_analysis_declares_what_it_needs():
    for name in available_analyses():
        module = _module(name)
        assert isinstance(module.REQUIRES, tuple) and module.REQUIRES, name
        assert isinstance(module.OPTIONAL, tuple), name


@pytest.mark.parametrize(("name", "optional"), list(_cases()))
def test_analysis_on_minimal_cohort_plus_one_column(full, tmp_path, name, optional):
    module = _module(name)
    minimal = _cohort(full)
    lacking = [n for n in module.REQUIRES if not has(minimal, n)]
    if optional is None:
        report = _build(name, minimal)
        if lacking:
            # not run, and the page names every lacking need
            assert report.not_run == [describe(n) for n in lacking]
            assert "Not run: this cohort lacks" in _texts(report)
            assert all(describe(n) in _texts(report) for n in lacking)
        else:
            assert report.not_run == []
        report.write(tmp_path, stem=name)
        assert (tmp_path / f"{name}.html").is_file()
        return
    # with what it requires, the analysis runs; without the optional column it says so
    base = _cohort(full, module.REQUIRES)
    if optional in module.REQUIRES or has(base, optional):
        pytest.skip("already in the minimal cohort plus the required columns")
    without = _build(name, base)
    assert without.not_run == []
    assert describe(optional) in _texts(without) or "left out" in _texts(without)
    with_it = _build(name, _cohort(full, (*module.REQUIRES, optional)))
    assert with_it.not_run == []
    assert len(with_it.sections) >= len(without.sections)
    with_it.write(tmp_path, stem=name)


def _break(monkeypatch, broken: str) -> None:
    """Make analysis ``broken`` raise an error that is not a CohortError."""

    def analyse(c, report):
        raise ValueError("No objects to concatenate")

    monkeypatch.setattr(_module(broken), "analyse", analyse)


def test_one_failure_does_not_stop_the_others_and_index_lists_everything(
    full, tmp_path, monkeypatch
):
    from cohort.report.runner import run_report

    _break(monkeypatch, "age")
    run = run_report(cohort=_cohort(full), out=tmp_path)
    status = {o.name: o.status for o in run.outcomes}
    assert status["age"] == "failed" and status["overview"] == "ran"
    assert status["transplant"] == "skipped" and status["triple_mutated"] == "skipped"
    assert set(status) == set(available_analyses())
    (failed,) = run.failed
    assert "analysis 'age' failed" in failed.reason and "No objects to concatenate" in failed.reason
    assert "test_report_degrade.py line" in failed.reason and "Traceback" in failed.traceback
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Ran (" in index and "Not run (" in index and "Failed (1)" in index
    assert "this cohort lacks cr, hsct_in_cr1 and hsct_days" in index
    assert not (tmp_path / "age.html").exists() and (tmp_path / "overview.html").is_file()
    assert (tmp_path / "transplant.html").is_file()  # the "not run" page


def test_cli_report_exits_1_only_when_an_analysis_failed(full, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cohort.cli import app

    table = tmp_path / "minimal.csv"
    full.data[list(MINIMAL)].to_csv(table, index=False)
    out = tmp_path / "ok"
    result = CliRunner().invoke(app, ["report", str(table), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "not run: transplant: this cohort lacks" in result.output
    assert (out / "index.html").is_file()
    _break(monkeypatch, "overview")
    result = CliRunner().invoke(app, ["report", str(table), "--out", str(tmp_path / "bad")])
    assert result.exit_code == 1
    assert result.output.count("analysis 'overview' failed") == 1
    assert "Traceback" not in result.output
    assert (tmp_path / "bad" / "index.html").is_file() and (tmp_path / "bad" / "age.html").is_file()


def test_a_blanked_endpoint_costs_only_that_endpoint_and_the_flow_counts_it(tmp_path):
    """Row 19 of the user's table is dead without a time: OS is blanked, the patient kept."""
    from pathlib import Path

    user = Path(__file__).parents[1] / "data" / "user_cohort"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = cohort.load(user / "my_cohort.csv", mapping=user / "my_cohort.yaml", on_error="exclude")
        report = run_analysis("overview", c)
    excl = c.exclusions.set_index("row")
    assert excl.loc[19, "scope"] == "os" and excl.loc[44, "scope"] == "os"
    assert len(c.data) == 300 == c.n_input  # kept + excluded patients = input
    kept = c.data.set_index("patient_id").loc[["PT-0018", "PT-0043"]]
    assert kept[["os_days", "os_event"]].isna().all().all() and kept["npm1"].notna().all()
    flow = report._load_flow().set_index("step")
    step = "OS unusable (blanked at load; patient kept)"
    assert flow.loc[step, "n"] == 2
    assert "missing_time_with_event" in flow.loc[step, "note"]
    assert "excluded" not in flow.index


def test_a_named_cohort_writes_apart_from_the_default(tmp_path, monkeypatch, capsys):
    from pathlib import Path

    from cohort.report.runner import default_out, run_script

    assert default_out() == Path("reports")
    assert default_out("data/My Cohort.csv") == Path("reports/My_Cohort")
    assert default_out(None, "amlsg") == Path("reports/amlsg")
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        written = run_script("analyses/age.py", ["tcga"])
    assert Path("reports/tcga/age.html") in written
    assert not Path("reports/age.html").exists()
    out = capsys.readouterr().out  # the CLI's quiet output
    assert "wrote reports/tcga/age.html" in out and "CSV tables next to them" in out
