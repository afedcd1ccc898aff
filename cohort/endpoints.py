"""Deprecated path: moved to :mod:`cohort.io.endpoints`; this path works until the next release."""

from cohort._moved import reexport

reexport("cohort.endpoints", globals())
