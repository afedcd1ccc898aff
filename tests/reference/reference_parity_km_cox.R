# Reference values for the R-parity items of issue 12 (Kaplan-Meier, log-rank, Cox half):
# time-0 rows, degenerate pairs in pairwise log-rank, cox.zph with an event-free stratum, text
# covariates with NA, timefix (aeqSurv), rho (G-rho), ties, robust/cluster, case weights, delayed entry
# (left truncation) and the RMST ratio. Sourced by make_reference.R; run on its own with
#   Rscript -e 'library(survival); options(digits=17); source("tests/reference/reference_parity_km_cox.R")'
# The input data are simulated here (set.seed) and written to values/parity_input.csv, which the
# tests read, so Python and R see exactly the same numbers (17 significant digits round-trip).
suppressPackageStartupMessages(library(survival))
out <- "tests/reference/values"
num17 <- function(df) {
  for (n in names(df)) if (is.numeric(df[[n]])) df[[n]] <- format(df[[n]], digits = 17, trim = TRUE)
  df
}
w <- function(df, name) write.csv(num17(df), file.path(out, name), row.names = FALSE, quote = TRUE)

# ---- input data -------------------------------------------------------------------------------
set.seed(20261128)
n <- 160
d <- data.frame(id = seq_len(n))
d$grp <- sample(c("A", "B", "C"), n, replace = TRUE)
d$x1 <- round(rnorm(n), 3)
d$x2 <- rbinom(n, 1, 0.4)
d$time <- pmax(1, round(rexp(n, 1 / 400) * exp(0.3 * d$x1 + 0.4 * (d$grp == "B"))))
d$status <- rbinom(n, 1, 0.7)
d$st <- sample(c("s1", "s2", "s3"), n, replace = TRUE, prob = c(0.45, 0.4, 0.15))
d$status[d$st == "s3"] <- 0L                  # a stratum without events
d$pgrp <- d$grp                               # pairwise groups: D and E have no events at all
s3 <- which(d$st == "s3")
d$pgrp[s3] <- rep(c("D", "E"), length.out = length(s3))
d$sex <- sample(c("female", "male"), n, replace = TRUE)
d$sex[sample(n, 9)] <- NA                      # a text covariate with missing values
d$entry <- ifelse(runif(n) < 0.4, floor(runif(n) * d$time), 0)  # delayed entry, entry < time
d$w <- round(runif(n, 0.5, 2.5), 2)           # case weights
d$wi <- sample(1:3, n, replace = TRUE)        # integer case weights (replication)
d$clus <- sample(1:40, n, replace = TRUE)     # cluster (e.g. centre or family)
# times that differ only by floating-point rounding: months converted to days, plus tiny offsets
fp <- sample(n, 60)
d$time_fp <- d$time
d$time_fp[fp] <- d$time[fp] * (1 + c(1e-12, -2e-13, 3e-15, 5e-10))[(seq_along(fp) %% 4) + 1]
w(d, "parity_input.csv")
cc <- d[!is.na(d$sex), ]

# ---- 1. a death and a censoring at time 0 -------------------------------------------------------
t0 <- data.frame(time = c(0, 0, 3, 5, 5, 8), status = c(1, 0, 1, 0, 1, 1))
w(t0, "parity_time0_input.csv")
f0 <- survfit(Surv(time, status) ~ 1, data = t0, conf.type = "log")
s0 <- summary(f0, times = c(0, 2, 3, 5, 9))
w(data.frame(time = s0$time, at_risk = s0$n.risk, survival = s0$surv, lower = s0$lower,
             upper = s0$upper), "parity_time0.csv")

# ---- 2. pairwise log-rank with a degenerate pair ------------------------------------------------
# survminer::pairwise_survdiff (not installed here) does, for each pair, survdiff on the pair's
# rows and pchisq(chisq, length(n) - 1, lower.tail = FALSE), then p.adjust: written out below.
lev <- sort(unique(d$pgrp))
pw <- NULL
for (rho in c(0, 1)) {
  rows <- NULL
  for (i in 1:(length(lev) - 1)) for (j in (i + 1):length(lev)) {
    sub <- d[d$pgrp %in% lev[c(i, j)], ]
    sd <- survdiff(Surv(time, status) ~ pgrp, data = sub, rho = rho)
    rows <- rbind(rows, data.frame(group1 = paste0("pgrp=", lev[i]), group2 = paste0("pgrp=", lev[j]),
                                   statistic = sd$chisq,
                                   p_value = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE)))
  }
  for (m in c("holm", "bonferroni", "hochberg", "hommel", "BH", "BY", "none")) {
    r <- rows
    r$p_adjusted <- p.adjust(r$p_value, method = m)
    r$adjust <- tolower(m)
    r$rho <- rho
    pw <- rbind(pw, r)
  }
}
w(pw, "parity_pairwise.csv")

