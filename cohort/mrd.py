"""Deprecated path: moved to :mod:`cohort.io.mrd`; this path works until the next release."""

from cohort._moved import reexport

reexport("cohort.mrd", globals())
