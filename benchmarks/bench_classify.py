"""Time and peak memory of ``cohort.classify`` for every ELN system at scale.

Usage::

    python benchmarks/bench_classify.py                    # 1,000,000 patients, 5% missing values
    python benchmarks/bench_classify.py --n 200000 --missing 0.2

Patients come from ``cohort.synthetic.generate`` (scenario ``venetoclax_hma`` for ELN 2024, which
needs less-intensive treatment). A fraction ``--missing`` of every genotype, cytogenetic flag and
quantity is then set missing at random (numpy Generator, fixed seed) so that the undetermined path,
including the completion of unknown inputs, is exercised. For each system the table gives the wall
time of an untraced call, the peak memory traced by ``tracemalloc`` during a second call, and
how many patients were placed. The process peak RSS (``ru_maxrss``) is printed after generating
the first table (the generator's own peak) and at the end. Targets: < 2 s per system and
< 1.5 GB peak on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

SYSTEMS = {
    "eln2017": ("intensive_2017", {}),
    "eln2017_eisfeld2020": ("intensive_2017", {}),
    "eln2022": ("intensive_2017", {}),
    "eln2024": ("venetoclax_hma", {"assume_no_prior_hma": True}),
}


def with_missing(frame: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """A copy of ``frame`` with ``fraction`` of each genotype/flag/quantity value set missing."""
    from cohort.schema import COLUMNS

    rng = np.random.default_rng(seed)
    out = frame.copy()
    groups = {"genotype", "cytogenetics", "quantity"}
    for name in out.columns:
        col = COLUMNS.get(name)
        if col is None or col.group not in groups or col.kind not in ("boolean", "float"):
            continue
        hit = rng.random(len(out)) < fraction
        values = out[name].copy()
        values[hit] = pd.NA
        out[name] = values
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--missing", type=float, default=0.05)
    args = parser.parse_args(argv)

    from cohort.stratify import classify
    from cohort.synthetic import generate

    frame, current = None, None
    rows = []
    for system, (scenario, options) in SYSTEMS.items():
        if scenario != current:
            frame = None  # one synthetic table in memory at a time
            data = generate(args.n, seed=args.seed, scenario=scenario, mrd=False).data
            frame, current = with_missing(data, args.missing, args.seed), scenario
            del data
            if not rows:
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"peak RSS after generating the synthetic table: {rss:,.0f} MiB")
        start = time.perf_counter()
        result = classify(frame, system, **options)
        elapsed = time.perf_counter() - start
        # a second, traced run for memory: tracemalloc slows allocation-heavy numpy code down
        tracemalloc.start()
        classify(frame, system, **options)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        placed = result["category"].notna().mean()
        rows.append(
            {
                "system": system,
                "n": len(frame),
                "seconds": round(elapsed, 2),
                "traced_peak_mib": round(peak / 2**20),
                "placed_pct": round(100 * placed, 1),
                "not_applicable_pct": round(
                    100 * result["rule"].astype(str).str.contains(r"-(?:NA\d|APL)$").mean(), 1
                ),
            }
        )
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
