"""Registry scale: time and peak memory of load + Kaplan-Meier/log-rank + genotype groups, in memory
(pandas) and on Dask, from 1e4 to 1e7 patients.

Usage (from the repository root)::

    python benchmarks/bench_scale.py                                  # 1e4 .. 1e7, writes the doc
    python benchmarks/bench_scale.py --sizes 10000 100000 --out -     # quick, print only
    python benchmarks/bench_scale.py --memory-max 3000000             # in-memory up to 3e6
    python benchmarks/bench_scale.py --api --sizes 1e6                # public calls (below)
    python benchmarks/bench_scale.py --api --sizes 1e7 --memory-max 3e6

``--api`` times the public calls of an analysis written once (``cohort.load``, ``cohort.classify``
ELN 2022, ``cohort.km`` by NPM1, ``cohort.cox`` ``npm1 + flt3_itd + age``, ``cohort.cuminc`` CIR by
NPM1 with Gray's test) on the Dask cohort and in memory, into the "Scale (Dask)" table of
docs/performance.md; rows of earlier ``--api`` runs are kept in ``<data>/api_rows.json``.

Every measurement runs in a fresh Python process, so that peak memory is that run's own: the
peak of the summed resident memory (RSS) of the process and all its children (the Dask workers
and nannies of the ``LocalCluster``), sampled every 50 ms. Data are written once per size as a
Parquet dataset (partitions of 250,000 patients), each partition drawn from its own seeded numpy
Generator; writing is not timed.

The Dask runs use ``distributed.LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="2GB")``.
Tasks (identical for both engines): ``load`` reads and validates every row (Dask: one streaming
pass that collects exclusions and checks identifiers across partitions); ``km`` is Kaplan-Meier by
NPM1 with the log-rank test; ``groups`` counts the NPM1/FLT3-ITD genotype groups. The Dask data
stay lazy, so ``km`` and ``groups`` each re-read and re-validate the partitions: the memory stays
bounded by a few partitions instead of the whole registry.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
PARTITION = 250_000
BEGIN, END = "<!-- bench_scale:begin -->", "<!-- bench_scale:end -->"
API_BEGIN, API_END = "<!-- bench_scale_api:begin -->", "<!-- bench_scale_api:end -->"


# ----------------------------------------------------------------------------------------- data


def make_partition(n: int, seed: int, part: int) -> pd.DataFrame:
    """Canonical columns for ``n`` patients; whole-day survival times (as registries record)."""
    rng = np.random.default_rng([seed, part])
    npm1 = rng.random(n) < 0.3
    itd = rng.random(n) < 0.25
    # allelic ratios at most 1 (the loader refuses a ratio above 1 that looks like a percentage)
    ar = np.where(itd, np.minimum(rng.lognormal(-0.7, 0.8, n), 1.0).round(3), 0.0)
    age = rng.normal(58, 14, n).clip(18, 95).round(1)
    hazard = np.exp(-0.4 * npm1 + 0.45 * itd + 0.03 * (age - 58)) / 900
    t_event = rng.exponential(1 / hazard)
    t_cens = rng.uniform(30, 3650, n)
    os_days = np.ceil(np.minimum(t_event, t_cens))
    # relapse competing with death in CR (drawn last: the columns above are unchanged)
    t_relapse = np.ceil(rng.exponential(np.where(npm1, 2200.0, 1300.0)))
    relapsed = t_relapse < os_days
    cir_status = np.where(relapsed, 1, np.where(t_event <= t_cens, 2, 0))
    start = part * PARTITION
    frame = pd.DataFrame(
        {
            "patient_id": pd.array([f"R{start + i:09d}" for i in range(n)], dtype="string"),
            "age": age,
            "sex": pd.array(np.where(rng.random(n) < 0.45, "female", "male"), dtype="string"),
            "npm1": pd.array(npm1, dtype="boolean"),
            "flt3_itd": pd.array(itd, dtype="boolean"),
            "flt3_itd_ar": ar,
            "dnmt3a": pd.array(rng.random(n) < 0.25, dtype="boolean"),
            "os_days": os_days,
            "os_event": pd.array((t_event <= t_cens).astype(np.int64), dtype="Int64"),
        }
    )
    frame["cir_days"] = np.where(relapsed, t_relapse, os_days)
    frame["cir_status"] = pd.array(cir_status, dtype="Int64")
    return frame


def write_dataset(n: int, folder: Path, seed: int = 2026) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / "_complete"
    if done.exists():
        return folder
    for part, start in enumerate(range(0, n, PARTITION)):
        frame = make_partition(min(PARTITION, n - start), seed, part)
        frame.to_parquet(folder / f"part-{part:05d}.parquet", index=False)
    done.write_text(str(n))
    return folder


# ------------------------------------------------------------------------------------ measuring


class PeakRSS:
    """Peak of the summed RSS of this process and its children, sampled in a thread."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self.proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except Exception:  # a child may exit between listing and reading
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def run_pandas(folder: Path) -> dict:
    import cohort
    from cohort.stratify.groups import genotype_groups

    t = {}
    t0 = time.perf_counter()
    frame = pd.read_parquet(folder)
    c = cohort.load(frame)
    t["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fit = cohort.km(c, "os", by="npm1")
    t["km"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = genotype_groups(c.data)["npm1_flt3_itd"].value_counts()
    t["groups"] = time.perf_counter() - t0
    t["check"] = {"n": len(c.data), "chisq": fit.test.statistic, "groups": int(counts.sum())}
    return t


def run_dask(folder: Path) -> dict:
    import distributed

    from cohort.dask_engine import genotype_groups_dask, km_dask, load_dask

    t = {}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit="2GB", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        t0 = time.perf_counter()
        dc = load_dask(folder)
        t["load"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        fit = km_dask(dc, "os", by="npm1")
        t["km"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        counts = genotype_groups_dask(dc)["npm1_flt3_itd"].value_counts().compute()
        t["groups"] = time.perf_counter() - t0
    t["check"] = {"n": dc.n_kept, "chisq": fit.test.statistic, "groups": int(counts.sum())}
    return t


def _api_tasks(c, t: dict) -> dict:
    """classify, km, cox, cuminc through the public cohort.* calls (any engine).

    With ``BENCH_PROGRESS`` set, the timings so far are written to that file after each step, so
    that a run stopped by its timeout still reports the steps it finished.
    """
    import cohort

    progress = os.environ.get("BENCH_PROGRESS")
    check: dict = {}
    t["check"] = check

    def save() -> None:
        if progress:
            # the peak so far: a run stopped by its timeout still reports the memory it needed
            Path(progress).write_text(json.dumps({**t, "peak_gb_so_far": _MEMORY.peak / 1e9}))

    def step(name, func):
        save()  # the checks of the previous step
        t0 = time.perf_counter()
        out = func()
        t[name] = time.perf_counter() - t0
        save()
        return out

    def classify():
        eln = cohort.classify(c, "eln2022", needs=False)
        return len(eln) if isinstance(eln, pd.DataFrame) else int(eln.shape[0].compute())

    # the distributed statistics first, the row-wise classification last: a run stopped by its
    # timeout still reports the new computations
    check["chisq"] = step("km", lambda: cohort.km(c, "os", by="npm1")).test.statistic
    model = step("cox", lambda: cohort.cox(c, "npm1 + flt3_itd + age", "os"))
    check["cox_npm1"] = float(model.summary.loc["npm1", "coef"])
    check["cox_iterations"] = int(model.model.iterations)
    ci = step("cuminc", lambda: cohort.cuminc(c, "cir", by="npm1"))
    check["gray"] = float(ci.test["statistic"].iloc[0])
    check["classified"] = step("classify", classify)
    return t


def run_api_pandas(folder: Path) -> dict:
    import cohort

    t0 = time.perf_counter()
    c = cohort.load(pd.read_parquet(folder))
    t = {"load": time.perf_counter() - t0}
    return _api_tasks(c, t)


def run_api_dask(folder: Path) -> dict:
    import distributed

    import cohort

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit="2GB", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        t0 = time.perf_counter()
        c = cohort.load(folder, engine="dask")
        t = {"load": time.perf_counter() - t0}
        if os.environ.get("BENCH_PROGRESS"):
            Path(os.environ["BENCH_PROGRESS"]).write_text(json.dumps(t))
        return _api_tasks(c, t)


RUNNERS = {
    "pandas": run_pandas,
    "dask": run_dask,
    "api-pandas": run_api_pandas,
    "api-dask": run_api_dask,
}


_MEMORY = PeakRSS.__new__(PeakRSS)  # replaced by the running measurement in one()
_MEMORY.peak = 0


def one(engine: str, folder: Path) -> None:
    global _MEMORY
    warnings.simplefilter("ignore")
    with PeakRSS() as mem:
        _MEMORY = mem
        t0 = time.perf_counter()
        times = RUNNERS[engine](folder)
        times["total"] = time.perf_counter() - t0
    times["peak_gb"] = mem.peak / 1e9
    print(json.dumps(times))


def measure(engine: str, folder: Path, timeout: float) -> dict:
    progress = folder / f"progress-{engine}.json"
    progress.unlink(missing_ok=True)
    try:
        run = subprocess.run(
            [sys.executable, __file__, "--one", engine, str(folder)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, "BENCH_PROGRESS": str(progress)},
        )
    except subprocess.TimeoutExpired:
        done = json.loads(progress.read_text()) if progress.exists() else {}
        return {"stopped": f"stopped at the {timeout:.0f} s timeout", **done}
    if run.returncode != 0:
        return {"error": (run.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(run.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------- the table


def table(rows: list[dict]) -> str:
    lines = [
        "| n | engine | load (s) | km + log-rank (s) | genotype groups (s) | total (s) | peak memory (GB) | log-rank chi2 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r or "skipped" in r:
            note = r.get("skipped") or f"failed: {r['error']}"
            lines.append(f"| {r['n']:,} | {r['engine']} | {note} | | | | | |")
            continue
        lines.append(
            f"| {r['n']:,} | {r['engine']} | {r['load']:.1f} | {r['km']:.1f} | {r['groups']:.1f} "
            f"| {r['total']:.1f} | {r['peak_gb']:.2f} | {r['check']['chisq']:.6f} |"
        )
    return "\n".join(lines)


def api_table(rows: list[dict]) -> str:
    lines = [
        "| n | engine | load (s) | classify (s) | km (s) | cox (s) | cuminc (s) | total (s) "
        "| peak memory (GB) | log-rank chi2 | Cox coef npm1 (Newton steps) | Gray chi2 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["n"], r["engine"])):
        if "stopped" in r:
            cells = [
                f"{r[k]:.1f}" if k in r else "-"
                for k in ("load", "classify", "km", "cox", "cuminc")
            ]
            ch = r.get("check", {})
            peak = f"{r['peak_gb_so_far']:.2f} so far" if "peak_gb_so_far" in r else ""
            tail = [
                f"{ch['chisq']:.6f}" if "chisq" in ch else "",
                f"{ch['cox_npm1']:.10f} ({ch['cox_iterations']})" if "cox_npm1" in ch else "",
                f"{ch['gray']:.6f}" if "gray" in ch else "",
            ]
            lines.append(
                f"| {r['n']:,} | {r['engine']} | " + " | ".join(cells)
                + f" | {r['stopped']} | {peak} | " + " | ".join(tail) + " |"
            )  # fmt: skip
            continue
        if "error" in r or "skipped" in r:
            note = r.get("skipped") or f"failed: {r['error']}"
            lines.append(f"| {r['n']:,} | {r['engine']} | {note} |" + " |" * 9)
            continue
        ch = r["check"]
        lines.append(
            f"| {r['n']:,} | {r['engine']} | {r['load']:.1f} | {r['classify']:.1f} | {r['km']:.1f} "
            f"| {r['cox']:.1f} | {r['cuminc']:.1f} | {r['total']:.1f} | {r['peak_gb']:.2f} "
            f"| {ch['chisq']:.6f} | {ch['cox_npm1']:.10f} ({ch['cox_iterations']}) "
            f"| {ch['gray']:.6f} |"
        )
    return "\n".join(lines)


def write_doc(text: str, begin: str = BEGIN, end: str = END, out: str | Path = DOC) -> None:
    """Put ``text`` between the markers of the Markdown file ``out`` (``--out``)."""
    path = Path(out)
    doc = path.read_text()
    if begin not in doc:
        raise SystemExit(f"{path} lacks the {begin} ... {end} markers")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{text}\n{end}{tail}")


def main_api(args) -> None:
    """``--api``: the public calls on a Dask cohort (and in memory up to --memory-max).

    Rows of earlier ``--api`` runs are kept (in ``<data>/api_rows.json``, by size and engine), so
    the 1e7 run can be made on its own.
    """
    store = args.data / "api_rows.json"
    kept = {
        (r["n"], r["engine"]): r for r in (json.loads(store.read_text()) if store.exists() else [])
    }
    for n in [int(s) for s in args.sizes]:
        folder = write_dataset(n, args.data / f"n{n}")
        for engine in ("pandas", "dask"):
            row = {"n": n, "engine": engine}
            if engine == "pandas" and n > args.memory_max:
                row["skipped"] = f"not run (above --memory-max {int(args.memory_max):,})"
            else:
                row |= measure(f"api-{engine}", folder, args.timeout)
            kept[(n, engine)] = row
            print(json.dumps(row), file=sys.stderr, flush=True)
            store.write_text(json.dumps(list(kept.values())))
    text = (
        f"Generated by `python benchmarks/bench_scale.py --api` on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, pandas {pd.__version__}.\n\n"
        + api_table(list(kept.values()))
    )
    print(text)
    if args.out != "-":
        write_doc(text, API_BEGIN, API_END, args.out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e4, 1e5, 1e6, 3e6, 1e7])
    ap.add_argument("--memory-max", type=float, default=3e6, help="largest in-memory size")
    ap.add_argument("--data", type=Path, default=Path("/tmp/cohort_bench_scale"))
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--out", default=str(DOC), help="'-' to print only")
    ap.add_argument("--one", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS)
    ap.add_argument(
        "--api",
        action="store_true",
        help="time load, classify, km, cox and cuminc through the public cohort.* calls",
    )
    args = ap.parse_args()
    if args.one:
        one(args.one[0], Path(args.one[1]))
        return
    if args.api:
        main_api(args)
        return
    rows = []
    for n in [int(s) for s in args.sizes]:
        folder = write_dataset(n, args.data / f"n{n}")
        for engine in ("pandas", "dask"):
            row = {"n": n, "engine": engine}
            if engine == "pandas" and n > args.memory_max:
                row["skipped"] = f"not run (above --memory-max {int(args.memory_max):,})"
            else:
                row |= measure(engine, folder, args.timeout)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    text = (
        f"Generated by `python benchmarks/bench_scale.py` on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, pandas {pd.__version__}.\n\n"
        + table(rows)
    )
    print(text)
    if args.out != "-":
        write_doc(text, out=args.out)


if __name__ == "__main__":
    main()
