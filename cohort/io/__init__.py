"""The data layer: from a table on disk to a canonical, validated cohort.

- :mod:`cohort.io.loading`: building the :class:`~cohort.Cohort` from a table
  (:func:`~cohort.io.loading.load`, :func:`~cohort.io.loading.load_folder`; re-exports
  :func:`~cohort.io.loading.read_table` and :func:`~cohort.io.loading.load_mrd`);
- :mod:`cohort.io.reading`: reading a file as written (CSV/TSV/MAF, ``.gz``, Excel, Parquet, JSON);
- :mod:`cohort.io.checks`: checks on the bytes and records of a file before pandas reads it;
- :mod:`cohort.io.renaming`: source columns to canonical names;
- :mod:`cohort.io.exclusions`: raise every problem at once, or move rows to the exclusions;
- :mod:`cohort.io.mapping`: mapping files (column names, codes, units, dates);
- :mod:`cohort.io.normalise`: cell values into the canonical vocabularies and units;
- :mod:`cohort.io.validation`: the validation rules;
- :mod:`cohort.io.endpoints`: endpoints derived from dates;
- :mod:`cohort.io.mutations`: variant tables (MAF) into genotype columns;
- :mod:`cohort.io.mrd_table`: loading an NPM1 MRD table; :mod:`cohort.io.mrd`: its response
  classes (:func:`cohort.mrd.classify`);
- :mod:`cohort.io.export`: CSV exports safe to open in a spreadsheet.

Nothing here imports the bundled datasets, the Dask engine, the estimators or the reports; the
public :func:`cohort.load` (:mod:`cohort.loader`) dispatches to them from above.
"""
