"""The favorable NPM1-mutated/FLT3-ITD-negative genotype in patients up to 60 and over 65 years.

Entry point: ``python analyses/age.py [DATA] [--mapping M] [--exclude] [--out DIR]``. The analysis
itself is cohort/analyses/age.py (it ships with the package, so ``cohort report --analysis age``
runs it from any folder).
"""

from cohort.report.runner import run_script

if __name__ == "__main__":
    run_script(__file__)
