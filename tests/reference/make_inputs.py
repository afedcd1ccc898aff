"""Write the input CSVs that ``reference_survival.R`` and the survival tests both read.

Run from the repository root: ``python tests/reference/make_inputs.py``. Deterministic (no RNG).

- ``data/amlsg_survival.csv``: the bundled AMLSG clinical table (raw TSV) in canonical column names,
  restricted to the columns the survival tests use. The R script reads the raw TSV itself; the Python
  tests read this file, so the column mapping below is checked by every comparison.
- ``data/survival_edge.csv``: small hand-made groups with tied times, a curve that sits at exactly
  0.5 (median = midpoint rule), a curve that reaches 0 and one that ends censored.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RAW = REPO / "cohort" / "datasets" / "amlsg" / "AMLSG_Clinical_Anon.tsv"

ELN2010_LEVELS = ["Favorable", "Inter-1", "Inter-2", "Adverse"]


def amlsg_survival() -> pd.DataFrame:
    raw = pd.read_csv(RAW, sep="\t")
    return pd.DataFrame(
        {
            "os_days": raw["OS"].astype(float),
            "os_event": raw["Status"].astype("Int64"),
            "efs_days": raw["efs"].astype(float),
            "efs_event": raw["EFSSTAT"].astype("Int64"),
            "npm1": raw["NPM1"].astype(bool),
            "flt3_itd": raw["FLT3_ITD"].astype(bool),
            "age": raw["AOD"].astype(float),
            "sex": raw["gender"].map({1: "male", 2: "female"}),
            "eln2010": raw["M_Risk"],
            "study": raw["Study"],
        }
    )


def survival_edge() -> pd.DataFrame:
    rows = []
    # a: S = 0.75, 0.5 (at t=2, exactly), then 0 at t=4 -> median (2 + 4) / 2 = 3 by R's rule
    rows += [("a", t, e) for t, e in [(1, 1), (2, 1), (3, 0), (4, 1)]]
    # b: heavy ties, ends censored above 0.5 (no median)
    rows += [
        ("b", t, e) for t, e in [(2, 1), (2, 0), (5, 0), (5, 0), (5, 1), (7, 0), (9, 0), (9, 0)]
    ]
    # c: R's documentation-like example with a censoring at the first time and ties
    rows += [
        ("c", t, e)
        for t, e in [(1, 0), (2, 1), (2, 1), (3, 0), (4, 1), (5, 1), (6, 0), (6, 1), (7, 1)]
    ]
    # d: every patient has an event, many ties
    rows += [("d", t, 1) for t in [1, 1, 2, 2, 2, 3, 4, 4, 6, 8]]
    frame = pd.DataFrame(rows, columns=["arm", "os_days", "os_event"])
    frame["os_days"] = frame["os_days"].astype(float)
    return frame


def main() -> None:
    out = HERE / "data"
    out.mkdir(exist_ok=True)
    amlsg_survival().to_csv(out / "amlsg_survival.csv", index=False)
    survival_edge().to_csv(out / "survival_edge.csv", index=False)


if __name__ == "__main__":
    main()
