# R parity for competing risks with any number of causes, any (time, event) endpoint, general
# time-varying covariates (tmerge) and the concordance standard error. Sourced by make_reference.R;
# alone:
#   Rscript -e 'library(survival); library(cmprsk); options(digits=17); here<-"tests/reference";
#               source("tests/reference/reference_parity_cr_tv.R")'
# Writes tests/reference/values/parity_*.csv, read by tests/survival/test_parity_competing.py,
# tests/survival/test_parity_time_varying.py and tests/survival/test_parity_discrimination.py.
out <- file.path(here, "values")
num <- function(x) format(x, digits = 17)
times <- c(90, 180, 365, 730, 1095)

# ------------------------------------------------------------------ competing risks, three causes
# The AMLSG relapse table with death in CR split into two causes by age: 2 = death without relapse
# before age 50, 3 = from age 50 on. 'cause_gap' codes death as 3 and uses no 2 (codes 0, 1, 3).
cr <- read.csv(file.path(here, "data", "cmprsk_amlsg.csv"))
cr$cause <- ifelse(cr$cir_status == 2 & cr$age >= 50, 3, cr$cir_status)
cr$cause_gap <- ifelse(cr$cir_status == 2, 3, cr$cir_status)
ci_rows <- list()
gray_rows <- list()
for (v in c("cause", "cause_gap")) {
  fit <- cuminc(cr$cir_days, cr[[v]], group = cr$npm1, cencode = 0)
  tp <- timepoints(fit, times)
  for (nm in rownames(tp$est)) {
    parts <- strsplit(nm, " ")[[1]]
    ci_rows[[length(ci_rows) + 1]] <- data.frame(
      status = v, npm1 = parts[1], event = parts[2], time = times,
      est = num(tp$est[nm, ]), var = num(tp$var[nm, ]))
  }
  tests <- fit$Tests
  gray_rows[[length(gray_rows) + 1]] <- data.frame(
    status = v, event = rownames(tests), stat = num(tests[, "stat"]), pv = num(tests[, "pv"]),
    df = tests[, "df"])
}
write.csv(do.call(rbind, ci_rows), file.path(out, "parity_cuminc_causes.csv"), row.names = FALSE,
          quote = FALSE)
write.csv(do.call(rbind, gray_rows), file.path(out, "parity_gray_causes.csv"), row.names = FALSE,
          quote = FALSE)

# crr for every cause (failcode 1, 2, 3) of the three-cause status
cov <- cbind(npm1 = cr$npm1, flt3_itd = cr$flt3_itd, age = cr$age)
crr_rows <- list()
for (k in 1:3) {
  fit <- crr(cr$cir_days, cr$cause, cov, failcode = k, cencode = 0)
  crr_rows[[k]] <- data.frame(failcode = k, term = colnames(cov), coef = num(fit$coef),
                              se = num(sqrt(diag(fit$var))))
}
write.csv(do.call(rbind, crr_rows), file.path(out, "parity_crr_failcode.csv"), row.names = FALSE,
          quote = FALSE)

# ------------------------------------------------------------------ any endpoint: a (time, event) pair
# Cause-specific analysis of death in CR (causes 2 and 3 above) as an ordinary 0/1 endpoint.
cr$nrm_event <- as.integer(cr$cause %in% c(2, 3))
km <- survfit(Surv(cir_days, nrm_event) ~ npm1, data = cr, conf.type = "log-log")
s <- summary(km, times = times, extend = TRUE)
write.csv(data.frame(strata = as.character(s$strata), time = s$time, surv = num(s$surv),
                     lower = num(s$lower), upper = num(s$upper), n_risk = s$n.risk),
          file.path(out, "parity_pair_km.csv"), row.names = FALSE, quote = FALSE)
lr <- survdiff(Surv(cir_days, nrm_event) ~ npm1, data = cr)
write.csv(data.frame(chisq = num(lr$chisq), df = length(lr$n) - 1),
          file.path(out, "parity_pair_logrank.csv"), row.names = FALSE, quote = FALSE)
cx <- coxph(Surv(cir_days, nrm_event) ~ npm1 + flt3_itd + age, data = cr)
write.csv(data.frame(term = names(coef(cx)), coef = num(coef(cx)), se = num(sqrt(diag(vcov(cx))))),
          file.path(out, "parity_pair_cox.csv"), row.names = FALSE, quote = FALSE)

