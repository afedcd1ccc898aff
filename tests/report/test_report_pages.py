"""Report pages a journal would accept: labels and units, one number format, one time unit, the
CONSORT-style flow diagram, median follow-up, proportional-hazards notes, figures at natural size and
the front page."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.report import Report, load_cohort
from cohort.report.blocks import cox_block, km_block, table_one_block
from cohort.report.display import display_frame, header, term_label
from cohort.report.flow_diagram import flow_svg
from cohort.report.front_page import render_index
from cohort.report.runner import AnalysisOutcome


@pytest.fixture(scope="module")
def synth():
    return load_cohort(None)


def test_display_frame_converts_times_and_names_things():
    km_table = pd.DataFrame({"group": ["npm1=False", "npm1=True"], "n": [10, 5], "events": [4, 2],
                             "median": [365.25, np.nan], "median_lower": [182.625, 30.4375],
                             "median_upper": [np.nan, np.nan]})  # fmt: skip
    shown = display_frame(km_table, "months")
    assert list(shown.columns) == ["Group", "N", "Events", "Median (months)",
                                   "Median, lower 95% CI (months)", "Median, upper 95% CI (months)"]  # fmt: skip
    assert shown["Group"].tolist() == ["NPM1 wild-type", "NPM1 mutated"]
    assert shown["Median (months)"].iloc[0] == pytest.approx(12.0)
    assert shown["Median, lower 95% CI (months)"].tolist() == pytest.approx([6.0, 1.0])
    assert display_frame(km_table, "years")["Median (years)"].iloc[0] == pytest.approx(1.0)
    grays = pd.DataFrame(
        {"event": [1, 2], "statistic": [3.2, 1.1], "dof": [1, 1], "p_value": [0.07, 0.3]}
    )
    assert display_frame(grays)["Event"].tolist() == ["Relapse", "Death without relapse"]
    assert header("wbc") == "WBC (x10^9/L)" and header("p_value") == "p"
    assert term_label("npm1") == "NPM1 mutated" and term_label("sex[male]") == "Sex: Male"
    assert (
        term_label("age") == "Age, per year"
        and term_label("npm1:flt3_itd") == "NPM1 mutated x FLT3-ITD positive"
    )


def test_flow_is_a_consort_svg_with_every_count():
    flow = pd.DataFrame([
        {"step": "rows in the input", "n": 120, "note": ""},
        {"step": "excluded", "n": 12, "note": "no survival time"},
        {"step": "excluded", "n": 3, "note": "age out of range"},
        {"step": "loaded", "n": 105, "note": ""},
        {"step": "NPM1-mutated", "n": 40, "note": ""},
    ])  # fmt: skip
    svg = flow_svg(flow)
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    rects = root.findall(f"{ns}rect")
    assert len(rects) == 5
    texts = [t.text for t in root.iter(f"{ns}text")]
    for n in ("n = 120", "n = 12", "n = 3", "n = 105", "n = 40"):
        assert n in texts
    assert "Excluded: no survival time" in texts
    # exclusion boxes stand to the right of the main column, main boxes one under the other
    xs = sorted({float(r.get("x")) for r in rects})
    assert len(xs) == 2
    main = [r for r in rects if float(r.get("x")) == xs[0]]
    ys = [float(r.get("y")) for r in main]
    assert ys == sorted(ys) and len(main) == 3
    assert len(root.findall(f"{ns}line")) == 4  # 2 arrows down, 2 branches to the exclusions


@pytest.fixture(scope="module")
def written(synth, tmp_path_factory):
    out = tmp_path_factory.mktemp("pages")
    report = Report(synth, title="Pages", question="Does NPM1 status matter?")
    table_one_block(report, synth.data, "npm1")
    km_block(report, "os_by_npm1", synth.data, "npm1")
    cox_block(report, "cox", synth.data, "npm1 + flt3_itd + age")
    report.write(out, stem="pages")
    years = Report(synth, title="Years", time_unit="years")
    km_block(years, "os_by_npm1", synth.data, "npm1")
    years.write(out, stem="years")
    return out, report


def test_html_uses_labels_one_time_unit_and_one_number_format(written, synth):
    out, _ = written
    html = (out / "pages.html").read_text(encoding="utf-8")
    for text in ("NPM1 wild-type", "NPM1 mutated", "WBC (x10^9/L)", "Median (months)",
                 "Time (months)", "Bone-marrow blasts (%)"):  # fmt: skip
        assert text in html, text
    for raw in ("npm1=False", "npm1=True", "bm_blasts_pct", "<th>wbc</th>", "<th>False</th>"):
        assert raw not in html, raw
    cells = [c.split("</td>")[0] for c in html.split("<td>")[1:]]
    numeric = [c for c in cells if c.replace(".", "").replace(",", "").replace("-", "").isdigit()]
    assert numeric and not [
        c for c in numeric if "e-" in c or len(c.replace(",", "").replace(".", "").lstrip("0")) > 6
    ]
    assert "&lt;0.001" in html
    years = (out / "years.html").read_text(encoding="utf-8")
    assert "Median (years)" in years and "Median (months)" not in years
    # the JSON keeps machine names and days
    payload = json.loads((out / "pages.json").read_text())
    assert payload["tables"]["os_by_npm1_medians"]["rows"][0]["group"] == "npm1=False"
    # CSV headers are the labels
    assert (
        (out / "pages_tables" / "os_by_npm1_medians.csv")
        .read_text()
        .startswith("Group,N,Events,Median (months)")
    )


def test_table_one_groups_in_natural_order_with_words(written):
    out, report = written
    t1 = next(s.table for s in report.sections if s.kind == "table" and s.name.startswith("table1"))
    assert list(t1.columns[3:5]) == ["NPM1 wild-type", "NPM1 mutated"]


def test_patient_section_gives_median_follow_up_with_iqr(written, synth):
    from cohort.survival.kaplan_meier import median_follow_up

    out, _ = written
    html = (out / "pages.html").read_text(encoding="utf-8")
    fu = median_follow_up(synth.data, "os").iloc[0]
    from cohort.numbers import fmt_num

    months = [fmt_num(fu[k] / 30.4375) for k in ("median_follow_up", "q25", "q75")]
    assert f"Median follow-up {months[0]} months (IQR {months[1]}-{months[2]})" in html
    assert html.index("Median follow-up") < html.index("Patient characteristics")
    assert "<svg" in html and "Patient flow:" in html


def test_ph_violation_is_said_in_words_next_to_the_model(written, synth):
    out, report = written
    import cohort

    ph = cohort.cox(synth.data, "npm1 + flt3_itd + age").ph_test
    html = (out / "pages.html").read_text(encoding="utf-8")
    if ph.loc["GLOBAL", "p_value"] < 0.05:
        assert "Proportional hazards do not hold" in html and "What was done" in html
        assert html.index("Proportional hazards do not hold") > html.index("hazard ratios")
    else:  # pragma: no cover - depends on the data
        assert "Proportional hazards do not hold" not in html
    assert report.results and "HR for NPM1 mutated" in report.results[-1]["text"]


def test_figures_shown_at_natural_size(written):
    import re

    out, _ = written
    html = (out / "pages.html").read_text(encoding="utf-8")
    widths = [int(w) for w in re.findall(r'<img [^>]*width="(\d+)"', html)]
    assert widths and all(w >= 500 for w in widths)  # 3.5 in at 150 px/in or wider, never shrunk
    assert "max-width: 36rem" not in html


def test_front_page_cards(synth):
    outcomes = [
        AnalysisOutcome("overview", "Cohort overview", "ran", "", [Path("overview.html")],
                        question="How do NPM1-mutated patients fare?",
                        results=[{"text": "Overall survival: median 29.0 vs NR months.", "n": 2000}],
                        skipped=["Event-free survival: left out, this cohort lacks efs."]),
        AnalysisOutcome("mrd_landmark", "MRD", "skipped", "this cohort lacks mrd", [Path("mrd_landmark.html")]),
        AnalysisOutcome("broken", "Broken", "failed", "analysis 'broken' failed: ValueError: x", []),
    ]  # fmt: skip
    html = render_index(outcomes, synth, today="2026-11-28")
    assert html.index("Ran (1)") < html.index("Not run (1)") < html.index("Failed (1)")
    for text in ("How do NPM1-mutated patients fare?", "Overall survival: median 29.0 vs NR months.",
                 "n = 2,000", "left out, this cohort lacks efs", "this cohort lacks mrd",
                 "ValueError: x", "2026-11-28", "SHA-256", synth.provenance["files"][0]["sha256"][:16],
                 "Median follow-up", 'href="overview.html"'):  # fmt: skip
        assert text in html, text
    assert 'href="broken.html"' not in html


def test_cli_report_time_unit_option(synth, tmp_path):
    from typer.testing import CliRunner

    from cohort.cli import app
    from cohort.report.runner import run_report

    helptext = CliRunner().invoke(app, ["report", "--help"])
    assert "--time-unit" in helptext.output
    with pytest.raises(Exception, match="time unit 'weeks'"):
        run_report(analysis="overview", out=tmp_path, cohort=synth, time_unit="weeks")


def test_intermediate_columns_are_left_to_the_json(synth, tmp_path):
    report = Report(synth, title="hidden")
    report.table("ci", pd.DataFrame({"group": ["npm1=True"], "event": [1], "time": [730.5],
                                     "cif": [0.3], "var": [3.48e-05], "std_err": [0.0059]}))  # fmt: skip
    report.write(tmp_path, stem="hidden")
    html = (tmp_path / "hidden.html").read_text(encoding="utf-8")
    assert "3.48e-05" not in html and "<td>Relapse</td>" in html and "<td>24.0</td>" in html
    payload = json.loads((tmp_path / "hidden.json").read_text())
    assert payload["tables"]["ci"]["rows"][0]["var"] == pytest.approx(3.48e-05)
