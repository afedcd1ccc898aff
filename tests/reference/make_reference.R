#!/usr/bin/env Rscript
# Writes every reference value the test suite compares against, at full precision.
# Run from the repository root:  Rscript tests/reference/make_reference.R
# Needs: apt-get install r-base-core r-cran-survival r-cran-cmprsk (r-cran-riskregression optional)
# Each reference_*.R file next to this one handles one area and writes CSV files into
# tests/reference/values/. The tests read those CSVs; they do not need R.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
options(digits = 17)
here <- "tests/reference"
dir.create(file.path(here, "values"), showWarnings = FALSE, recursive = TRUE)
for (f in sort(list.files(here, pattern = "^reference_.*\\.R$", full.names = TRUE))) {
  message("running ", f)
  source(f, local = new.env())
}
writeLines(c(R.version.string,
             paste("survival", packageVersion("survival")),
             paste("cmprsk", packageVersion("cmprsk"))),
           file.path(here, "values", "R_VERSIONS.txt"))
