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
# # NPM1 with FLT3-ITD, and the NPM1/FLT3-ITD/DNMT3A triple mutation
#
# Two comparisons from the NPM1 literature, on the bundled real cohorts:
#
# 1. **FLT3-ITD allelic ratio in NPM1-mutated AML.** ELN 2017 (Döhner et al., Blood 2017) counts
#    NPM1-mutated AML with a low ITD allelic ratio (< 0.5) as favorable and a high ratio as
#    intermediate; ELN 2022 drops the ratio and places NPM1-mutated AML with any FLT3-ITD in the
#    intermediate group. AMLSG has no ratios, so this part uses **Beat AML** (805 patients, ratios for
#    most ITD-positive ones; treatment was not uniform, so absolute survival is not comparable to
#    intensively treated trial cohorts).
# 2. **Triple-mutated AML** (NPM1, FLT3-ITD and DNMT3A; Papaemmanuil et al., NEJM 2016; Bezerra et al.,
#    Blood Adv 2020) versus the other NPM1-mutated AML, on **AMLSG**, the cohort of the 2016 paper.
#
# Every number printed below is computed here; nothing is copied from the papers.

# %%
# ruff: noqa: B018  (a bare expression ending a cell is how a notebook displays a table)
import tempfile
import warnings
from pathlib import Path

import pandas as pd

import cohort
from cohort import plots

pd.set_option("display.width", 120)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # load-time data-quality notes are kept in c.report
    beat = cohort.datasets.load("beataml")
    amlsg = cohort.datasets.load("amlsg")
print(beat, amlsg, sep="\n")

# %% [markdown]
# ## 1. NPM1-mutated AML by FLT3-ITD allelic ratio (Beat AML)
#
# `cohort.genotype_groups` labels every patient in each grouping used in the literature. A patient
# with FLT3-ITD but no ratio gets the group `ITD-unknown-ratio` rather than a guess; unknown NPM1 or
# FLT3-ITD leaves the label missing. `.attrs["group_sizes"]` counts each group (and flags small ones).

# %%
groups = cohort.genotype_groups(beat, ar_cutoff=0.5)
sizes = groups.attrs["group_sizes"]
sizes[sizes["grouping"] == "npm1_flt3_itd"]

# %%
npm1_mut = beat.data[beat.data["npm1"].astype("boolean").fillna(False).to_numpy(dtype=bool)].copy()
order = ["ITD-neg", "ITD-low", "ITD-high", "ITD-unknown-ratio"]
npm1_mut["itd_group"] = pd.Categorical(
    groups.loc[npm1_mut.index, "npm1_flt3_itd"].str.replace("NPM1mut/", "", regex=False),
    categories=order,
)
npm1_mut["itd_group"].value_counts(dropna=False).reindex([*order, float("nan")])

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # missing groups / small groups are counted in the result
    fit_itd = cohort.km(npm1_mut, "os", by="itd_group")
fit_itd.table

# %%
fit_itd.survival_at([365.25, 730.5])

# %%
print(f"log-rank p = {fit_itd.test.p_value:.3g}")
plots.km_plot(fit_itd, title="NPM1-mutated AML by FLT3-ITD ratio (Beat AML)")

# %% [markdown]
# ### What ELN 2017 and ELN 2022 do with NPM1-mutated/FLT3-ITD-low
#
# Cross the two classifications within each ITD group. Expected from the guidelines: ITD-low moves
# from favorable (2017) to intermediate (2022) unless another lesion decides (adverse cytogenetics,
# or a favorable CBF fusion or in-frame bZIP CEBPA in 2022).

# %%
eln = (
    pd.DataFrame(
        {
            "itd_group": npm1_mut["itd_group"],
            "eln2017": cohort.classify(beat, "eln2017")["category"].loc[npm1_mut.index],
            "eln2022": cohort.classify(beat, "eln2022")["category"].loc[npm1_mut.index],
        }
    )
    .astype("object")
    .fillna("undetermined")
)
pd.crosstab([eln["itd_group"], eln["eln2017"]], eln["eln2022"])

# %%
low = eln[eln["itd_group"] == "ITD-low"]
print(
    f"ITD-low: {len(low)} patients; ELN 2017 favorable {int((low['eln2017'] == 'favorable').sum())}, "
    f"ELN 2022 favorable {int((low['eln2022'] == 'favorable').sum())}, "
    f"ELN 2022 intermediate {int((low['eln2022'] == 'intermediate').sum())}"
)

# %% [markdown]
# ## 2. Triple-mutated NPM1/FLT3-ITD/DNMT3A versus other NPM1-mutated AML (AMLSG)

# %%
tri_groups = cohort.genotype_groups(amlsg)
aml_npm1 = amlsg.data[
    amlsg.data["npm1"].astype("boolean").fillna(False).to_numpy(dtype=bool)
].copy()
aml_npm1["triple"] = pd.Categorical(
    tri_groups.loc[aml_npm1.index, "triple_mutated"].replace(
        {"not triple-mutated": "other NPM1-mutated"}
    ),
    categories=["other NPM1-mutated", "NPM1/FLT3-ITD/DNMT3A"],
)
aml_npm1["triple"].value_counts(dropna=False)

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    fit_tri = cohort.km(aml_npm1, "os", by="triple")
    ci_tri = cohort.cuminc(aml_npm1, "cir", by="triple")
fit_tri.table

# %%
fit_tri.survival_at([730.5, 1826.25])

# %%
plots.km_plot(fit_tri, title="Triple-mutated vs other NPM1-mutated (AMLSG)")

# %%
ci_tri.at([730.5]).query("event == 1")

# %%
ci_tri.test

# %% [markdown]
# Is the triple mutation more than FLT3-ITD? A Cox model within NPM1-mutated AML with both terms and
# age (R: `coxph(Surv(os_days, os_event) ~ triple_mutated + flt3_itd + age, data = npm1)`):

# %%
aml_npm1["triple_mutated"] = (aml_npm1["triple"] == "NPM1/FLT3-ITD/DNMT3A").astype("boolean")
aml_npm1.loc[aml_npm1["triple"].isna(), "triple_mutated"] = pd.NA
tri_model = cohort.cox(aml_npm1, "triple_mutated + flt3_itd + age", "os")
tri_model.summary

# %%
plots.forest_plot(tri_model, title="NPM1-mutated AML (AMLSG)")

# %% [markdown]
# ## 3. The same as a report
#
# The analysis scripts produce these comparisons with the patient flow, Table 1, methods and an
# interpretation paragraph; here written to a temporary folder.

# %%
from cohort.report.runner import run_analysis  # noqa: E402

with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
    warnings.simplefilter("ignore")
    written = run_analysis("triple_mutated", amlsg).write(tmp, stem="triple_mutated")
    print([Path(p).name for p in written[:2]], f"+ {len(written) - 2} CSV tables")
