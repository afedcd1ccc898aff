# Reference values for cohort.km / logrank / rmst / cox / ph_test (sourced by make_reference.R).
# Run from the repository root: Rscript tests/reference/make_reference.R
# Inputs: the bundled raw AMLSG clinical TSV (read here directly), tests/reference/data/survival_edge.csv
# (python tests/reference/make_inputs.py) and, when present, synthetic_data/npm1_cohort.csv.
# Every number is written with 17 significant digits.
suppressPackageStartupMessages(library(survival))
out <- "tests/reference/values"
num17 <- function(df) {
  for (n in names(df)) if (is.numeric(df[[n]])) df[[n]] <- format(df[[n]], digits = 17, trim = TRUE)
  df
}
w <- function(df, name) write.csv(num17(df), file.path(out, name), row.names = FALSE, quote = TRUE)
grp <- function(fit, n) if (is.null(fit$strata)) rep("all", n) else as.character(rep(names(fit$strata), fit$strata))

# ---- inputs in canonical names --------------------------------------------------------------
raw <- read.delim("cohort/datasets/amlsg/AMLSG_Clinical_Anon.tsv", stringsAsFactors = FALSE)
amlsg <- data.frame(os_days = raw$OS, os_event = raw$Status, efs_days = raw$efs, efs_event = raw$EFSSTAT,
                    npm1 = raw$NPM1, flt3_itd = raw$FLT3_ITD, age = raw$AOD,
                    sex = factor(ifelse(raw$gender == 1, "male", "female")),
                    eln2010 = factor(raw$M_Risk, levels = c("Favorable", "Inter-1", "Inter-2", "Adverse")),
                    study = raw$Study)
edge <- read.csv("tests/reference/data/survival_edge.csv", stringsAsFactors = FALSE)
datasets <- list(amlsg = amlsg)
syn_path <- "synthetic_data/npm1_cohort.csv"
if (file.exists(syn_path)) {
  syn <- read.csv(syn_path, stringsAsFactors = FALSE)
  need <- c("os_days", "os_event", "npm1", "flt3_itd", "age")
  if (all(need %in% names(syn))) {
    for (b in c("npm1", "flt3_itd")) syn[[b]] <- as.integer(as.logical(syn[[b]]))
    datasets$synthetic <- syn
    # the tests check this to tell a stale reference from a real mismatch
    w(data.frame(file = syn_path, md5 = unname(tools::md5sum(syn_path))), "survival_synthetic_md5.csv")
  } else {
    message("reference_survival.R: ", syn_path, " lacks ", paste(setdiff(need, names(syn)), collapse = ", "),
            "; synthetic-cohort references skipped")
  }
} else {
  message("reference_survival.R: ", syn_path, " not found; synthetic-cohort references skipped")
}

