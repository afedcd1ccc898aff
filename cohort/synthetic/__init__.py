"""Synthetic NPM1-AML cohorts with a known truth, calibrated to the bundled AMLSG cohort.

``generate(n, seed=..., scenario=...)`` returns a :class:`~cohort.Cohort` in the canonical schema
(with an NPM1 MRD table); ``truth(scenario)`` returns the true effects of its outcome model;
``write_default(out_dir)`` writes the default cohort shipped in ``synthetic_data/``. See
``synthetic_data/README.md`` for the model and the calibration figures.
"""

from __future__ import annotations

from cohort.synthetic.generator import generate, write_default
from cohort.synthetic.scenarios import SCENARIOS, truth

__all__ = ["SCENARIOS", "generate", "truth", "write_default"]
