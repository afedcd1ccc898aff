"""NPM1 MRD in peripheral blood after two cycles: landmark overall survival and relapse incidence.

Entry point: ``python analyses/mrd_landmark.py [DATA] [--mapping M] [--exclude] [--out DIR]``. The analysis
itself is cohort/analyses/mrd_landmark.py (it ships with the package, so ``cohort report --analysis mrd_landmark``
runs it from any folder).
"""

from cohort.report.runner import run_script

if __name__ == "__main__":
    run_script(__file__)