# ---- Kaplan-Meier: curves, medians, survival at times ---------------------------------------
# label scheme equals cohort.km: "col=value, col2=value2"; logical columns print as True/False
lab <- function(d, by) {
  if (length(by) == 0) return(rep("all", nrow(d)))
  parts <- lapply(by, function(b) {
    v <- d[[b]]
    if (b %in% c("npm1", "flt3_itd")) v <- ifelse(v == 1, "True", "False")
    paste0(b, "=", as.character(v))
  })
  do.call(paste, c(parts, sep = ", "))
}
km_specs <- list(
  list(data = "amlsg", endpoint = "os", by = character(0)),
  list(data = "amlsg", endpoint = "os", by = "npm1"),
  list(data = "amlsg", endpoint = "os", by = c("npm1", "flt3_itd")),
  list(data = "amlsg", endpoint = "efs", by = "flt3_itd"),
  list(data = "amlsg", endpoint = "os", by = "eln2010"),
  list(data = "edge", endpoint = "os", by = "arm")
)
if (!is.null(datasets$synthetic)) km_specs <- c(km_specs, list(list(data = "synthetic", endpoint = "os", by = "npm1")))
curves <- list(); medians <- list(); at <- list(); follow <- list(); follow_q <- list(); rm <- list()
for (sp in km_specs) {
  d <- if (sp$data == "edge") edge else datasets[[sp$data]]
  tt <- d[[paste0(sp$endpoint, "_days")]]; ee <- d[[paste0(sp$endpoint, "_event")]]
  keep <- !is.na(tt) & !is.na(ee)
  for (b in sp$by) keep <- keep & !is.na(d[[b]])
  d <- d[keep, ]; tt <- tt[keep]; ee <- ee[keep]
  g <- factor(lab(d, sp$by))
  if (length(sp$by) && sp$by[1] == "eln2010") g <- factor(lab(d, sp$by), levels = paste0("eln2010=", levels(d$eln2010)))
  by_name <- paste(sp$by, collapse = "+")
  for (ct in c("log-log", "log", "plain")) {
    # survfit(Surv(time, event) ~ g, conf.type = ct)
    fit <- if (length(sp$by)) survfit(Surv(tt, ee) ~ g, conf.type = ct) else survfit(Surv(tt, ee) ~ 1, conf.type = ct)
    gl <- sub("^g=", "", grp(fit, length(fit$time)))
    curves[[length(curves) + 1]] <- data.frame(data = sp$data, endpoint = sp$endpoint, by = by_name, conf_type = ct,
      group = gl, time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor,
      surv = fit$surv, std_err = fit$std.err, lower = fit$lower, upper = fit$upper)
    tab <- summary(fit)$table
    if (is.null(dim(tab))) tab <- t(as.matrix(tab))
    medians[[length(medians) + 1]] <- data.frame(data = sp$data, endpoint = sp$endpoint, by = by_name, conf_type = ct,
      group = if (length(sp$by)) sub("^g=", "", rownames(tab)) else "all", n = tab[, "records"],
      events = tab[, "events"], median = tab[, "median"], lcl = tab[, "0.95LCL"], ucl = tab[, "0.95UCL"])
    # summary(fit, times = c(180, 365, 730, 1825))
    if (sp$data != "edge") {
      s <- summary(fit, times = c(180, 365, 730, 1825))
      at[[length(at) + 1]] <- data.frame(data = sp$data, endpoint = sp$endpoint, by = by_name, conf_type = ct,
        group = if (length(sp$by)) sub("^g=", "", as.character(s$strata)) else "all", time = s$time,
        n_risk = s$n.risk, surv = s$surv, lower = s$lower, upper = s$upper)
    }
  }
  # median follow-up, reverse KM: survfit(Surv(time, 1 - event) ~ g, conf.type = "log-log")
  rfit <- if (length(sp$by)) survfit(Surv(tt, 1 - ee) ~ g, conf.type = "log-log") else survfit(Surv(tt, 1 - ee) ~ 1, conf.type = "log-log")
  tab <- summary(rfit)$table
  if (is.null(dim(tab))) tab <- t(as.matrix(tab))
  follow[[length(follow) + 1]] <- data.frame(data = sp$data, endpoint = sp$endpoint, by = by_name,
    group = if (length(sp$by)) sub("^g=", "", rownames(tab)) else "all",
    median = tab[, "median"], lcl = tab[, "0.95LCL"], ucl = tab[, "0.95UCL"])
  # interquartile range of follow-up: quantile(survfit(Surv(time, 1 - event) ~ g), c(0.25, 0.75))
  q <- quantile(rfit, probs = c(0.25, 0.75), conf.int = FALSE)
  if (is.null(dim(q))) q <- t(as.matrix(q))
  follow_q[[length(follow_q) + 1]] <- data.frame(data = sp$data, endpoint = sp$endpoint, by = by_name,
    group = if (length(sp$by)) sub("^g=", "", rownames(tab)) else "all", q25 = q[, 1], q75 = q[, 2])
  # RMST: print(survfit(Surv(time, event) ~ g), rmean = tau) -> rmean, se(rmean)
  taus <- if (sp$data == "edge") c(3, 5.5, 20) else c(365, 1825, 6000)
  for (tau in taus) {
    fit <- if (length(sp$by)) survfit(Surv(tt, ee) ~ g) else survfit(Surv(tt, ee) ~ 1)
    tab <- summary(fit, rmean = tau)$table
    if (is.null(dim(tab))) tab <- t(as.matrix(tab))
    rm[[length(rm) + 1]] <- data.frame(data = sp$data, endpoint = sp$endpoint, by = by_name, tau = tau,
      group = if (length(sp$by)) sub("^g=", "", rownames(tab)) else "all",
      rmean = tab[, "rmean"], se = tab[, "se(rmean)"])
  }
}
# a non-default level: survfit(Surv(os_days, os_event) ~ npm1, conf.int = 0.9, conf.type = "log-log")
f90 <- survfit(Surv(os_days, os_event) ~ npm1, data = amlsg, conf.int = 0.9, conf.type = "log-log")
t90 <- summary(f90)$table
w(data.frame(group = ifelse(grepl("=1", rownames(t90)), "npm1=True", "npm1=False"), median = t90[, "median"],
             lcl = t90[, "0.9LCL"], ucl = t90[, "0.9UCL"],
             lower_sum = sum(f90$lower, na.rm = TRUE), upper_sum = sum(f90$upper, na.rm = TRUE)),
  "survival_km_conf90.csv")
