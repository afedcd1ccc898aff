"""Time and peak memory of ``cohort.synthetic.generate`` at scale.

Usage::

    python benchmarks/bench_synthetic.py                  # 1,000,000 patients, no MRD table
    python benchmarks/bench_synthetic.py --n 200000 --mrd # with the MRD long table

Prints wall time, peak resident memory of the process (``ru_maxrss``) and table sizes.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--scenario", default="intensive_2017")
    parser.add_argument("--mrd", action="store_true", help="also generate the MRD long table")
    args = parser.parse_args(argv)

    from cohort.synthetic import calibration, generate

    calibration.targets()  # reading the AMLSG files once is not part of generation
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    coh = generate(args.n, seed=args.seed, scenario=args.scenario, mrd=args.mrd)
    elapsed = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    n_mrd = 0 if coh.mrd is None else len(coh.mrd)
    print(
        f"generate(n={args.n:,}, scenario={args.scenario!r}, mrd={args.mrd}): {elapsed:.2f} s, "
        f"peak RSS {peak_mib:,.0f} MiB (before generation {rss_before / 1024:,.0f} MiB), "
        f"{len(coh.data):,} patients x {coh.data.shape[1]} columns, {n_mrd:,} MRD rows, "
        f"python {sys.version.split()[0]}"
    )


if __name__ == "__main__":
    main()
