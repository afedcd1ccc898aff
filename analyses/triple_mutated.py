"""NPM1/FLT3-ITD/DNMT3A triple-mutated AML versus the other NPM1-mutated AML.

Entry point: ``python analyses/triple_mutated.py [DATA] [--mapping M] [--exclude] [--out DIR]``. The analysis
itself is cohort/analyses/triple_mutated.py (it ships with the package, so ``cohort report --analysis triple_mutated``
runs it from any folder).
"""

from cohort.report.runner import run_script

if __name__ == "__main__":
    run_script(__file__)