w(do.call(rbind, curves), "survival_km_curves.csv")
w(do.call(rbind, medians), "survival_km_medians.csv")
w(do.call(rbind, at), "survival_km_at.csv")
w(do.call(rbind, follow), "survival_followup.csv")
w(do.call(rbind, follow_q), "survival_followup_quantiles.csv")
w(do.call(rbind, rm), "survival_rmst.csv")

# ---- log-rank family -------------------------------------------------------------------------
lr <- list(); trend <- list(); pw <- list()
add_lr <- function(name, data, f) {
  sd <- survdiff(f, data = data)
  df <- sum((if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp) > 0) - 1  # as print.survdiff
  lr[[length(lr) + 1]] <<- data.frame(test = name, chisq = sd$chisq, df = df,
                                      p = pchisq(sd$chisq, df, lower.tail = FALSE))
  sd
}
add_lr("os~npm1", amlsg, Surv(os_days, os_event) ~ npm1)
add_lr("os~npm1+flt3_itd", amlsg, Surv(os_days, os_event) ~ npm1 + flt3_itd)
add_lr("efs~flt3_itd", amlsg, Surv(efs_days, efs_event) ~ flt3_itd)
add_lr("os~npm1|study", amlsg, Surv(os_days, os_event) ~ npm1 + strata(study))
add_lr("os~flt3_itd|study+sex", amlsg, Surv(os_days, os_event) ~ flt3_itd + strata(study, sex))
sd <- add_lr("os~eln2010", amlsg, Surv(os_days, os_event) ~ eln2010)
add_lr("os~eln2010|study", amlsg, Surv(os_days, os_event) ~ eln2010 + strata(study))
add_lr("os~arm(edge)", edge, Surv(os_days, os_event) ~ arm)
if (!is.null(datasets$synthetic)) add_lr("synthetic:os~npm1", datasets$synthetic, Surv(os_days, os_event) ~ npm1)
w(do.call(rbind, lr), "survival_logrank.csv")

# test for trend over ordered ELN 2010 groups, scores 1..4: (w'(O-E))^2 / (w' V w), V = survdiff()$var
for (st in c(FALSE, TRUE)) {
  sd <- if (st) survdiff(Surv(os_days, os_event) ~ eln2010 + strata(study), data = amlsg) else
    survdiff(Surv(os_days, os_event) ~ eln2010, data = amlsg)
  o <- if (st) rowSums(sd$obs) else sd$obs
  e <- if (st) rowSums(sd$exp) else sd$exp
  sc <- 1:4
  chisq <- drop((sum(sc * (o - e)))^2 / (t(sc) %*% sd$var %*% sc))
  trend[[length(trend) + 1]] <- data.frame(test = if (st) "os~eln2010|study" else "os~eln2010",
    chisq = chisq, p = pchisq(chisq, 1, lower.tail = FALSE))
}
w(do.call(rbind, trend), "survival_logrank_trend.csv")
sd <- survdiff(Surv(os_days, os_event) ~ eln2010, data = amlsg)
oe <- data.frame(group = paste0("eln2010=", levels(amlsg$eln2010)), observed = sd$obs, expected = sd$exp)
w(oe, "survival_logrank_oe.csv")

