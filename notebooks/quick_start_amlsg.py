# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Quick start: the AMLSG cohort
#
# A first session with `cohort` for statisticians who use R's `survival` and `cmprsk`. We load the
# bundled AMLSG cohort (1,540 intensively treated adults; Papaemmanuil et al., NEJM 2016), look at
# what the loader did with the raw files, classify every patient by ELN 2017 and ELN 2022, and run the
# three analyses most papers start with: Kaplan-Meier by NPM1/FLT3-ITD, a Cox model and the cumulative
# incidence of relapse.
#
# Every result is a frozen dataclass holding tidy DataFrames, so numbers can be checked, exported or
# plotted without re-fitting. The R equivalent of each step is given in the text.

# %%
# ruff: noqa: B018  (a bare expression ending a cell is how a notebook displays a table)
import warnings

import pandas as pd

import cohort
from cohort import plots

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)

# %% [markdown]
# ## 1. Load
#
# `cohort.datasets.load("amlsg")` reads the original files shipped in `cohort/datasets/amlsg/`
# (clinical table, variant calls, karyotypes) into the canonical schema: one row per patient,
# genotypes as nullable booleans (`<NA>` = unknown, never read as wild type), times in days.
# Data-quality findings are raised as `DataQualityWarning`s and kept in `c.report`; we collect them
# here to print them once.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    c = cohort.datasets.load("amlsg")
print(c)
for w in caught:
    print("-", str(w.message)[:160])

# %% [markdown]
# ## 2. What was excluded, and why
#
# No row is dropped silently: `c.exclusions` has one row per excluded input row with a reason code,
# and `n_input == len(c.data) + excluded rows`.

# %%
print("input rows:", c.n_input, " kept:", len(c.data), " excluded:", c.n_input - len(c.data))
c.exclusions.groupby("reason").size() if len(c.exclusions) else "no exclusions"

# %%
genes = ["npm1", "flt3_itd", "dnmt3a", "nras", "idh1", "idh2", "tp53"]
pd.DataFrame(
    {
        "mutated": [int(c.data[g].sum()) for g in genes],
        "wild_type": [int((c.data[g] == False).sum()) for g in genes],  # noqa: E712
        "unknown": [int(c.data[g].isna().sum()) for g in genes],
    },
    index=genes,
)

# %% [markdown]
# ## 3. ELN risk: 2017 and 2022
#
# `cohort.classify(c, system)` returns, for every patient, the category, the guideline row that
# placed them (`rule`), and for undetermined patients the categories still possible (`candidates`).
# Options (e.g. the FLT3-ITD allelic-ratio cut-off) are listed by `cohort.stratify.options(system)`.

# %%
eln2017 = cohort.classify(c, "eln2017")
eln2022 = cohort.classify(c, "eln2022")
counts = pd.DataFrame(
    {
        "eln2017": eln2017["category"].astype("object").fillna("undetermined").value_counts(),
        "eln2022": eln2022["category"].astype("object").fillna("undetermined").value_counts(),
    }
).fillna(0)
counts.astype(int)

# %% [markdown]
# AMLSG has no FLT3-ITD allelic ratio, so ELN 2017 cannot place NPM1-mutated/FLT3-ITD patients (low
# ratio: favorable, high: intermediate); they are undetermined with both candidates, not guessed.
# ELN 2022 ignores the ratio and places them. `cohort.reclassify` crosses the two:

# %%
recl = cohort.reclassify(c, "eln2017", "eln2022")
print(f"moved: {recl.n_moved} of {recl.n_compared} determined in both ({recl.percent_moved:.1f}%)")
recl.counts

# %%
plots.reclassification_plot(recl.counts, title="ELN 2017 to ELN 2022 (AMLSG)")

# %% [markdown]
# ## 4. Kaplan-Meier by NPM1 and FLT3-ITD
#
# `cohort.km(c, "os", by=[...])` is R's `survfit(Surv(os_days, os_event) ~ npm1 + flt3_itd)` with
# log-log intervals (`conf.type = "log-log"`; pass `conf_type="log"` for R's default), medians as
# `print(survfit)`, and the log-rank test of `survdiff`.

# %%
with warnings.catch_warnings():
    warnings.simplefilter(
        "ignore"
    )  # patients with unknown NPM1 or FLT3-ITD are counted in .excluded
    fit = cohort.km(c, "os", by=["npm1", "flt3_itd"])
print(fit.excluded)
fit.table

# %%
fit.survival_at([365.25, 1826.25])  # R: summary(fit, times = c(365.25, 1826.25))

# %%
print(
    f"log-rank chi-square {fit.test.statistic:.1f} on {fit.test.dof} df, p = {fit.test.p_value:.2g}"
)
fit.pairwise("holm")

# %%
plots.km_plot(fit, title="Overall survival by NPM1 and FLT3-ITD (AMLSG)")

# %% [markdown]
# ## 5. Cox model
#
# Formulas name columns; booleans enter as 0/1, `C(x)` makes a factor, `a * b` adds the interaction.
# This is R's `coxph(Surv(os_days, os_event) ~ npm1 * flt3_itd + age)` with Efron ties; patients with
# a missing covariate are left out and counted in `n_deleted`.

# %%
model = cohort.cox(c, "npm1 * flt3_itd + age", "os")
print(
    f"n = {model.n}, events = {model.events}, deleted = {model.n_deleted}, C = {model.concordance:.3f}"
)
model.summary

# %%
model.ph_test  # R: cox.zph(fit)

# %%
plots.forest_plot(model, title="Overall survival, AMLSG")

# %% [markdown]
# ## 6. Cumulative incidence of relapse
#
# Relapse is measured from complete remission, with death in remission as a competing event
# (`cir_status`: 0 censored, 1 relapse, 2 death without relapse). `cohort.cuminc` equals
# `cmprsk::cuminc(cir_days, cir_status, group)`, including Gray's test; 1 - Kaplan-Meier would
# overestimate the incidence, which is why `cohort.km(c, "cir")` refuses.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # patients never in remission have no relapse time: counted
    ci = cohort.cuminc(c, "cir", by="npm1")
print(ci.excluded)
ci.at([365.25, 1095.75])  # R: timepoints(fit, c(365.25, 1095.75))

# %%
ci.test

# %%
plots.cuminc_plot(ci, event=1, title="Relapse by NPM1 (death in remission competing)")

# %% [markdown]
# ## Next
#
# - `analyses/` holds one script per question of the NPM1 literature (`python analyses/triple_mutated.py
#   amlsg` writes an HTML report with its tables as CSV and all numbers as JSON).
# - `notebooks/npm1_flt3_itd_triple.py` reproduces the NPM1/FLT3-ITD and triple-mutated comparisons.
