"""Deprecated path: moved to :mod:`cohort.io.normalise`; this path works until the next release.

``date_cells`` now lives with the date parsing in :mod:`cohort.io.endpoints`.
"""

from cohort._moved import reexport
from cohort.io.endpoints import date_cells

reexport("cohort.normalise", globals(), {"date_cells": date_cells})
