"""Publication figures from fitted results. Plotting never fits anything.

Every function takes a result object (or a tidy DataFrame) computed elsewhere and returns a
:class:`matplotlib.figure.Figure`, built without pyplot so that no global state (backend, rcParams,
open figures) is touched. Sizes default to a single journal column (3.5 in wide). The data drawn
are available as DataFrames too (:func:`at_risk_table`, ``result.curves``), so numbers in a paper
can be checked against the figure.

The figures are grouped by kind: :mod:`~cohort.plots.survival` (Kaplan-Meier, Simon-Makuch,
cumulative incidence), :mod:`~cohort.plots.forest` (hazard ratios), :mod:`~cohort.plots.matrices`
(reclassification and co-mutation heat maps), :mod:`~cohort.plots.mrd` (MRD trajectories), all in
the house style of :mod:`~cohort.plots.style`. Import them from ``cohort.plots``.
"""

from __future__ import annotations

from cohort.plots.forest import forest_plot, forest_table
from cohort.plots.matrices import comutation_plot, comutation_table, reclassification_plot
from cohort.plots.mrd import mrd_plot
from cohort.plots.style import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    MAX_CENSOR_MARKS,
    PALETTE,
    SINGLE_COLUMN_IN,
    CohortFigure,
    Labels,
    Palette,
    figure_to_png,
    palette,
)
from cohort.plots.survival import (
    at_risk_table,
    cuminc_plot,
    event_label,
    km_plot,
    simon_makuch_at_risk,
    simon_makuch_plot,
    thin_censor_marks,
)

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "MAX_CENSOR_MARKS",
    "PALETTE",
    "SINGLE_COLUMN_IN",
    "CohortFigure",
    "Labels",
    "Palette",
    "at_risk_table",
    "comutation_plot",
    "comutation_table",
    "cuminc_plot",
    "event_label",
    "figure_to_png",
    "forest_plot",
    "forest_table",
    "km_plot",
    "mrd_plot",
    "palette",
    "reclassification_plot",
    "simon_makuch_at_risk",
    "simon_makuch_plot",
    "thin_censor_marks",
]
