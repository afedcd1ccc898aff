"""Deprecated path: moved to :mod:`cohort.io.checks`; this path works until the next release."""

from cohort._moved import reexport

reexport("cohort._input_checks", globals())
