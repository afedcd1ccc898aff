"""Reports: self-contained HTML, CSV tables and a JSON of every number (see :class:`Report`)."""

from cohort.report.document import Report, ReportPrivacyError, package_versions
from cohort.report.runner import (
    AnalysisOutcome,
    ReportRun,
    available_analyses,
    load_cohort,
    run_analysis,
    run_report,
    run_script,
)

__all__ = [
    "AnalysisOutcome",
    "ReportRun",
    "Report",
    "ReportPrivacyError",
    "available_analyses",
    "load_cohort",
    "package_versions",
    "run_analysis",
    "run_report",
    "run_script",
]
