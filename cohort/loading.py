"""Deprecated path: moved to :mod:`cohort.io.loading`; this path works until the next release."""

from cohort._moved import reexport
from cohort.loader import load

reexport("cohort.loading", globals(), {"load": load})
