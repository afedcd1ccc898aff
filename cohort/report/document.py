"""The :class:`Report`: sections of text, tables and figures written as one self-contained HTML file,
one CSV per table and one JSON file holding every number.

Determinism: tables are written with a fixed float format and the JSON with sorted keys and no
timestamps, so two runs on the same input give byte-identical CSV and JSON files. Privacy: tables
never carry a ``patient_id`` column, and before anything is written every output is searched for the
input's patient identifiers; finding one is an error unless the report was built with
``include_ids=True``.
"""

from __future__ import annotations

import base64
import json
import math
import platform
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cohort.cohort import Cohort
from cohort.errors import CohortError
from cohort.io.export import safe_csv
from cohort.numbers import fmt_num, fmt_p
from cohort.report.display import HIDDEN_COLUMNS, display_frame
from cohort.report.flow_diagram import flow_svg

_PACKAGES = ("cohort", "pandas", "numpy", "scipy", "lifelines", "scikit-survival", "statsmodels",
             "matplotlib", "seaborn")  # fmt: skip


_TABLE_CAPTIONS = {
    "grays_test": "Gray's test", "log_rank": "log-rank test",
    "pairwise_log_rank_holm": "pairwise log-rank tests (Holm-adjusted)",
    "survival_at": "survival at 1, 2 and 5 years", "incidence_at": "cumulative incidence at 1, 2 and 5 years",
    "ph_test": "proportional-hazards test (R cox.zph)", "fit": "patients and events in the model",
    "hazard_ratios": "hazard ratios",
}  # fmt: skip
"""Captions of the tables that come with a figure (keys as the blocks name them)."""

_SKIP_WORDS = re.compile(
    r"\b(left out|not estimated|not fitted|not compared|not computed|not run|not shown)\b"
)
FIGURE_DPI = 200
"""Resolution of embedded figures."""
CSS_PX_PER_INCH = 150
"""Every figure is shown at this one scale (not stretched to the page), so a single-column figure
is 525 px wide and a two-column one twice that: figures keep their relative, natural sizes."""


class ReportPrivacyError(CohortError):
    """A patient identifier would have been written into a report that was not allowed to hold one."""


def package_versions() -> dict[str, str]:
    """Installed versions of the packages whose code computes the report's numbers."""
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["python"] = platform.python_version()
    return out


def _clean_number(x: Any) -> Any:
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        if not math.isfinite(float(x)):
            return None
        return float(f"{float(x):.10g}")
    if x is pd.NA or x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return x if isinstance(x, (str, list, dict)) else str(x)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        out.append({str(k): _clean_cell(v) for k, v in rec.items()})
    return out


def _clean_cell(v: Any) -> Any:
    if isinstance(v, (list, dict, tuple)):
        return v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        return str(v)
    return _clean_number(v)


@dataclass
class _Section:
    kind: str  # "heading", "text", "table", "figure"
    title: str = ""
    body: str = ""
    name: str = ""
    table: pd.DataFrame | None = None
    show: bool = True
    png: bytes | None = None
    level: int = 2


