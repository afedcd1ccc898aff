# Reference values for cohort.landmark (sourced by make_reference.R).
# Run from the repository root: Rscript tests/reference/make_reference.R
#
# Input written here: tests/reference/data/cmprsk_landmark.csv, from the bundled raw AMLSG clinical
# TSV: os_days = OS, os_event = Status, npm1, flt3_itd, age = AOD, cr_by_90 = CR_date <= 90 (FALSE
# without a CR date; known at a day-90 landmark), and the CIR columns of reference_cmprsk.R
# (cir_days, cir_status; missing without CR).
# Landmark rule (as cohort.landmark): keep time > L, then time <- time - L.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
out <- "tests/reference/values"
num17 <- function(df) {
  for (n in names(df)) if (is.numeric(df[[n]])) df[[n]] <- format(df[[n]], digits = 17, trim = TRUE)
  df
}
w <- function(df, name) write.csv(num17(df), file.path(out, name), row.names = FALSE, quote = TRUE)

raw <- read.delim("cohort/datasets/amlsg/AMLSG_Clinical_Anon.tsv", stringsAsFactors = FALSE)
has_cr <- !is.na(raw$CR_date)
relapsed <- has_cr & !is.na(raw$Recurrence_date)
d <- data.frame(
  os_days = raw$OS, os_event = raw$Status, npm1 = raw$NPM1, flt3_itd = raw$FLT3_ITD, age = raw$AOD,
  cr_by_90 = as.integer(has_cr & raw$CR_date <= 90),
  cir_days = ifelse(!has_cr, NA, ifelse(relapsed, raw$Recurrence_date - raw$CR_date, raw$OS - raw$CR_date)),
  cir_status = ifelse(!has_cr, NA, ifelse(relapsed, 1L, ifelse(raw$Status == 1, 2L, 0L)))
)
write.csv(d, "tests/reference/data/cmprsk_landmark.csv", row.names = FALSE, na = "")

counts <- list(); kms <- list(); coxs <- list(); cis <- list(); crrs <- list()
times <- c(0, 100, 365, 730, 1826, 3650)

os_landmark <- function(name, L, by, adjust = NULL) {
  dd <- d[d$os_days > L, ]
  n_event <- sum(d$os_days <= L & d$os_event == 1); n_cens <- sum(d$os_days <= L & d$os_event == 0)
  dd$t <- dd$os_days - L
  dd$g <- dd[[by]]
  fit <- survfit(Surv(t, os_event) ~ g, data = dd, conf.type = "log-log")
  s <- summary(fit, times = times, extend = FALSE)
  kms[[length(kms) + 1]] <<- data.frame(analysis = name, group = sub("^g=", "", as.character(s$strata)),
                                        time = s$time, survival = s$surv, lower = s$lower,
                                        upper = s$upper, at_risk = s$n.risk)
  f <- as.formula(paste("Surv(t, os_event) ~", paste(c(by, adjust), collapse = " + ")))
  cx <- coxph(f, data = dd, ties = "efron")
  coxs[[length(coxs) + 1]] <<- data.frame(analysis = name, term = names(coef(cx)), coef = unname(coef(cx)),
                                          se = sqrt(diag(vcov(cx))))
  counts[[length(counts) + 1]] <<- data.frame(analysis = name, n_input = nrow(d), missing_endpoint = 0,
                                              event_before_landmark = n_event,
                                              censored_before_landmark = n_cens, n = nrow(dd))
}
os_landmark("os_cr_by_90", 90, "cr_by_90")
os_landmark("os_npm1_180_age", 180, "npm1", "age")

# CIR from CR with a landmark 60 days after CR, by FLT3-ITD
dc <- d[!is.na(d$cir_days), ]
L <- 60
dd <- dc[dc$cir_days > L, ]
dd$t <- dd$cir_days - L
ci <- cuminc(dd$t, dd$cir_status, dd$flt3_itd)
tp <- timepoints(ci, times)
for (nm in rownames(tp$est)) {
  parts <- strsplit(nm, " ")[[1]]
  cis[[length(cis) + 1]] <- data.frame(analysis = "cir_flt3_60", group = parts[1], event = as.integer(parts[2]),
                                       time = times, est = as.numeric(tp$est[nm, ]), var = as.numeric(tp$var[nm, ]))
}
cr <- crr(dd$t, dd$cir_status, cov1 = cbind(flt3_itd = dd$flt3_itd))
crrs[[1]] <- data.frame(analysis = "cir_flt3_60", term = "flt3_itd", coef = unname(cr$coef), se = sqrt(diag(cr$var)))
counts[[length(counts) + 1]] <- data.frame(
  analysis = "cir_flt3_60", n_input = nrow(d), missing_endpoint = nrow(d) - nrow(dc),
  event_before_landmark = sum(dc$cir_days <= L & dc$cir_status > 0),
  censored_before_landmark = sum(dc$cir_days <= L & dc$cir_status == 0), n = nrow(dd)
)
w(do.call(rbind, counts), "landmark_counts.csv")
w(do.call(rbind, kms), "landmark_km.csv")
w(do.call(rbind, coxs), "landmark_cox.csv")
w(do.call(rbind, cis), "landmark_cuminc.csv")
w(do.call(rbind, crrs), "landmark_crr.csv")