# ---- 3. cox.zph with a stratum without events ---------------------------------------------------
fz <- coxph(Surv(time, status) ~ x1 + x2 + strata(st), data = d)
z <- cox.zph(fz)
w(data.frame(term = rownames(z$table), chisq = z$table[, "chisq"], df = z$table[, "df"],
             p = z$table[, "p"]), "parity_zph.csv")

# cox.zph of fits with the new arguments (ties, weights, delayed entry)
zr <- NULL
zfits <- list(
  breslow = coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, ties = "breslow"),
  weights = coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, weights = w),
  entry = coxph(Surv(entry, time, status) ~ x1 + x2 + grp, data = d),
  entry_weights_strata_breslow = coxph(Surv(entry, time, status) ~ x1 + x2 + strata(st), data = d,
                                       weights = w, ties = "breslow")
)
for (m in names(zfits)) for (tr in c("km", "identity", "rank")) {
  z <- cox.zph(zfits[[m]], transform = tr)
  zr <- rbind(zr, data.frame(model = m, transform = tr, term = rownames(z$table),
                             chisq = z$table[, "chisq"], df = z$table[, "df"], p = z$table[, "p"]))
}
w(zr, "parity_zph_args.csv")

# ---- 4. text covariate with NA -------------------------------------------------------------------
fs <- coxph(Surv(time, status) ~ sex + x1, data = d)
w(data.frame(term = names(coef(fs)), coef = unname(coef(fs)), se = sqrt(diag(vcov(fs))),
             n = fs$n, nevent = fs$nevent, n_deleted = length(fs$na.action)), "parity_cox_sex.csv")

# ---- 5. timefix ---------------------------------------------------------------------------------
tf <- NULL
for (fix in c(TRUE, FALSE)) {
  f <- survfit(Surv(time_fp, status) ~ grp, data = d, timefix = fix)
  tf <- rbind(tf, data.frame(timefix = fix, what = "km_rows", value = length(f$time)))
  tf <- rbind(tf, data.frame(timefix = fix, what = "km_median_A", value = summary(f)$table[1, "median"]))
  sA <- summary(f, times = c(100, 300, 600))
  tf <- rbind(tf, data.frame(timefix = fix, what = paste0("km_surv_", seq_along(sA$surv)), value = sA$surv))
  # survdiff(timefix = FALSE) fails in survival 3.5-3 ("variable lengths differ (found for
  # '(timefix)')"); survdiff.fit is what survdiff calls after aeqSurv, so call it directly
  y <- Surv(d$time_fp, d$status)
  sd <- survival:::survdiff.fit(if (fix) aeqSurv(y) else y, factor(d$grp), rho = 0)
  sd$chisq <- { k <- sd$expected > 0; u <- (sd$observed - sd$expected)[k][-1]
                v <- sd$var[k, k][-1, -1, drop = FALSE]; sum(solve(v, u) * u) }
  tf <- rbind(tf, data.frame(timefix = fix, what = "logrank_chisq", value = sd$chisq))
  fc <- coxph(Surv(time_fp, status) ~ x1 + grp, data = d, control = coxph.control(timefix = fix))
  tf <- rbind(tf, data.frame(timefix = fix, what = paste0("cox_coef_", names(coef(fc))), value = unname(coef(fc))))
  tf <- rbind(tf, data.frame(timefix = fix, what = "cox_loglik", value = fc$loglik[2]))
}
w(tf, "parity_timefix.csv")

# ---- 6. rho (G-rho family) ----------------------------------------------------------------------
lr <- NULL
for (rho in c(0, 0.5, 1)) {
  for (strat in c(FALSE, TRUE)) {
    fm <- if (strat) Surv(time, status) ~ grp + strata(st) else Surv(time, status) ~ grp
    sd <- survdiff(fm, data = d, rho = rho)
    obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
    ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
    lr <- rbind(lr, data.frame(rho = rho, strata = strat, group = names(sd$n), observed = obs,
                               expected = ex, chisq = sd$chisq,
                               p = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE)))
  }
}
w(lr, "parity_logrank_rho.csv")

