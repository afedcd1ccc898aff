"""cohort against R (survival, cmprsk) on the same data, in the same run.

Usage (from the repository root)::

    python benchmarks/bench_vs_r.py                     # 1e6 patients, writes docs/performance.md
    python benchmarks/bench_vs_r.py --n 100000 --out -  # quicker, print only

The data: ``--n`` patients in canonical columns, 4 genotype groups (NPM1 x FLT3-ITD), 4 Cox
covariates (npm1, flt3_itd, age, sex), whole-day times; OS (0/1) and CIR (0 censored, 1 relapse,
2 death in CR). Written once as CSV (read by R, and by ``cohort.load`` and ``pandas.read_csv``)
and Parquet (read by the Python analysis steps, so that their timings hold the analysis only).

Each Python step runs in a fresh process (its peak resident memory is reported); R runs every step
in one ``Rscript`` after ``read.csv``, timed by ``system.time`` (elapsed). Wall-clock times; the
ratio is ours / R's. R steps: ``survfit`` + ``survdiff``; ``coxph`` (Efron); ``cmprsk::cuminc``
(which includes Gray's test); ``coxph`` on the CIR data (the Fine-Gray target is relative to it);
``crr`` only when ``--n`` is at most 5,000 (its Fortran is O(n x events)).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench_vs_r:begin -->", "<!-- bench_vs_r:end -->"
FORMULA = "npm1 + flt3_itd + age + sex"
CRR_MAX_N = 5_000

# step -> (what it runs, target as a ratio to R, the R step it is compared with)
STEPS = {
    "km": ("KM by 4 genotype groups + log-rank", 0.25, "km"),
    "cox": (f"Cox {FORMULA} (Efron) + concordance", 0.3, "cox"),
    "cuminc": ("cumulative incidence by 4 groups + Gray's test", 0.3, "cuminc"),
    "finegray": (f"Fine-Gray {FORMULA} (vs R coxph on the CIR data)", 3.0, "cox_cir"),
    "load": ("cohort.load of the CSV (vs pandas.read_csv)", 3.0, None),
}


def make_data(n: int, seed: int = 2026) -> pd.DataFrame:
    """Canonical columns, whole-day times; CIR consistent with OS (death in CR is an OS death)."""
    rng = np.random.default_rng(seed)
    npm1 = rng.random(n) < 0.3
    itd = rng.random(n) < 0.25
    age = rng.normal(58, 14, n).clip(18, 95).round(1)
    female = rng.random(n) < 0.45
    lp = -0.4 * npm1 + 0.45 * itd + 0.03 * (age - 58) + 0.1 * female
    t_death = np.ceil(rng.exponential(900 * np.exp(-lp)))
    t_cens = np.ceil(rng.uniform(30, 3650, n))
    t_rel = np.ceil(rng.exponential(1500 * np.exp(-0.8 * lp)))
    os_days = np.minimum(t_death, t_cens)
    os_event = (t_death <= t_cens).astype(int)
    relapse = t_rel < os_days
    return pd.DataFrame(
        {
            "patient_id": [f"R{i:09d}" for i in range(n)],
            "age": age,
            "sex": np.where(female, "female", "male"),
            "npm1": npm1,
            "flt3_itd": itd,
            "os_days": os_days,
            "os_event": os_event,
            "cir_days": np.where(relapse, t_rel, os_days),
            "cir_status": np.where(relapse, 1, np.where(os_event == 1, 2, 0)),
        }
    )


# ------------------------------------------------------------------------------------ our side


def _analysis_frame(parquet: Path) -> pd.DataFrame:
    d = pd.read_parquet(parquet)
    for c in ("npm1", "flt3_itd"):
        d[c] = d[c].astype("boolean")
    d["sex"] = d["sex"].astype("string")
    return d


def child(step: str, folder: Path) -> dict:
    """Run one step in this (fresh) process: seconds and peak RSS in MB."""
    import cohort

    warnings.simplefilter("ignore")
    csv, parquet = folder / "cohort.csv", folder / "cohort.parquet"
    d = None if step in ("load", "read_csv", "peak") else _analysis_frame(parquet)
    if d is not None:  # import and first-call costs are not what is measured
        small = d.iloc[:2000]
        cohort.km(small, "os", by="npm1"), cohort.cox(small, "age", "os")
        cohort.cuminc(small, "cir", by="npm1"), cohort.finegray(small, "age")
    t0 = time.perf_counter()
    if step == "km":
        fit = cohort.km(d, "os", by=["npm1", "flt3_itd"])
        _ = fit.test.p_value
    elif step == "cox":
        _ = cohort.cox(d, FORMULA, "os").concordance
    elif step == "cuminc":
        _ = cohort.cuminc(d, "cir", by=["npm1", "flt3_itd"]).test
    elif step == "finegray":
        _ = cohort.finegray(d, FORMULA).summary
    elif step == "load":
        cohort.load(csv)
    elif step == "read_csv":
        pd.read_csv(csv)
    elif step == "peak":
        c = cohort.load(csv)
        cohort.km(c, "os", by=["npm1", "flt3_itd"])
        cohort.cox(c, FORMULA, "os")
    else:
        raise SystemExit(f"unknown step {step!r}")
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb}


def run_child(step: str, folder: Path, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--child", step, "--folder", str(folder)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        res = json.loads(out.stdout.strip().splitlines()[-1])
        if best is None or res["seconds"] < best["seconds"]:
            best = res
    return best


# -------------------------------------------------------------------------------------- R side

R_SCRIPT = r"""
suppressPackageStartupMessages({library(survival); library(cmprsk)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$grp <- interaction(d$npm1, d$flt3_itd)
tm <- function(name, expr) {
  s <- system.time(expr)[["elapsed"]]
  cat(sprintf("%s %.6f\n", name, s))
}
tm("km", {f <- survfit(Surv(os_days, os_event) ~ npm1 + flt3_itd, data = d)
          s <- survdiff(Surv(os_days, os_event) ~ npm1 + flt3_itd, data = d)})
tm("cox", coxph(Surv(os_days, os_event) ~ npm1 + flt3_itd + age + sex, data = d))
tm("cuminc", cuminc(d$cir_days, d$cir_status, d$grp))
tm("cox_cir", coxph(Surv(cir_days, cir_status == 1) ~ npm1 + flt3_itd + age + sex, data = d))
if (nrow(d) <= as.integer(args[2])) {
  x <- cbind(npm1 = as.numeric(d$npm1 == "True" | d$npm1 == TRUE),
             flt3_itd = as.numeric(d$flt3_itd == "True" | d$flt3_itd == TRUE),
             age = d$age, male = as.numeric(d$sex == "male"))
  tm("crr", crr(d$cir_days, d$cir_status, x))
}
"""


def run_r(folder: Path) -> dict[str, float]:
    if shutil.which("Rscript") is None:
        return {}
    script = folder / "bench.R"
    script.write_text(R_SCRIPT)
    out = subprocess.run(
        ["Rscript", str(script), str(folder / "cohort.csv"), str(CRR_MAX_N)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: float(v) for k, v in (line.split() for line in out.stdout.splitlines() if line)}


# ------------------------------------------------------------------------------------- reporting


def table(n: int, ours: dict, r: dict) -> str:
    lines = [
        f"n = {n:,} patients; {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPU(s); wall-clock seconds (best of the repeats for ours).",
        "",
        "| step | cohort (s) | R (s) | ratio | target | met | cohort peak RSS (MB) |",
        "|---|---:|---:|---:|---:|:-:|---:|",
    ]
    for step, (what, target, r_step) in STEPS.items():
        mine = ours[step]
        ref = ours["read_csv"]["seconds"] if step == "load" else r.get(r_step)
        ref_label = "pandas.read_csv" if step == "load" else "R"
        if ref:
            ratio = mine["seconds"] / ref
            met = "yes" if ratio <= target else "**no**"
            cells = f"{ref:.2f} ({ref_label}) | {ratio:.2f} | <= {target:g} | {met}"
        else:
            cells = f"- | - | <= {target:g} | R not run"
        lines.append(f"| {what} | {mine['seconds']:.2f} | {cells} | {mine['peak_mb']:.0f} |")
    peak = ours["peak"]["peak_mb"]
    met = "yes" if peak < 1024 else "**no**"
    lines.append(
        f"| peak memory of load + km + cox (one process) | {ours['peak']['seconds']:.2f} | - | - "
        f"| < 1024 MB | {met} | {peak:.0f} |"
    )
    fg = ours["finegray"]["peak_mb"]
    lines.append("")
    lines.append(
        f"Fine-Gray peak resident memory: {fg:.0f} MB (target under 2 GB: "
        f"{'met' if fg < 2048 else '**not met**'})."
        + (f" R `crr` on the same data: {r['crr']:.2f} s." if "crr" in r else "")
    )
    return "\n".join(lines)


def write_doc(text: str, path: Path) -> None:
    doc = path.read_text() if path.exists() else ""
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in doc and END in doc:
        doc = doc[: doc.index(BEGIN)] + block + doc[doc.index(END) + len(END) :]
    else:
        doc = doc.rstrip() + "\n\n## Against R: same data, same run\n\n" + block + "\n"
    path.write_text(doc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", default=str(DOC), help="Markdown file to update, or - to print only")
    ap.add_argument("--no-r", action="store_true", help="skip the R side")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.folder))))
        return
    with tempfile.TemporaryDirectory(prefix="bench_vs_r_") as tmp:
        folder = Path(tmp)
        data = make_data(args.n)
        data.to_csv(folder / "cohort.csv", index=False)
        data.to_parquet(folder / "cohort.parquet", index=False)
        del data
        ours = {}
        for step in [*STEPS, "read_csv", "peak"]:
            ours[step] = run_child(step, folder, args.repeat)
            print(f"cohort {step}: {ours[step]['seconds']:.2f} s", file=sys.stderr)
        r = {} if args.no_r else run_r(folder)
        for k, v in r.items():
            print(f"R {k}: {v:.2f} s", file=sys.stderr)
    text = table(args.n, ours, r)
    print(text)
    if args.out != "-":
        write_doc(text, Path(args.out))


if __name__ == "__main__":
    main()
