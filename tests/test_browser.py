"""Reports looked at in headless Chromium: the screenshot is not blank and no figure overflows.

Skipped where no Chromium is installed (``.ci/run`` installs it when apt-get is available). Set
``COHORT_SCREENSHOT_DIR`` to keep the screenshots (the closing notes of issue 16 cite them).
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest
from PIL import Image

from cohort import browser

pytestmark = pytest.mark.skipif(browser.find_chromium() is None, reason="no Chromium installed")


def _keep(png: Path) -> None:
    keep = os.environ.get("COHORT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / png.name)


@pytest.fixture(scope="module")
def small_report(tmp_path_factory):
    import cohort
    from cohort import plots
    from cohort.report.document import Report
    from cohort.report.runner import load_cohort

    out = tmp_path_factory.mktemp("report")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = load_cohort(None)
        report = Report(c, title="Browser check")
        report.text("Overall survival by NPM1 status in the synthetic cohort.")
        fit = cohort.km(c.data, "os", by="npm1")
        report.figure(
            "km_npm1", plots.km_plot(fit), "Overall survival by NPM1", {"medians": fit.table}
        )
        report.write(out, stem="browser_check")
    return out / "browser_check.html"


def test_report_screenshot_is_not_blank(small_report, tmp_path):
    png = browser.screenshot(
        small_report, tmp_path / "report_screenshot.png", width=1000, height=900
    )
    assert Image.open(png).size == (1000, 900)
    assert not browser.is_blank(png)
    _keep(png)


def test_blank_page_is_detected(tmp_path):
    page = tmp_path / "empty.html"
    page.write_text("<!doctype html><html><body></body></html>", encoding="utf-8")
    png = browser.screenshot(page, tmp_path / "empty.png", width=400, height=300)
    assert browser.is_blank(png)


def test_report_figures_fit_the_page(small_report):
    measured = browser.layout(small_report, width=1000)
    assert measured["images"], "the report shows no figure"
    assert browser.overflowing(measured) == []


def test_overflow_is_detected(tmp_path):
    page = tmp_path / "wide.html"
    page.write_text(
        '<!doctype html><html><body><div style="width:3000px">wide</div></body></html>',
        encoding="utf-8",
    )
    problems = browser.overflowing(browser.layout(page, width=800))
    assert problems and "wide" in problems[0]
