"""Time and peak memory of ``cohort.classify`` for every ELN system at scale.

Usage::

    python benchmarks/bench_classify.py                    # 1,000,000 patients, 5% missing values
    python benchmarks/bench_classify.py --n 200000 --missing 0.2

Patients come from ``cohort.synthetic.generate`` (scenario ``venetoclax_hma`` for ELN 2024, which
needs less-intensive treatment). A fraction ``--missing`` of every genotype, cytogenetic flag and
quantity is then set missing at random (numpy Generator, fixed seed) so that the undetermined path,
including the completion of unknown inputs, is exercised. For each system the table gives the wall
time of an untraced call, the process peak RSS during that call (``peak_rss_mib``: interpreter,
libraries and the table included), the peak memory traced by ``tracemalloc`` during a second call
(classification only), and how many patients were placed. The table is generated in a child
process and read back from Parquet, so the generator's own memory does not count, and the buffers
Arrow keeps after the conversion are handed back before classifying. The per-system
peak RSS resets the kernel's high-water mark (``/proc/self/clear_refs``, Linux); elsewhere it is
``ru_maxrss``, the peak of the process so far. Targets: < 2 s and < 1.5 GB peak per system on 2
cores.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

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


def _table(n: int, seed: int, scenario: str, missing: float, folder: Path) -> pd.DataFrame:
    """The synthetic table, generated in a child process so that the generator's own peak memory
    does not count against classification (the table is handed over as Parquet)."""
    path = folder / f"{scenario}.parquet"
    here = str(Path(__file__).parent)
    code = (
        f"import sys; sys.path.insert(0, {here!r})\n"
        "from bench_classify import with_missing\n"
        "from cohort.synthetic import generate\n"
        f"d = generate({n}, seed={seed}, scenario={scenario!r}, mrd=False).data\n"
        f"with_missing(d, {missing!r}, {seed}).to_parquet({str(path)!r})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    from cohort.schema import COLUMNS

    # the classifiers read genotypes, flags, quantities and treatment: leave out the text columns
    # (identifiers, karyotype strings), which would dominate memory without being used
    text = {name for name, col in COLUMNS.items() if col.kind in ("string", "category")}
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [c for c in pq.read_schema(path).names if c not in text and not c.startswith("__")]
    frame = pd.read_parquet(path, columns=columns)
    # Arrow's allocator keeps the conversion buffers (~200 MB here) for reuse; hand them back so
    # that the RSS measured below is the table and classification, not Parquet reading
    pa.default_memory_pool().release_unused()
    return frame


def _reset_peak_rss() -> bool:
    """Reset the process's RSS high-water mark (Linux); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mib(reset: bool) -> float:
    """Peak RSS since the last reset (``VmHWM``) or, without a reset, of the whole process."""
    if reset:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    """Current RSS (``VmRSS``, Linux); NaN elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _share_matching(column: pd.Series, pattern: str) -> float:
    """Share of rows whose value matches ``pattern``, read from the categories of a categorical
    column: ``astype(str)`` on a million rows would build a fixed-width string array of the longest
    label (hundreds of MB) and dominate the benchmark's own peak memory."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        regex = re.compile(pattern)
        hit = np.array([bool(regex.search(str(c))) for c in column.cat.categories] + [False])
        return float(hit[column.cat.codes.to_numpy()].mean())  # code -1 (missing) reads False
    return float(column.astype(str).str.contains(pattern).mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--missing", type=float, default=0.05)
    parser.add_argument(
        "--systems", nargs="*", default=list(SYSTEMS), help="systems to run (default: all)"
    )
    args = parser.parse_args(argv)

    from cohort.stratify import classify

    frame, current = None, None
    rows = []
    tmp = tempfile.TemporaryDirectory()
    for system, (scenario, options) in ((k, SYSTEMS[k]) for k in args.systems):
        if scenario != current:
            frame = None  # one synthetic table in memory at a time
            frame, current = (
                _table(args.n, args.seed, scenario, args.missing, Path(tmp.name)),
                scenario,
            )
            if not rows:
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(
                    f"RSS with the synthetic table in memory: {_current_rss_mib():,.0f} MiB "
                    f"(peak so far, while reading it: {rss:,.0f} MiB)"
                )
        reset = _reset_peak_rss()
        start = time.perf_counter()
        result = classify(frame, system, **options)
        elapsed = time.perf_counter() - start
        peak_rss = _peak_rss_mib(reset)
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
                "peak_rss_mib": round(peak_rss),
                "traced_peak_mib": round(peak / 2**20),
                "placed_pct": round(100 * placed, 1),
                "not_applicable_pct": round(
                    100 * _share_matching(result["rule"], r"-(?:NA\d|APL)$"), 1
                ),
            }
        )
        del result
    print(pd.DataFrame(rows).to_string(index=False))
    # (ru_maxrss is not used here: resetting the high-water mark resets it too on Linux)
    print(f"highest peak RSS during a classification: {max(r['peak_rss_mib'] for r in rows):,} MiB")


if __name__ == "__main__":
    main()
