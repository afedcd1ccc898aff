"""Reports: self-contained HTML, CSV tables and a JSON of every number (see :class:`Report`)."""

from cohort.report.document import Report, ReportPrivacyError, package_versions
from cohort.report.runner import (
    available_analyses,
    load_cohort,
    run_analysis,
    run_report,
    run_script,
)

__all__ = [
    "Report",
    "ReportPrivacyError",
    "available_analyses",
    "load_cohort",
    "package_versions",
    "run_analysis",
    "run_report",
    "run_script",
]
