# Allo-HSCT as a time-dependent exposure on the AMLSG cohort (sourced by make_reference.R).
# Input: the bundled raw clinical table. allo-HSCT = TPL_o == 1 and TPL_type != "AUTO"; hsct_days = TPL_date.
d <- read.delim("cohort/datasets/amlsg/AMLSG_Clinical_Anon.tsv", stringsAsFactors = FALSE)
d$allo <- as.integer(d$TPL_o == 1 & !is.na(d$TPL_type) & d$TPL_type != "AUTO")
d$hd <- ifelse(d$allo == 1, d$TPL_date, NA)
base <- data.frame(id = d$PDID, os_days = d$OS, os_event = d$Status, age = d$AOD)
tv <- tmerge(base, base, id = id, death = event(os_days, os_event))
tv <- tmerge(tv, data.frame(id = d$PDID[!is.na(d$hd)], hd = d$hd[!is.na(d$hd)]), id = id, hsct = tdc(hd))
tv$hsct[is.na(tv$hsct)] <- 0
out <- file.path("tests/reference/values")
write.csv(data.frame(n_intervals = nrow(tv), n_exposed_intervals = sum(tv$hsct)),
          file.path(out, "timevarying_split_counts.csv"), row.names = FALSE)

# coxph(Surv(tstart, tstop, death) ~ hsct + age), Efron ties (R default)
fit <- coxph(Surv(tstart, tstop, death) ~ hsct + age, data = tv)
s <- summary(fit)$coefficients
write.csv(data.frame(term = rownames(s), coef = format(s[, "coef"], digits = 17),
                     se = format(s[, "se(coef)"], digits = 17)),
          file.path(out, "timevarying_cox_hsct_age.csv"), row.names = FALSE, quote = FALSE)

# Mantel-Byar = score test of the time-dependent Cox model with the exposure alone.
# Hypergeometric variance at ties = ties "exact" (slow in R: computed on the first 300 patients);
# binomial variance = ties "breslow" (whole cohort).
fit_breslow <- coxph(Surv(tstart, tstop, death) ~ hsct, data = tv, ties = "breslow")
sub <- tv[tv$id %in% unique(tv$id)[1:300], ]
fit_exact <- coxph(Surv(tstart, tstop, death) ~ hsct, data = sub, ties = "exact")
write.csv(data.frame(data = c("all", "first300"), ties = c("breslow", "exact"),
                     score = format(c(fit_breslow$score, fit_exact$score), digits = 17)),
          file.path(out, "timevarying_mantel_byar.csv"), row.names = FALSE, quote = FALSE)

# Simon-Makuch: survfit(Surv(tstart, tstop, death) ~ hsct), log-log CI
sm <- survfit(Surv(tstart, tstop, death) ~ hsct, data = tv, conf.type = "log-log")
ss <- summary(sm, times = c(180, 365, 730, 1825))
write.csv(data.frame(strata = as.character(ss$strata), time = ss$time,
                     surv = format(ss$surv, digits = 17), lower = format(ss$lower, digits = 17),
                     upper = format(ss$upper, digits = 17), n_risk = ss$n.risk),
          file.path(out, "timevarying_simon_makuch.csv"), row.names = FALSE, quote = FALSE)

# Harrell's C of the ELN 2010 group (M_Risk, ordinal) for OS, as survival::concordance computes it.
# A higher risk means shorter survival, hence reverse = TRUE.
risk <- match(d$M_Risk, c("Favorable", "Inter-1", "Inter-2", "Adverse"))
ok <- !is.na(risk)
cc <- concordance(Surv(OS, Status) ~ risk, data = data.frame(OS = d$OS, Status = d$Status, risk = risk)[ok, ],
                  reverse = TRUE)
write.csv(data.frame(harrell_c = format(cc$concordance, digits = 17), n = sum(ok)),
          file.path(out, "discrimination_harrell_eln2010.csv"), row.names = FALSE, quote = FALSE)
