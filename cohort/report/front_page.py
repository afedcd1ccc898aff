"""The front page of a report run (``index.html``): the cohort, then one card per analysis."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

STATUS_HEADINGS = {"ran": "Ran", "skipped": "Not run", "failed": "Failed"}
"""Card groups in page order (keeps the ran / not run / failed account of each run)."""


def _cohort_facts(c: Any, time_unit: str) -> dict[str, Any]:
    if c is None:
        return {}
    from cohort.report.document import Report

    prov = c.provenance or {}
    files = prov.get("files") or []
    mapping = (prov.get("mapping") or {}).get("name")
    mapping = None if mapping in (None, "", "none") else mapping
    name = mapping or (Path(files[0].get("path", "")).name if files else "cohort")
    follow_up = Report(c, title="", time_unit=time_unit).follow_up()
    return {
        "name": name,
        "n": len(c.data),
        "n_input": getattr(c, "n_input", len(c.data)),
        "inputs": [
            {
                "file": Path(f.get("path", "")).name,
                "role": f.get("role", ""),
                "sha256": f.get("sha256") or "",
            }
            for f in files
        ],
        "follow_up": follow_up["text"] if follow_up else "",
    }


def _card(o: Any) -> dict[str, Any]:
    first = (o.results or [{}])[0]
    return {
        "name": o.name,
        "title": o.title,
        "status": o.status,
        "href": f"{o.name}.html" if o.files else "",
        "question": o.question,
        "result": first.get("text", ""),
        "n": first.get("n"),
        "more": max(len(o.results) - 1, 0),
        "reason": o.reason,
        "skipped": list(o.skipped),
    }


def render_index(
    outcomes: list[Any], c: Any = None, *, time_unit: str = "months", today: str | None = None
) -> str:
    """The HTML of the front page (see :func:`cohort.report.runner.write_index`)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    groups = [
        {"status": s, "heading": h, "cards": [_card(o) for o in outcomes if o.status == s]}
        for s, h in STATUS_HEADINGS.items()
    ]
    counts = {s: sum(o.status == s for o in outcomes) for s in STATUS_HEADINGS}
    env = Environment(
        loader=PackageLoader("cohort", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    return env.get_template("index.html.j2").render(
        cohort=_cohort_facts(c, time_unit),
        date=today or dt.datetime.now(dt.UTC).date().isoformat(),
        groups=[g for g in groups if g["cards"]],
        counts=counts,
        time_unit=time_unit,
    )
