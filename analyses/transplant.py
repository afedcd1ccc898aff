"""Allogeneic transplantation in first remission as a time-dependent exposure (all and NPM1-mutated).

Entry point: ``python analyses/transplant.py [DATA] [--mapping M] [--exclude] [--out DIR]``. The analysis
itself is cohort/analyses/transplant.py (it ships with the package, so ``cohort report --analysis transplant``
runs it from any folder).
"""

from cohort.report.runner import run_script

if __name__ == "__main__":
    run_script(__file__)
