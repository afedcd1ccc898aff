"""NPM1-mutated AML with and without co-mutations of NRAS, WT1, RAD21, FLT3-TKD and IDH1/2.

Entry point: ``python analyses/co_mutations.py [DATA] [--mapping M] [--exclude] [--out DIR]``. The analysis
itself is cohort/analyses/co_mutations.py (it ships with the package, so ``cohort report --analysis co_mutations``
runs it from any folder).
"""

from cohort.report.runner import run_script

if __name__ == "__main__":
    run_script(__file__)
