"""Deprecated path: moved to :mod:`cohort.io.mapping`; this path works until the next release."""

from cohort._moved import reexport

reexport("cohort.mapping", globals())
