"""Time karyotype parsing and flagging on every bundled karyotype.

Run: ``python benchmarks/bench_cytogenetics.py [--repeat 5] [--scale 100]``

Prints the wall time of ``cohort.cytogenetics.flags`` on the AMLSG (1,574 strings) and Beat AML
(805 rows) karyotypes with cold caches, with warm caches, and on a cohort scaled up by repeating
the strings (duplicates are parsed once, through ``pandas.factorize`` and an LRU cache).
The target is under one second for all bundled karyotypes, cold.
"""

from __future__ import annotations

import argparse
import importlib
import io
import time
import warnings
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "cohort" / "datasets"


def bundled_karyotypes() -> pd.Series:
    text = (DATA / "amlsg" / "AMLSG_Karyotypes.txt").read_text(encoding="latin-1")
    amlsg = pd.read_csv(io.StringIO(text.replace("\r", "\n")), sep="\t", dtype=str)["karyotype"]
    beat = pd.read_csv(DATA / "beataml" / "patients_from_cohort_json.tsv", sep="\t", dtype=str)
    return pd.concat([amlsg, beat["karyotype"]], ignore_index=True)


def clear_caches() -> None:
    # the submodule cohort.cytogenetics.flags is shadowed by the function of the same name
    flags_module = importlib.import_module("cohort.cytogenetics.flags")
    parser = importlib.import_module("cohort.cytogenetics.parser")
    parser._parse_cached.cache_clear()
    flags_module._row_cached.cache_clear()


def timed(fn, repeat: int, cold: bool) -> float:
    best = float("inf")
    for _ in range(repeat):
        if cold:
            clear_caches()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scale", type=int, default=100)
    args = ap.parse_args()

    t0 = time.perf_counter()
    from cohort.cytogenetics import flags

    import_s = time.perf_counter() - t0
    kar = bundled_karyotypes()
    big = pd.concat([kar] * args.scale, ignore_index=True)
    warnings.simplefilter("ignore")
    cold = timed(lambda: flags(kar), args.repeat, cold=True)
    warm = timed(lambda: flags(kar), args.repeat, cold=False)
    scaled = timed(lambda: flags(big), max(1, args.repeat // 2), cold=True)
    print(f"import cohort.cytogenetics: {import_s:.3f} s")
    print(f"bundled karyotypes: {len(kar)} rows, {kar.nunique()} distinct strings")
    print(f"flags(), cold caches: {cold:.3f} s (best of {args.repeat})")
    print(f"flags(), warm caches: {warm:.3f} s")
    print(f"flags() on {len(big)} rows (x{args.scale}), cold caches: {scaled:.3f} s")
    print("PASS" if cold < 1.0 else "FAIL", "(target: all bundled karyotypes under 1 s, cold)")


if __name__ == "__main__":
    main()
