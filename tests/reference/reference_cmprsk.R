# Reference values for cohort.cuminc / Gray's test / cohort.finegray (sourced by make_reference.R).
# Run from the repository root: Rscript tests/reference/make_reference.R
#
# Inputs written here (and read by the Python tests, which never need R):
# - tests/reference/data/cmprsk_amlsg.csv: the CIR table of the bundled AMLSG cohort, derived from the
#   raw clinical TSV for the 1,269 patients with a CR_date:
#     relapsed (Recurrence_date present): cir_days = Recurrence_date - CR_date, cir_status = 1;
#     otherwise cir_days = OS - CR_date, cir_status = 2 if Status == 1 (death in CR) else 0.
#   (the same rule as cohort/datasets/amlsg.py). Covariates: npm1, flt3_itd (0/1 in the TSV),
#   age (AOD), eln2010 (M_Risk, 129 missing), sex.
# - tests/reference/data/cmprsk_ties.csv: 60 patients whose times take only 8 distinct values, so
#   relapses, deaths in CR and censorings share times, in 3 arms; x is a numeric covariate.
# Every number is written with 17 significant digits.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
out <- "tests/reference/values"
data_dir <- "tests/reference/data"
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)
num17 <- function(df) {
  for (n in names(df)) if (is.numeric(df[[n]])) df[[n]] <- format(df[[n]], digits = 17, trim = TRUE)
  df
}
w <- function(df, name) write.csv(num17(df), file.path(out, name), row.names = FALSE, quote = TRUE)

# ---- inputs ---------------------------------------------------------------------------------
raw <- read.delim("cohort/datasets/amlsg/AMLSG_Clinical_Anon.tsv", stringsAsFactors = FALSE)
raw <- raw[!is.na(raw$CR_date), ]
relapsed <- !is.na(raw$Recurrence_date)
amlsg <- data.frame(
  cir_days = ifelse(relapsed, raw$Recurrence_date - raw$CR_date, raw$OS - raw$CR_date),
  cir_status = ifelse(relapsed, 1L, ifelse(raw$Status == 1, 2L, 0L)),
  npm1 = raw$NPM1, flt3_itd = raw$FLT3_ITD, age = raw$AOD,
  eln2010 = raw$M_Risk, sex = ifelse(raw$gender == 1, "male", "female"),
  stringsAsFactors = FALSE
)
write.csv(amlsg, file.path(data_dir, "cmprsk_amlsg.csv"), row.names = FALSE, na = "")
amlsg$eln2010 <- factor(amlsg$eln2010, levels = c("Favorable", "Inter-1", "Inter-2", "Adverse"))

set.seed(20240611)
n <- 60
ties <- data.frame(
  cir_days = sample(c(1, 2, 3, 5, 8, 13, 21, 34), n, replace = TRUE),
  cir_status = sample(0:2, n, replace = TRUE, prob = c(0.3, 0.45, 0.25)),
  arm = sample(c("a", "b", "c"), n, replace = TRUE),
  x = round(rnorm(n), 1)
)
write.csv(ties, file.path(data_dir, "cmprsk_ties.csv"), row.names = FALSE)

# ---- cumulative incidence: full step data and timepoints --------------------------------------
# cuminc(ftime, fstatus, group) -> per "group cause": time, est, var (cmprsk's step corners)
curves <- list()
at <- list()
tests <- list()
add_cuminc <- function(dataset, d, by, times, strata = NULL, rho = 0) {
  g <- if (is.null(by)) rep("all", nrow(d)) else d[[by]]
  keep <- !is.na(g)
  st <- if (is.null(strata)) NULL else d[[strata]][keep]
  fit <- if (is.null(st)) {
    cuminc(d$cir_days[keep], d$cir_status[keep], g[keep], rho = rho)
  } else {
    cuminc(d$cir_days[keep], d$cir_status[keep], g[keep], strata = st, rho = rho)
  }
  by_lab <- if (is.null(by)) "" else by
  st_lab <- if (is.null(strata)) "" else strata
  if (is.null(strata) && rho == 0) {
    for (nm in setdiff(names(fit), "Tests")) {
      parts <- strsplit(nm, " ")[[1]]
      curves[[length(curves) + 1]] <<- data.frame(
        dataset = dataset, by = by_lab, group = parts[1], event = as.integer(parts[2]),
        time = fit[[nm]]$time, est = fit[[nm]]$est, var = fit[[nm]]$var
      )
    }
    tp <- timepoints(fit, times)
    for (nm in rownames(tp$est)) {
      parts <- strsplit(nm, " ")[[1]]
      at[[length(at) + 1]] <<- data.frame(
        dataset = dataset, by = by_lab, group = parts[1], event = as.integer(parts[2]),
        time = as.numeric(colnames(tp$est)), est = as.numeric(tp$est[nm, ]),
        var = as.numeric(tp$var[nm, ])
      )
    }
  }
  if (!is.null(fit$Tests)) {
    tt <- fit$Tests
    tests[[length(tests) + 1]] <<- data.frame(
      dataset = dataset, by = by_lab, strata = st_lab, rho = rho,
      event = as.integer(rownames(tt)), statistic = tt[, "stat"], p_value = tt[, "pv"], dof = tt[, "df"]
    )
  }
}
amlsg_times <- c(0, 30, 100, 182.5, 365, 730, 1095, 1826, 3000, 6000)
add_cuminc("amlsg", amlsg, NULL, amlsg_times)
add_cuminc("amlsg", amlsg, "npm1", amlsg_times)
add_cuminc("amlsg", amlsg, "flt3_itd", amlsg_times)
add_cuminc("amlsg", amlsg, "eln2010", amlsg_times)
add_cuminc("amlsg", amlsg, "npm1", amlsg_times, strata = "flt3_itd")
add_cuminc("amlsg", amlsg, "npm1", amlsg_times, rho = 1)
ties_times <- c(0, 0.5, 1, 2, 2.5, 3, 4, 5, 8, 20, 34, 40)
add_cuminc("ties", ties, NULL, ties_times)
add_cuminc("ties", ties, "arm", ties_times)
add_cuminc("ties", ties, "arm", ties_times, rho = 1)
ties$x_pos <- as.integer(ties$x > 0)
add_cuminc("ties", ties, "arm", ties_times, strata = "x_pos")
w(do.call(rbind, curves), "cmprsk_cuminc_curves.csv")
w(do.call(rbind, at), "cmprsk_cuminc_at.csv")
w(do.call(rbind, tests), "cmprsk_gray.csv")