# ---- 7-10. Cox: ties, robust/cluster, weights, entry ------------------------------------------
coxrow <- function(f, label) {
  s <- summary(f)$coefficients
  rob <- "robust se" %in% colnames(s)
  data.frame(model = label, term = rownames(s), coef = s[, "coef"], se = s[, "se(coef)"],
             robust_se = if (rob) s[, "robust se"] else NA_real_, p = s[, ncol(s)],
             loglik = f$loglik[2], n = f$n, nevent = f$nevent)
}
cx <- rbind(
  coxrow(coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, ties = "efron"), "efron"),
  coxrow(coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, ties = "breslow"), "breslow"),
  coxrow(coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, robust = TRUE), "robust"),
  coxrow(coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, cluster = clus), "cluster"),
  coxrow(coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, ties = "breslow", cluster = clus), "cluster_breslow"),
  coxrow(coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, weights = w), "weights_efron"),
  coxrow(coxph(Surv(time, status) ~ x1 + x2 + grp, data = d, weights = w, ties = "breslow"), "weights_breslow"),
  coxrow(coxph(Surv(entry, time, status) ~ x1 + x2 + grp, data = d), "entry_efron"),
  coxrow(coxph(Surv(entry, time, status) ~ x1 + x2 + grp, data = d, ties = "breslow"), "entry_breslow"),
  coxrow(coxph(Surv(entry, time, status) ~ x1 + x2 + grp + strata(st), data = d, weights = w,
               cluster = clus), "entry_weights_cluster_strata"),
  coxrow(coxph(Surv(time, status) ~ x1 + x2 + strata(st), data = d, weights = w, robust = TRUE),
         "weights_robust_strata")
)
w(cx, "parity_cox.csv")

# ---- 9-10. Kaplan-Meier and log-rank with weights and with delayed entry ----------------------
kmrows <- function(f, label) {
  g <- if (is.null(f$strata)) rep("all", length(f$time)) else as.character(rep(names(f$strata), f$strata))
  data.frame(model = label, group = g, time = f$time, at_risk = f$n.risk, events = f$n.event,
             survival = f$surv, std_err = f$std.err, lower = f$lower, upper = f$upper)
}
kmw <- rbind(
  kmrows(survfit(Surv(time, status) ~ grp, data = d, weights = w, conf.type = "log"), "weights"),
  kmrows(survfit(Surv(entry, time, status) ~ grp, data = d, conf.type = "log"), "entry"),
  kmrows(survfit(Surv(entry, time, status) ~ grp, data = d, weights = w, conf.type = "log"), "entry_weights")
)
w(kmw, "parity_km_weights_entry.csv")
# summary(fit, times =) with weights and delayed entry: survival and n.risk under the plots
kat <- NULL
for (m in c("weights", "entry")) {
  f <- if (m == "weights") survfit(Surv(time, status) ~ grp, data = d, weights = w, conf.type = "log")
       else survfit(Surv(entry, time, status) ~ grp, data = d, conf.type = "log")
  s <- summary(f, times = c(0, 365, 730))
  kat <- rbind(kat, data.frame(model = m, group = as.character(s$strata), time = s$time,
                               at_risk = s$n.risk, survival = s$surv))
}
w(kat, "parity_km_at.csv")
# log-rank with integer case weights = survdiff on the replicated rows; with delayed entry R's
# survdiff refuses (start, stop] data: the log-rank test is the score test at beta = 0 of the exact
# (discrete) partial likelihood, coxph(ties = "exact"), equal to survdiff on right-censored data.
rep_rows <- d[rep(seq_len(n), d$wi), ]
lw <- survdiff(Surv(time, status) ~ grp, data = rep_rows)
le <- coxph(Surv(entry, time, status) ~ grp, data = d, ties = "exact", iter.max = 0)
les <- coxph(Surv(entry, time, status) ~ grp + strata(st), data = d, ties = "exact", iter.max = 0)
lnone <- coxph(Surv(time, status) ~ grp, data = d, ties = "exact", iter.max = 0)
w(data.frame(model = c("weights_int", "entry", "entry_strata", "check_no_entry"),
             chisq = c(lw$chisq, le$score, les$score, lnone$score),
             df = 2), "parity_logrank_weights_entry.csv")

# ---- 11. RMST difference and ratio (survRM2::rmst2 layout) ---------------------------------------
# survRM2 is not installed on the reference machine; its rmst2() estimates and variances equal
# print(survfit, rmean = tau)'s rmean and se(rmean)^2, and its ratio CI is exp(log ratio +/- z se)
# with se^2 = var1 / rmst1^2 + var0 / rmst0^2: written out here.
tau <- 700
dd <- d[d$grp %in% c("A", "B"), ]
tabm <- summary(survfit(Surv(time, status) ~ grp, data = dd), rmean = tau)$table
r0 <- tabm[1, "rmean"]; r1 <- tabm[2, "rmean"]
v0 <- tabm[1, "se(rmean)"]^2; v1 <- tabm[2, "se(rmean)"]^2
z <- qnorm(0.975)
dif <- r1 - r0; sed <- sqrt(v0 + v1)
lr_ <- log(r1 / r0); ser <- sqrt(v1 / r1^2 + v0 / r0^2)
w(data.frame(tau = tau, rmst0 = r0, rmst1 = r1,
             difference = dif, diff_lower = dif - z * sed, diff_upper = dif + z * sed,
             diff_p = 2 * pnorm(-abs(dif / sed)),
             ratio = r1 / r0, ratio_lower = exp(lr_ - z * ser), ratio_upper = exp(lr_ + z * ser),
             ratio_p = 2 * pnorm(-abs(lr_ / ser))), "parity_rmst.csv")
