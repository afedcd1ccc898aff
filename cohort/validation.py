"""Deprecated path: moved to :mod:`cohort.io.validation`; this path works until the next release."""

from cohort._moved import reexport

reexport("cohort.validation", globals())