@dataclass
class Report:
    """A report under construction.

    Parameters
    ----------
    cohort : Cohort
        The analysed cohort (its exclusions and provenance feed the flow diagram and provenance).
    title : str
    question : str
        The scientific question, shown first.
    include_ids : bool
        Allow patient identifiers in the outputs (off by default).
    command_line : str
        The command that produced the report (provenance).
    seed : int or None
        Seed of any random step (bootstrap, synthetic data), for provenance.
    not_run : list of str
        What the cohort lacks, in words, when the analysis was not run for want of it.
    time_unit : {"months", "years", "days"}
        The one time unit of the report's tables and figures (the JSON keeps days).
    results : list of dict
        Key results (``text``, ``n``) in the order the blocks found them; the first one is the
        report's card on the front page (:meth:`result`).
    skipped : list of str
        Sentences saying what part of the analysis was left out, and why.
    endpoints_used : set of str
        Endpoints the report's blocks analysed; the patient flow counts the patients whose value
        of each was blanked at load (an exclusion confined to that endpoint).
    software_warnings : list of str
        Warnings raised while the analysis ran that are not about the data (library deprecations
        and the like); ``cohort --debug report`` prints them.
    """

    cohort: Cohort
    title: str
    question: str = ""
    include_ids: bool = False
    command_line: str = ""
    seed: int | None = None
    sections: list[_Section] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    flow_steps: list[dict[str, Any]] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    time_unit: str = "months"
    results: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    endpoints_used: set[str] = field(default_factory=set)
    software_warnings: list[str] = field(default_factory=list)
    _names: set[str] = field(default_factory=set)

    # ---------------------------------------------------------------- building blocks
    def heading(self, title: str, level: int = 2) -> None:
        """A section heading."""
        self.sections.append(_Section("heading", title=title, level=level))

    def text(self, body: str) -> None:
        """A paragraph (plain text; blank lines separate paragraphs).

        A paragraph saying that part of the analysis was left out ("left out", "not estimated",
        "not fitted", ...) is also listed in :attr:`skipped` for the front page.
        """
        self.sections.append(_Section("text", body=body))
        if _SKIP_WORDS.search(body):
            self.skipped.append(body.strip())

    def note(self, body: str) -> None:
        """A highlighted paragraph next to a result (e.g. a proportional-hazards violation)."""
        self.sections.append(_Section("note", body=body))

    def method(self, key: str, sentence: str) -> None:
        """A sentence for the methods section (each key once, in order of first use)."""
        self.methods.setdefault(key, sentence)

    def result(self, text: str, n: int | None = None) -> None:
        """Record a key result (one sentence, with the number of patients it is about) for the
        front page; blocks call it, the first recorded is the report's headline."""
        self.results.append({"text": text, "n": None if n is None else int(n)})

    def _unique(self, name: str) -> str:
        base = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "table"
        out, i = base, 2
        while out in self._names:
            out, i = f"{base}_{i}", i + 1
        self._names.add(out)
        return out

    def table(self, name: str, frame: pd.DataFrame, caption: str = "", *, show: bool = True) -> str:
        """Add a table: shown in the HTML (if ``show``), written as CSV and into the JSON. Returns its name."""
        frame = (
            frame.reset_index(drop=not any(frame.index.names))
            if not isinstance(frame.index, pd.RangeIndex)
            else frame
        )
        if "patient_id" in frame.columns and not self.include_ids:
            frame = frame.drop(columns="patient_id")
        key = self._unique(name)
        self.numbers[key] = {"caption": caption, "rows": _records(frame)}
        self.sections.append(_Section("table", title=caption, name=key, table=frame, show=show))
        return key

    def figure(
        self, name: str, fig: Any, caption: str, tables: dict[str, pd.DataFrame] | None = None
    ) -> None:
        """Add a figure (embedded PNG) followed by the tables of the numbers it shows."""
        from cohort.plots import figure_to_png

        key = self._unique(name)
        self.sections.append(
            _Section("figure", title=caption, name=key, png=figure_to_png(fig, dpi=FIGURE_DPI))
        )
        for tname, frame in (tables or {}).items():
            what = _TABLE_CAPTIONS.get(tname, tname.replace("_", " "))
            self.table(f"{key}_{tname}", frame, f"{caption}: {what}")

    def flow(self, label: str, n: int, note: str = "", *, split: bool = False) -> None:
        """A step of the patient flow (CONSORT-style): e.g. ("NPM1-mutated", 612).

        ``split=True`` marks one of the groups the previous step divides into (each patient in
        exactly one of them): consecutive split steps are drawn side by side under that step, not
        as a chain of nested subsets, and carry ``kind = "split"`` in the flow table.
        """
        kind = "split" if split else "step"
        self.flow_steps.append({"step": label, "n": int(n), "note": note, "kind": kind})

    def follow_up(self) -> dict[str, Any] | None:
        """Median follow-up of the analysed cohort by reverse Kaplan-Meier on overall survival, with
        its interquartile range, in the report's time unit (None without overall survival)."""
        from cohort.schema import TIME_UNITS
        from cohort.survival.kaplan_meier import median_follow_up

        data = self.cohort.data
        if not {"os_days", "os_event"} <= set(data.columns):
            return None
        if not (data["os_days"].notna() & data["os_event"].notna()).any():
            return None
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = median_follow_up(data, "os").iloc[0]
        scale = TIME_UNITS[self.time_unit]
        fu = {k: (None if pd.isna(row[k]) else float(row[k]) / scale)
              for k in ("median_follow_up", "q25", "q75")}  # fmt: skip
        text = (
            f"Median follow-up {fmt_num(fu['median_follow_up'], missing='not reached')} "
            f"{self.time_unit} (IQR {fmt_num(fu['q25'], missing='NR')}-"
            f"{fmt_num(fu['q75'], missing='NR')}), reverse Kaplan-Meier on overall survival, "
            f"{int(row['n']):,} patients with a known survival time."
        )
        return {"n": int(row["n"]), "unit": self.time_unit, **fu, "text": text}

    # ---------------------------------------------------------------- provenance and output
    def provenance(self) -> dict[str, Any]:
        """What produced the numbers: input files and hashes, mapping, seed, versions, command line."""
        prov = self.cohort.provenance
        mapping = prov.get("mapping") or {}
        return {
            "inputs": [
                {
                    "file": Path(f.get("path", "")).name,
                    "role": f.get("role", ""),
                    "sha256": f.get("sha256"),
                }
                for f in prov.get("files", [])
            ],
            "mapping": {"name": mapping.get("name"), "sha256": mapping.get("sha256")},
            "seed": self.seed,
            "subsets": prov.get("subsets", []),
            "packages": package_versions(),
            "command_line": self.command_line,
        }

    def _load_flow(self) -> pd.DataFrame:
        c = self.cohort
        rows = [{"step": "rows in the input", "n": c.n_input, "note": ""}]
        excluded = c.excluded_patients()
        if len(excluded):
            reasons = (
                excluded.drop_duplicates("row")["reason"].astype(str).str.split("; ").explode()
            )
            for reason, k in reasons.value_counts().sort_index().items():
                rows.append({"step": "excluded", "n": int(k), "note": reason})
        rows.append({"step": "loaded", "n": len(c.data), "note": ""})
        flow = pd.DataFrame(rows + self._blanked_steps() + self.flow_steps)
        kind = flow["kind"] if "kind" in flow.columns else pd.Series("step", index=flow.index)
        flow["kind"] = kind.fillna("step").where(flow["step"] != "excluded", "excluded")
        return flow

    def _blanked_steps(self) -> list[dict[str, Any]]:
        """One flow step per analysed endpoint that was blanked for some patients at load."""
        excl = self.cohort.exclusions
        if "scope" not in excl.columns:
            return []
        steps = []
        for endpoint in sorted(self.endpoints_used):
            lost = excl[excl["scope"] == endpoint]
            if len(lost):
                reasons = sorted(set("; ".join(lost["reason"].astype(str)).split("; ")))
                steps.append(
                    {
                        "step": f"{endpoint.upper()} unusable (blanked at load; patient kept)",
                        "n": int(lost["row"].nunique()),
                        "note": f"left out of the {endpoint.upper()} analyses: {', '.join(reasons)}",
                    }
                )
        return steps

    def _privacy_check(self, texts: dict[str, str]) -> None:
        """Refuse to write output that carries an input patient identifier.

        Identifiers with a letter in them are searched for as whole tokens in the HTML (embedded images
        left out) and the JSON. Identifiers made only of digits cannot be told apart from counts, days
        or years in a report ("2426" is also a survival time), so for them every table is checked
        instead: a column whose values are mostly identifiers is a leaked identifier column.
        """
        if self.include_ids or "patient_id" not in self.cohort.data.columns:
            return
        ids = set(self.cohort.data["patient_id"].dropna().astype(str))
        ids |= set(
            self.cohort.exclusions.get("patient_id", pd.Series(dtype=object)).dropna().astype(str)
        )
        textual = {i for i in ids if len(i) >= 4 and re.search(r"[A-Za-z]", i)}
        if textual:
            pattern = re.compile(
                r"(?<![A-Za-z0-9_.-])("
                + "|".join(re.escape(i) for i in sorted(textual, key=len, reverse=True))
                + r")(?![A-Za-z0-9_-])"
            )
            for where, text in texts.items():
                m = pattern.search(re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", text))
                if m:
                    raise ReportPrivacyError(
                        f"patient identifier {m.group(1)!r} would be written to {where}. Reports hold no "
                        "identifiers unless asked: remove it from the table, or pass include_ids=True "
                        "(CLI: --include-ids)."
                    )
        for key, entry in self.numbers.items():
            rows = entry["rows"]
            if len(rows) < 5:
                continue
            for col in rows[0]:
                values = [str(r.get(col)) for r in rows if r.get(col) is not None]
                if len(values) >= 5 and sum(v in ids for v in values) > len(values) / 2:
                    raise ReportPrivacyError(
                        f"table {key!r}, column {col!r} holds patient identifiers. Reports hold no identifiers "
                        "unless asked: drop the column, or pass include_ids=True (CLI: --include-ids)."
                    )

    def write(self, out_dir: str | Path, stem: str = "report") -> list[Path]:
        """Write ``<stem>.html``, ``<stem>.json`` and ``<stem>_tables/<name>.csv``; returns the paths."""
        from jinja2 import Environment, PackageLoader, select_autoescape

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        flow = self._load_flow()
        self.numbers["patient_flow"] = {"caption": "Patient flow", "rows": _records(flow)}
        payload = {
            "title": self.title,
            "question": self.question,
            "methods": list(self.methods.values()),
            "tables": self.numbers,
            "provenance": self.provenance(),
            "follow_up": self.follow_up(),
            "results": self.results,
            "time_unit": self.time_unit,
        }
        json_text = json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
        tables = {"patient_flow": flow} | {
            sec.name: display_frame(sec.table, self.time_unit)
            for sec in self.sections
            if sec.kind == "table"
        }
        env = Environment(
            loader=PackageLoader("cohort", "templates"),
            autoescape=select_autoescape(["html", "j2"]),
        )
        html_text = env.get_template("report.html.j2").render(
            title=self.title,
            question=self.question,
            flow=flow,
            sections=[_render_section(s, self.time_unit) for s in self.sections],
            follow_up=self.follow_up(),
            flow_svg=flow_svg(flow),
            time_unit=self.time_unit,
            methods=list(self.methods.values()),
            provenance=self.provenance(),
        )
        self._privacy_check({f"{stem}.html": html_text, f"{stem}.json": json_text})
        html_path = out_dir / f"{stem}.html"
        html_path.write_text(html_text, encoding="utf-8")
        json_path = out_dir / f"{stem}.json"
        json_path.write_text(json_text, encoding="utf-8")
        written = [html_path, json_path]
        table_dir = out_dir / f"{stem}_tables"
        for key, frame in tables.items():
            written.append(safe_csv(frame, table_dir / f"{key}.csv", index=False))
        return written


def _fmt_cell(v: Any) -> str:
    return fmt_num(v)


def _fmt_count(v: Any) -> str:
    try:
        return f"{int(v):,}" if float(v).is_integer() else fmt_num(v)
    except (TypeError, ValueError):
        return fmt_num(v)


def _fmt_p(v: Any) -> str:
    return fmt_p(v, missing="")


def _fmt_median(v: Any) -> str:
    # a missing median or limit means the curve never reached 0.5 ("not reached")
    text = _fmt_cell(v)
    return text if text else "NR"


_COUNT_COLUMNS = frozenset({"n", "events", "at_risk", "missing", "dof", "df", "competing", "censored",
                            "n_deleted_missing", "minimum_n"})  # fmt: skip


def _column_format(name: str):
    """How the HTML shows a column (CSV and JSON keep full precision)."""
    if (
        name in ("p_value", "p_adjusted", "p")
        or name.endswith("_p_value")
        or name.startswith("p_value")
    ):
        return _fmt_p
    if name in ("median", "median_lower", "median_upper"):
        return _fmt_median
    if name in _COUNT_COLUMNS:
        return _fmt_count
    return _fmt_cell


def _png_width(png: bytes) -> int:
    """Pixel width of a PNG (from its IHDR chunk)."""
    return int.from_bytes(png[16:20], "big") if png[:8] == b"\x89PNG\r\n\x1a\n" else 0


def _render_section(s: _Section, time_unit: str = "months") -> dict[str, Any]:
    out: dict[str, Any] = {"kind": s.kind, "title": s.title, "level": s.level, "name": s.name}
    if s.kind in ("text", "note"):
        out["paragraphs"] = [p.strip() for p in s.body.strip().split("\n\n") if p.strip()]
    elif s.kind == "table" and s.show:
        shown = display_frame(s.table, time_unit)
        out["columns"] = [str(c) for c in shown.columns]
        kept = [str(c) for c in s.table.columns if str(c) not in HIDDEN_COLUMNS]
        formats = [_column_format(c) for c in kept]
        out["rows"] = [
            [fmt(v) for fmt, v in zip(formats, row, strict=True)]
            for row in shown.itertuples(index=False)
        ]
        if "variable" in s.table.columns:  # Table 1: name a characteristic once, on its first row
            k = kept.index("variable")
            last = None
            for row in out["rows"]:
                if row[k] == last:
                    row[k] = ""
                else:
                    last = row[k]
    elif s.kind == "table":
        out["kind"] = "hidden"
    elif s.kind == "figure":
        out["src"] = "data:image/png;base64," + base64.b64encode(s.png or b"").decode("ascii")
        out["width"] = round(_png_width(s.png or b"") * CSS_PX_PER_INCH / FIGURE_DPI)
    return out


__all__ = ["Report", "ReportPrivacyError", "package_versions"]
