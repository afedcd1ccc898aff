"""The analysis scripts: one module per scientific question of the NPM1 literature.

Each module defines ``TITLE``, ``QUESTION``, ``REQUIRES`` and ``OPTIONAL`` (see
:mod:`cohort.report.needs`) and ``analyse(cohort, report)``. They ship with the package, so that
``cohort report`` works from any folder after ``pip install``; ``analyses/<name>.py`` in the
repository are thin entry points to them (``python analyses/age.py amlsg``).
"""
