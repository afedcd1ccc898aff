"""Look at a report as a reader would: headless Chromium renders the page to a PNG and measures it.

Used by the tests (skipped where Chromium is absent) and usable by hand::

    from cohort import browser
    browser.screenshot("reports/overview.html", "overview.png")
    browser.is_blank("overview.png")         # False for a page with content
    browser.layout("reports/overview.html")  # page width and every image's drawn / natural width

Chromium runs with a fresh profile, no network (every host name resolves to nothing), no GPU and no
sandbox (the sandbox needs privileges a CI container may lack).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cohort.errors import CohortError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND",
)  # fmt: skip


class BrowserError(CohortError):
    """Chromium is missing, failed, or did not write what it was asked to."""


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable: ``$COHORT_CHROMIUM``, else the first on PATH."""
    env = os.environ.get("COHORT_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    exe = find_chromium()
    if exe is None:
        raise BrowserError(
            "No Chromium found: install it (apt-get install chromium) or set COHORT_CHROMIUM to its path."
        )
    with tempfile.TemporaryDirectory(prefix="cohort-chromium-") as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", *args]
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(
                f"Chromium did not finish within {timeout:g} s: {' '.join(cmd)}"
            ) from exc


def screenshot(
    html: str | Path, png: str | Path, *, width: int = 1280, height: int = 1600, timeout: float = 90
) -> Path:
    """Render ``html`` (a file) in headless Chromium and write a ``width`` x ``height`` PNG.

    Raises
    ------
    BrowserError
        When Chromium is missing or writes no image.
    """
    html, png = Path(html).resolve(), Path(png).resolve()
    if not html.is_file():
        raise BrowserError(f"{html}: no such page to render.")
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    res = _run([f"--window-size={width},{height}", f"--screenshot={png}", html.as_uri()], timeout)
    if not png.is_file() or png.stat().st_size == 0:
        raise BrowserError(f"Chromium wrote no screenshot of {html}: {res.stderr[-800:]}")
    return png


def is_blank(png: str | Path, *, min_ink: float = 0.005) -> bool:
    """True when fewer than ``min_ink`` of the pixels differ from the page's background colour
    (the most common colour), i.e. the page shows (almost) nothing."""
    from PIL import Image

    img = Image.open(png).convert("RGB")
    img.thumbnail((640, 640))
    colours = img.getcolors(maxcolors=img.width * img.height)
    background = max(colours)[0]
    return 1 - background / (img.width * img.height) < min_ink


_MEASURE = """
<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.map.call(document.images, function (im) {
    var r = im.getBoundingClientRect();
    return {alt: im.alt || "", natural_width: im.naturalWidth, width: r.width, right: r.right,
            loaded: im.complete && im.naturalWidth > 0};
  });
  var out = {viewport: document.documentElement.clientWidth,
             scroll_width: document.documentElement.scrollWidth, images: imgs,
             device_pixel_ratio: window.devicePixelRatio};
  var pre = document.createElement("pre");
  pre.id = "cohort-layout";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def layout(html: str | Path, *, width: int = 1280, timeout: float = 90) -> dict:
    """Measure a page as Chromium lays it out at ``width`` pixels.

    Returns
    -------
    dict
        ``viewport`` and ``scroll_width`` (px; larger scroll width = the page overflows sideways),
        ``images``: for each ``<img>``, ``alt``, ``natural_width``, drawn ``width``, ``right`` edge
        and ``loaded``.
    """
    html = Path(html).resolve()
    text = html.read_text(encoding="utf-8")
    tagged = text.replace("</body>", _MEASURE + "</body>") if "</body>" in text else text + _MEASURE
    fd, tmp = tempfile.mkstemp(suffix=".html", prefix=".layout-", dir=html.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(tagged)
        res = _run([f"--window-size={width},1200", "--virtual-time-budget=5000", "--dump-dom",
                    Path(tmp).as_uri()], timeout)  # fmt: skip
    finally:
        Path(tmp).unlink(missing_ok=True)
    start = res.stdout.find('<pre id="cohort-layout">')
    if start < 0:
        raise BrowserError(f"Chromium returned no layout for {html}: {res.stderr[-800:]}")
    body = res.stdout[start + len('<pre id="cohort-layout">') :]
    import html as html_lib

    return json.loads(html_lib.unescape(body[: body.find("</pre>")]))


def overflowing(measured: dict, *, tolerance: float = 1.0) -> list[str]:
    """What in a :func:`layout` result does not fit the page: the page itself (horizontal scroll)
    and every image whose right edge passes the viewport or that failed to load."""
    problems = []
    if measured["scroll_width"] > measured["viewport"] + tolerance:
        problems.append(
            f"page is {measured['scroll_width']} px wide in a {measured['viewport']} px window"
        )
    for im in measured["images"]:
        if not im["loaded"]:
            problems.append(f"image {im['alt']!r} did not load")
        elif im["right"] > measured["viewport"] + tolerance:
            problems.append(f"image {im['alt']!r} ends at {im['right']:.0f} px")
    return problems