# ---- Fine-Gray: crr(ftime, fstatus, cov1 = model.matrix(~ formula)[, -1], failcode) -------------
crr_rows <- list()
add_crr <- function(dataset, d, formula, failcode = 1) {
  mf <- model.frame(as.formula(paste("~", formula)), d, na.action = na.omit)
  x <- model.matrix(as.formula(paste("~", formula)), mf)[, -1, drop = FALSE]
  keep <- as.integer(rownames(mf))
  fit <- crr(d$cir_days[keep], d$cir_status[keep], cov1 = x, failcode = failcode)
  s <- summary(fit)$coef
  crr_rows[[length(crr_rows) + 1]] <<- data.frame(
    dataset = dataset, formula = formula, failcode = failcode, term = colnames(x),
    coef = unname(fit$coef), se = sqrt(diag(fit$var)), p_value = s[, "p-value"],
    n = fit$n, loglik = fit$loglik, converged = fit$converged
  )
}
add_crr("amlsg", amlsg, "npm1")
add_crr("amlsg", amlsg, "flt3_itd")
add_crr("amlsg", amlsg, "age")
add_crr("amlsg", amlsg, "npm1 + flt3_itd + age")
add_crr("amlsg", amlsg, "npm1 + flt3_itd + age", failcode = 2)
add_crr("amlsg", amlsg, "npm1 + age + eln2010")
add_crr("ties", ties, "x")
add_crr("ties", ties, "x + arm")
add_crr("ties", ties, "x + arm", failcode = 2)
w(do.call(rbind, crr_rows), "cmprsk_crr.csv")

# ---- 150 small random tables with heavy ties (edge cases: curves reaching 0, pooled F = 1, groups
# leaving early): cuminc estimates/variances at every distinct time, Gray's test, and crr on x ------
set.seed(4242)
sims <- list(); sim_at <- list(); sim_gray <- list(); sim_crr <- list()
for (i in 1:150) {
  n <- sample(4:30, 1)
  s <- data.frame(sim = i, cir_days = sample(c(0.5, 1, 2, 3, 5, 8), n, replace = TRUE),
                  cir_status = sample(0:2, n, replace = TRUE), arm = sample(c("a", "b", "c")[1:sample(2:3, 1)], n, replace = TRUE),
                  x = sample(-2:2, n, replace = TRUE))
  if (all(s$cir_status == 0)) next
  sims[[length(sims) + 1]] <- s
  tt <- sort(unique(c(s$cir_days, 0, 4, 100)))
  fit <- cuminc(s$cir_days, s$cir_status, s$arm)
  tp <- timepoints(fit, tt)
  for (nm in rownames(tp$est)) {
    parts <- strsplit(nm, " ")[[1]]
    sim_at[[length(sim_at) + 1]] <- data.frame(sim = i, group = parts[1], event = as.integer(parts[2]), time = tt,
                                               est = as.numeric(tp$est[nm, ]), var = as.numeric(tp$var[nm, ]))
  }
  if (!is.null(fit$Tests)) {
    sim_gray[[length(sim_gray) + 1]] <- data.frame(sim = i, event = as.integer(rownames(fit$Tests)),
                                                   statistic = fit$Tests[, "stat"], dof = fit$Tests[, "df"])
  }
  if (sum(s$cir_status == 1) > 0 && length(unique(s$x)) > 1) {
    cr <- tryCatch(suppressWarnings(crr(s$cir_days, s$cir_status, cov1 = cbind(x = s$x))), error = function(e) NULL)
    if (!is.null(cr)) {
      sim_crr[[length(sim_crr) + 1]] <- data.frame(sim = i, coef = unname(cr$coef), se = sqrt(cr$var[1, 1]),
                                                   converged = cr$converged)
    }
  }
}
write.csv(do.call(rbind, sims), file.path(data_dir, "cmprsk_random.csv"), row.names = FALSE)
w(do.call(rbind, sim_at), "cmprsk_random_at.csv")
w(do.call(rbind, sim_gray), "cmprsk_random_gray.csv")
w(do.call(rbind, sim_crr), "cmprsk_random_crr.csv")

# ---- predict.crr: cumulative incidence for covariate profiles -----------------------------------
# crr(cir_days, cir_status, cov1 = cbind(npm1, flt3_itd, age)); predict(fit, cov1 = profiles)
fit <- crr(amlsg$cir_days, amlsg$cir_status, cov1 = cbind(npm1 = amlsg$npm1, flt3_itd = amlsg$flt3_itd, age = amlsg$age))
profiles <- rbind(c(0, 0, 50), c(1, 0, 50), c(1, 1, 70))
pr <- predict(fit, cov1 = profiles)
w(data.frame(profile = rep(0:2, each = nrow(pr)), time = rep(pr[, 1], 3), cif = c(pr[, 2], pr[, 3], pr[, 4])),
  "cmprsk_crr_predict.csv")
