"""The data layer: from a table on disk to a canonical, validated cohort.

- :mod:`cohort.io.loading`: reading a table file and building the :class:`~cohort.Cohort`
  (:func:`~cohort.io.loading.load`, :func:`~cohort.io.loading.load_mrd`);
- :mod:`cohort.io.checks`: checks on the bytes and records of a file before pandas reads it;
- :mod:`cohort.io.mapping`: mapping files (column names, codes, units, dates);
- :mod:`cohort.io.normalise`: cell values into the canonical vocabularies and units;
- :mod:`cohort.io.validation`: the validation rules;
- :mod:`cohort.io.endpoints`: endpoints derived from dates;
- :mod:`cohort.io.mutations`: variant tables (MAF) into genotype columns;
- :mod:`cohort.io.mrd`: NPM1 MRD tables and their response classes;
- :mod:`cohort.io.export`: CSV exports safe to open in a spreadsheet.

Nothing here imports the bundled datasets, the Dask engine, the estimators or the reports; the
public :func:`cohort.load` (:mod:`cohort.loader`) dispatches to them from above.
"""