# ------------------------------------------------------------------ time-varying covariates (tmerge)
# The synthetic cohort: NPM1 MRD (any detectable NPM1-mutant transcripts in peripheral blood) as a
# time-dependent covariate, changing at each sample (tdc); before a patient's first sample it is NA
# and those intervals are dropped by coxph, as tmerge + coxph do.
syn <- read.csv("synthetic_data/npm1_cohort.csv", stringsAsFactors = FALSE)
mrd <- read.csv("synthetic_data/npm1_mrd.csv", stringsAsFactors = FALSE)
mut <- syn[syn$npm1 == "True", c("patient_id", "os_days", "os_event", "age", "sex")]
pb <- mrd[mrd$sample == "PB" & mrd$patient_id %in% mut$patient_id, ]
pb$mrd_pos <- as.integer(pb$npm1_abl1_pct > 0)
tv <- tmerge(mut, mut, id = patient_id, death = event(os_days, os_event))
tv <- tmerge(tv, pb, id = patient_id, mrd = tdc(days, mrd_pos))
tv_rows <- list()
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(tstart, tstop, death) ~ mrd + age + sex, data = tv, ties = ties)
  tv_rows[[ties]] <- data.frame(model = "mrd", ties = ties, term = names(coef(fit)),
                                coef = num(coef(fit)), se = num(sqrt(diag(vcov(fit)))),
                                n = fit$n, nevent = fit$nevent)
}
write.csv(data.frame(n_intervals = nrow(tv), n_missing = sum(is.na(tv$mrd)),
                     n_positive = sum(tv$mrd == 1, na.rm = TRUE)),
          file.path(out, "parity_tmerge_counts.csv"), row.names = FALSE, quote = FALSE)

# A text covariate beside a once-only exposure (allo-HSCT) on the whole synthetic cohort.
base <- syn[, c("patient_id", "os_days", "os_event", "age", "sex")]
tx <- syn[syn$hsct == "True" & !is.na(syn$hsct_days), c("patient_id", "hsct_days")]
tv2 <- tmerge(base, base, id = patient_id, death = event(os_days, os_event))
tv2 <- tmerge(tv2, tx, id = patient_id, hsct = tdc(hsct_days))
tv2$hsct[is.na(tv2$hsct)] <- 0
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(tstart, tstop, death) ~ hsct + age + sex, data = tv2, ties = ties)
  tv_rows[[paste0("hsct_", ties)]] <- data.frame(model = "hsct", ties = ties,
                                                 term = names(coef(fit)), coef = num(coef(fit)),
                                                 se = num(sqrt(diag(vcov(fit)))), n = fit$n,
                                                 nevent = fit$nevent)
}
write.csv(do.call(rbind, tv_rows), file.path(out, "parity_tv_cox.csv"), row.names = FALSE,
          quote = FALSE)

# ------------------------------------------------------------------ concordance and its SE
# survival::concordance (infinitesimal jackknife variance) of the ELN 2010 group and of a Cox
# model's linear predictor on the AMLSG survival table (coxph reports the same C and std).
am <- read.csv(file.path(here, "data", "amlsg_survival.csv"), stringsAsFactors = FALSE)
am$risk <- match(am$eln2010, c("Favorable", "Inter-1", "Inter-2", "Adverse"))
a1 <- am[!is.na(am$risk), ]
cc <- concordance(Surv(os_days, os_event) ~ risk, data = a1, reverse = TRUE)
cf <- coxph(Surv(os_days, os_event) ~ npm1 + flt3_itd + age, data = am)
write.csv(data.frame(what = c("eln2010", "cox_npm1_flt3_age"),
                     concordance = num(c(cc$concordance, cf$concordance[["concordance"]])),
                     std = num(c(sqrt(cc$var), cf$concordance[["std"]])),
                     n = c(nrow(a1), cf$n)),
          file.path(out, "parity_concordance.csv"), row.names = FALSE, quote = FALSE)

# ------------------------------------------------------------------ time-dependent AUC and Brier score
# riskRegression::Score (cens.model = "km"): the cumulative/dynamic AUC of the ELN 2010 group and the
# Brier score and IBS of fixed predicted risks P(t) = 1 - exp(-(t / 2000) exp(0.4 (risk - 2))), so
# that no model fit enters the comparison. Needs r-cran-riskregression (Debian); skipped without it.
if (requireNamespace("riskRegression", quietly = TRUE)) {
  suppressPackageStartupMessages(library(riskRegression))
  score_times <- c(90, 180, 365, 730, 1095, 1826)
  a2 <- a1[, c("os_days", "os_event", "risk")]
  pred <- sapply(score_times, function(t) 1 - exp(-(t / 2000) * exp(0.4 * (a2$risk - 2))))
  sc <- Score(list(ord = a2$risk), formula = Surv(os_days, os_event) ~ 1, data = a2,
              times = score_times, metrics = "auc", cens.model = "km", null.model = FALSE,
              conf.int = FALSE)
  sb <- Score(list(pred = pred), formula = Surv(os_days, os_event) ~ 1, data = a2,
              times = score_times, metrics = "brier", summary = "ibs", cens.model = "km",
              null.model = FALSE, conf.int = FALSE)
  write.csv(data.frame(time = score_times, auc = num(sc$AUC$score$AUC),
                       brier = num(sb$Brier$score$Brier), ibs = num(sb$Brier$score$IBS)),
            file.path(out, "parity_score.csv"), row.names = FALSE, quote = FALSE)
  writeLines(paste("riskRegression", packageVersion("riskRegression")),
             file.path(out, "parity_score_version.txt"))
}
