"""Deprecated path: moved to :mod:`cohort.io.mutations`; this path works until the next release."""

from cohort._moved import reexport

reexport("cohort.mutations", globals())
