"""A `.gz` input is decompressed as a stream with a size cap (a gzip bomb is refused before it is
inflated), and a truncated `.gz` raises a named LoadError instead of EOFError."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cohort
import cohort.io.reading
from cohort.cli import app
from cohort.errors import LoadError

CSV = "patient_id,os_days,os_event\nP1,10,1\nP2,20,0\n"


def test_bomb_is_refused_at_the_cap_without_inflating_it(tmp_path, monkeypatch):
    monkeypatch.setattr(cohort.io.reading, "MAX_GUNZIP_BYTES", 4 * 1024**2)
    path = tmp_path / "bomb.csv.gz"
    # 64 MiB of one byte compresses to about 64 KB.
    with gzip.open(path, "wb", compresslevel=9) as f:
        block = b"0" * 1024**2
        for _ in range(64):
            f.write(block)
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    with pytest.raises(LoadError, match="decompresses to more than 4 MiB") as info:
        cohort.load(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 40 * 1024**2, "streaming stops near the cap"
    assert "bomb.csv.gz" in str(info.value) and "engine='dask'" in str(info.value)


def test_file_under_the_cap_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(cohort.io.reading, "MAX_GUNZIP_BYTES", 1024)
    path = tmp_path / "ok.csv.gz"
    path.write_bytes(gzip.compress(CSV.encode(), mtime=0))
    assert cohort.load(path).data["os_days"].tolist() == [10, 20]


@pytest.mark.parametrize("keep", [10, 25, 0.5, 0.9])
def test_truncated_gzip_is_a_named_error(tmp_path, keep):
    whole = gzip.compress((CSV * 50).encode(), mtime=0)
    cut = int(len(whole) * keep) if isinstance(keep, float) else keep
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[:cut])
    with pytest.raises(LoadError) as info:
        cohort.load(path)
    assert "cut.csv.gz" in str(info.value)
    assert "truncated" in str(info.value) or "not valid gzip" in str(info.value)
    result = CliRunner().invoke(app, ["load", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_memory_error_while_reading_says_so_and_suggests_dask(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text(CSV)

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(Path, "read_bytes", no_memory)
    with pytest.raises(LoadError, match="too large to load into memory") as info:
        cohort.load(path)
    assert "engine='dask'" in str(info.value)
