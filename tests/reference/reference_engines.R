# Reference values for the numpy engines of issue 14 (cohort/survival/cox_engine.py,
# cohort/survival/finegray_engine.py): coxph's concordance counts with case weights, delayed entry and
# strata, which the existing references do not cover. Sourced by make_reference.R; on its own:
#   Rscript -e 'library(survival); library(cmprsk); options(digits=17); here<-"tests/reference"; source("tests/reference/reference_engines.R")'
# Input: values/parity_input.csv, written by reference_parity_km_cox.R.
suppressPackageStartupMessages(library(survival))
out <- "tests/reference/values"
num17 <- function(df) {
  for (n in names(df)) if (is.numeric(df[[n]])) df[[n]] <- format(df[[n]], digits = 17, trim = TRUE)
  df
}
d <- read.csv(file.path(out, "parity_input.csv"))
fits <- list(
  plain = coxph(Surv(time, status) ~ x1 + x2 + grp, data = d),
  breslow = coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, ties = "breslow"),
  weights = coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, weights = w),
  entry = coxph(Surv(entry, time, status) ~ x1 + x2 + grp, data = d),
  strata = coxph(Surv(time, status) ~ x1 + x2 + grp + strata(st), data = d),
  entry_weights_strata = coxph(Surv(entry, time, status) ~ x1 + x2 + grp + strata(st), data = d,
                               weights = w),
  tied_lp = coxph(Surv(time, status) ~ x2 + grp, data = d)
)
rows <- do.call(rbind, lapply(names(fits), function(m) {
  f <- fits[[m]]
  cc <- f$concordance
  data.frame(model = m, concordant = cc[["concordant"]], discordant = cc[["discordant"]],
             tied_x = cc[["tied.x"]], tied_y = cc[["tied.y"]], concordance = cc[["concordance"]],
             loglik_null = f$loglik[1], loglik = f$loglik[2], iter = f$iter)
}))
write.csv(num17(rows), file.path(out, "engines_concordance.csv"), row.names = FALSE, quote = TRUE)