# pairwise log-rank over ELN 2010 (as survminer::pairwise_survdiff): survdiff on each pair, p.adjust
lv <- levels(amlsg$eln2010); pr <- combn(lv, 2)
p <- apply(pr, 2, function(x) {
  dd <- amlsg[!is.na(amlsg$eln2010) & amlsg$eln2010 %in% x, ]
  s <- survdiff(Surv(os_days, os_event) ~ eln2010, data = droplevels(dd))
  c(s$chisq, pchisq(s$chisq, 1, lower.tail = FALSE))
})
w(data.frame(group1 = paste0("eln2010=", pr[1, ]), group2 = paste0("eln2010=", pr[2, ]), chisq = p[1, ],
             p = p[2, ], holm = p.adjust(p[2, ], "holm"), BH = p.adjust(p[2, ], "BH"),
             bonferroni = p.adjust(p[2, ], "bonferroni")), "survival_pairwise.csv")
# stratified pairs: survdiff(Surv(os_days, os_event) ~ eln2010 + strata(study), data = pair), Holm
ps <- apply(pr, 2, function(x) {
  dd <- amlsg[!is.na(amlsg$eln2010) & amlsg$eln2010 %in% x, ]
  s <- survdiff(Surv(os_days, os_event) ~ eln2010 + strata(study), data = droplevels(dd))
  c(s$chisq, pchisq(s$chisq, 1, lower.tail = FALSE))
})
w(data.frame(group1 = paste0("eln2010=", pr[1, ]), group2 = paste0("eln2010=", pr[2, ]), chisq = ps[1, ],
             p = ps[2, ], holm = p.adjust(ps[2, ], "holm")), "survival_pairwise_strata.csv")

# ---- Cox models and cox.zph ------------------------------------------------------------------
models <- list(
  main = Surv(os_days, os_event) ~ npm1 + flt3_itd + age,
  interaction = Surv(os_days, os_event) ~ npm1 * flt3_itd,
  strata = Surv(os_days, os_event) ~ npm1 + flt3_itd + age + strata(study),
  categorical = Surv(os_days, os_event) ~ eln2010 + age,
  efs_sex = Surv(efs_days, efs_event) ~ npm1 + sex
)
coefs <- list(); fits <- list(); zph <- list()
rename <- function(x) {
  x <- sub("^eln2010(.*)$", "eln2010[\\1]", x)
  sub("^sex(.*)$", "sex[\\1]", x)
}
fit_all <- function(ds, data, models) {
  for (m in names(models)) {
    # coxph(formula, data = data)  (Efron ties, R default)
    fit <- coxph(models[[m]], data = data, x = TRUE, y = TRUE, model = TRUE)
    s <- summary(fit)$coefficients
    coefs[[length(coefs) + 1]] <<- data.frame(data = ds, model = m, term = rename(rownames(s)),
      coef = s[, "coef"], se = s[, "se(coef)"], z = s[, "z"], p = s[, "Pr(>|z|)"])
    fits[[length(fits) + 1]] <<- data.frame(data = ds, model = m, n = fit$n, nevent = fit$nevent,
      n_deleted = length(fit$na.action), concordance = unname(fit$concordance["concordance"]),
      loglik = fit$loglik[2])
    z <- cox.zph(fit)  # transform = "km", terms = TRUE, global = TRUE
    zph[[length(zph) + 1]] <<- data.frame(data = ds, model = m, term = rownames(z$table),
      chisq = z$table[, "chisq"], df = z$table[, "df"], p = z$table[, "p"])
    for (tf in c("identity", "rank", "log")) {
      z <- cox.zph(fit, transform = tf)
      zph[[length(zph) + 1]] <<- data.frame(data = ds, model = paste0(m, ":", tf), term = rownames(z$table),
        chisq = z$table[, "chisq"], df = z$table[, "df"], p = z$table[, "p"])
    }
  }
}
fit_all("amlsg", amlsg, models)
if (!is.null(datasets$synthetic)) {
  syn_models <- list(main = Surv(os_days, os_event) ~ npm1 + flt3_itd + age)
  fit_all("synthetic", datasets$synthetic, syn_models)
}
w(do.call(rbind, coefs), "survival_cox_coef.csv")
w(do.call(rbind, fits), "survival_cox_fit.csv")
w(do.call(rbind, zph), "survival_coxzph.csv")
