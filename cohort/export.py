"""Deprecated path: moved to :mod:`cohort.io.export`; this path works until the next release."""

from cohort._moved import reexport

reexport("cohort.export", globals())
