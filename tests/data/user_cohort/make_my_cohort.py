"""Writes tests/data/user_cohort/my_cohort.csv: a messy 300-patient table as a clinician keeps it."""

import numpy as np
import pandas as pd

rng = np.random.default_rng(11)
n = 300
npm1 = rng.random(n) < 0.35
itd = rng.random(n) < np.where(npm1, 0.4, 0.2)
ar = np.where(itd, np.round(rng.gamma(2, 0.3, n), 2), 0.0)
dnmt3a = rng.random(n) < np.where(npm1, 0.5, 0.2)
age = np.round(rng.normal(58, 14, n)).clip(19, 88)
haz = 0.03 * np.exp(0.03 * (age - 58) - 0.5 * npm1 + 0.6 * itd)
t = rng.exponential(1 / haz)
c = rng.uniform(6, 84, n)
os_m = np.minimum(t, c)
dead = t <= c
kary = rng.choice(
    [
        "46,XX",
        "46,XY",
        "46,XY[20]",
        "47,XY,+8[15]/46,XY[5]",
        "45,XX,-7[20]",
        "46,XX,t(9;11)(p21;q23)[20]",
        "n.d.",
        "46,XX,del(5)(q31)[12]",
    ],
    n,
    p=[0.25, 0.25, 0.15, 0.08, 0.07, 0.05, 0.1, 0.05],
)
df = pd.DataFrame(
    {
        "Patient ID": [f"PT-{i:04d}" for i in range(1, n + 1)],
        "Age at Dx": age.astype(int),
        "Sex": rng.choice(["M", "F", "m", "female"], n, p=[0.45, 0.45, 0.05, 0.05]),
        "NPM1 status": np.where(npm1, "mutated", "wild-type"),
        "FLT3-ITD ratio": [f"{a:.2f}" for a in ar],
        "DNMT3A": np.where(dnmt3a, "pos", "neg"),
        "Karyotype": kary,
        "OS (months)": np.round(os_m, 1),
        "Dead (Y/N)": np.where(dead, "Y", "N"),
    }
)
# the messiness of a real table
df.loc[rng.choice(n, 12, replace=False), "NPM1 status"] = "n.d."
df.loc[rng.choice(n, 15, replace=False), "FLT3-ITD ratio"] = ""
df.loc[rng.choice(n, 20, replace=False), "DNMT3A"] = "not done"
df["Age at Dx"] = df["Age at Dx"].astype(object)
df.loc[rng.choice(n, 4, replace=False), "Age at Dx"] = ""
df.loc[17, "OS (months)"] = np.nan  # dead without a survival time
df.loc[17, "Dead (Y/N)"] = "Y"
df.loc[42, "OS (months)"] = -2.0  # a typo
df.loc[99, "Dead (Y/N)"] = "?"  # unknown
df.to_csv("tests/data/user_cohort/my_cohort.csv", index=False)
