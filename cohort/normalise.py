"""Deprecated path: moved to :mod:`cohort.io.normalise`; this path works until the next release."""

from cohort._moved import reexport

reexport("cohort.normalise", globals())
