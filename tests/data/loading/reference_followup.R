# Reference values for cohort.summary: median follow-up by reverse Kaplan-Meier, as R survival computes it.
# Run from the repository root:  Rscript tests/data/loading/reference_followup.R
# Writes tests/data/loading/reference_followup.csv (full precision). The test suite reads the CSV only.
suppressPackageStartupMessages(library(survival))
out <- data.frame(case = character(), n = integer(), median_days = character())
med <- function(time, status) {
  fit <- survfit(Surv(time, 1 - status) ~ 1)   # reverse KM: censoring is the event
  unname(summary(fit)$table["median"])
}
add <- function(case, time, status) {
  m <- med(time, status)
  out <<- rbind(out, data.frame(case = case, n = length(time), median_days = sprintf("%.17g", m)))
}
clin <- read.delim("cohort/datasets/amlsg/AMLSG_Clinical_Anon.tsv", na.strings = "NA")
add("amlsg_os", clin$OS, clin$Status)
# Curve sitting exactly at 0.5: R averages with the next drop (survmean's minmin rule).
add("flat_half", c(1, 2, 3, 4, 5, 6), c(1, 1, 0, 0, 0, 0))
# Ties between deaths and censorings at the same time.
add("ties", c(10, 10, 20, 20, 20, 30, 40, 40, 50, 60), c(0, 1, 1, 0, 0, 1, 0, 1, 0, 0))
write.csv(out, "tests/data/loading/reference_followup.csv", row.names = FALSE, quote = FALSE)
