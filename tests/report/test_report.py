"""The HTML report as a person would receive it: it parses, its images decode, it holds no patient
identifiers, and running it twice gives byte-identical CSV and JSON files."""

import base64
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from cohort.report import Report, ReportPrivacyError, load_cohort, run_report
from cohort.report.blocks import cox_block, km_block, table_one_block


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.tables, self.stack = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag not in ("meta", "img", "br", "link"):
            self.stack.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag == "table":
            self.tables += 1

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}> after {self.stack[-3:]}"
        self.stack.pop()


@pytest.fixture(scope="module")
def synth():
    return load_cohort(None)


def _build(c, out: Path, **kwargs) -> list[Path]:
    report = Report(c, title="Test report", question="Does NPM1 status matter?", **kwargs)
    report.flow("NPM1 known", int(c.data["npm1"].notna().sum()))
    table_one_block(report, c.data, "npm1")
    km_block(report, "os_by_npm1", c.data, "npm1")
    cox_block(report, "cox", c.data, "npm1 + age")
    return report.write(out, stem="test")


def _check_html(path: Path) -> _Collector:
    parser = _Collector()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert parser.stack == ["html"] or parser.stack == []
    return parser


def test_report_parses_images_decode_no_ids(synth, tmp_path):
    files = _build(synth, tmp_path)
    html = (tmp_path / "test.html").read_text(encoding="utf-8")
    parser = _check_html(tmp_path / "test.html")
    assert len(parser.images) == 2 and parser.tables >= 5
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")  # embedded: opens offline
        Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).load()
    ids = set(synth.data["patient_id"])
    assert not any(pid in html for pid in ids)
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert not any(pid in text for pid in ids), f
    payload = json.loads((tmp_path / "test.json").read_text())
    flow = {r["step"]: r["n"] for r in payload["tables"]["patient_flow"]["rows"]}
    assert flow["loaded"] == len(synth.data) and flow["rows in the input"] == len(synth.data)
    medians = payload["tables"]["os_by_npm1_medians"]["rows"]
    assert sum(r["n"] for r in medians) == len(synth.data)
    assert payload["provenance"]["inputs"][0]["sha256"] == synth.provenance["files"][0]["sha256"]
    assert payload["provenance"]["packages"]["lifelines"]
    assert any("Kaplan-Meier" in m for m in payload["methods"])
    for section in ("Question.", "Patients", "Methods", "Provenance", "SHA-256"):
        assert section in html


def test_same_report_twice_is_byte_identical(synth, tmp_path):
    a = _build(synth, tmp_path / "a")
    b = _build(synth, tmp_path / "b")
    for fa, fb in zip(a, b, strict=True):
        if fa.suffix in (".csv", ".json"):
            assert fa.read_bytes() == fb.read_bytes(), fa.name


def test_identifier_in_a_table_is_refused(synth, tmp_path):
    report = Report(synth, title="leak")
    leaked = synth.data[["patient_id", "age"]].head(3).rename(columns={"patient_id": "who"})
    report.table("leak", leaked, "a table that carries identifiers under another name")
    with pytest.raises(ReportPrivacyError, match="--include-ids"):
        report.write(tmp_path)
    allowed = Report(synth, title="leak", include_ids=True)
    allowed.table("leak", leaked, "allowed")
    allowed.write(tmp_path)
    assert synth.data["patient_id"].iloc[0] in (tmp_path / "report.html").read_text()


def test_csv_tables_neutralise_formulas(synth, tmp_path):
    import pandas as pd

    report = Report(synth, title="t")
    report.table(
        "cells", pd.DataFrame({"label": ['=HYPERLINK("x")', "+1", "ok"], "value": [-1.5, 2.0, 3.0]})
    )
    report.write(tmp_path)
    text = (tmp_path / "report_tables" / "cells.csv").read_text()
    assert "'=HYPERLINK" in text and "'+1" in text and "-1.5" in text


def test_run_report_overview_end_to_end(tmp_path):
    pytest.importorskip("cohort.survival.competing")
    written = run_report(None, analysis="overview", out=tmp_path).written
    assert (tmp_path / "overview.html").is_file() and (tmp_path / "overview.json").is_file()
    _check_html(tmp_path / "overview.html")
    assert any(p.suffix == ".csv" for p in written)


def test_numeric_identifiers_do_not_block_numbers_but_an_id_column_does(tmp_path):
    import pandas as pd

    from cohort.cohort import Cohort

    data = pd.DataFrame({"patient_id": [str(2000 + i) for i in range(40)], "age": range(40)})
    c = Cohort(data)
    report = Report(c, title="numbers that look like ids")
    report.table(
        "counts", pd.DataFrame({"what": ["days", "year"], "value": [2026, 2017]})
    )  # not identifiers
    report.text("Median follow-up 2026 days; ELN 2017; seed 2020.")
    report.write(tmp_path)
    leaky = Report(c, title="leak")
    leaky.table("ids", pd.DataFrame({"who": data["patient_id"].head(10), "x": range(10)}))
    with pytest.raises(ReportPrivacyError, match="column 'who'"):
        leaky.write(tmp_path)


def test_html_shows_p_values_and_not_reached_medians_readably(synth, tmp_path):
    import pandas as pd

    report = Report(synth, title="formats")
    report.table(
        "m",
        pd.DataFrame(
            {"group": ["a", "b"], "median": [300.0, float("nan")], "p_value": [0.00001, 0.04321]}
        ),
    )
    report.write(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "<td>NR</td>" in html and "<td>&lt;0.001</td>" in html and "<td>0.043</td>" in html
    csv = (tmp_path / "report_tables" / "m.csv").read_text()
    assert "1e-05" in csv  # the CSV keeps full precision
