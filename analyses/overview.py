"""Who is in the cohort, and how do NPM1-mutated and wild-type AML fare?

Entry point: ``python analyses/overview.py [DATA] [--mapping M] [--exclude] [--out DIR]``. The analysis
itself is cohort/analyses/overview.py (it ships with the package, so ``cohort report --analysis overview``
runs it from any folder).
"""

from cohort.report.runner import run_script

if __name__ == "__main__":
    run_script(__file__)
