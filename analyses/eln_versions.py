"""ELN 2017, its 2020 refinement (Eisfeld et al.) and ELN 2022: who moves, which separates OS best.

Entry point: ``python analyses/eln_versions.py [DATA] [--mapping M] [--exclude] [--out DIR]``. The analysis
itself is cohort/analyses/eln_versions.py (it ships with the package, so ``cohort report --analysis eln_versions``
runs it from any folder).
"""

from cohort.report.runner import run_script

if __name__ == "__main__":
    run_script(__file__)
