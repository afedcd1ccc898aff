"""NPM1-mutated AML by FLT3-ITD status and allelic ratio, and what ELN 2017 and 2022 make of ITD-low.

Entry point: ``python analyses/npm1_flt3_itd_ratio.py [DATA] [--mapping M] [--exclude] [--out DIR]``. The analysis
itself is cohort/analyses/npm1_flt3_itd_ratio.py (it ships with the package, so ``cohort report --analysis npm1_flt3_itd_ratio``
runs it from any folder).
"""

from cohort.report.runner import run_script

if __name__ == "__main__":
    run_script(__file__)
