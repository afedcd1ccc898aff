"""The notebooks in notebooks/ (jupytext percent scripts) run top to bottom in a real Jupyter kernel.

Each notebook is read with jupytext and executed by nbclient in an IPython kernel, as a user's
Jupyter would run it. The tests assert that every figure cell shows an image (a PNG output, not the
text ``<Figure size ...>``) and then run, in the same kernel, a last cell that compares what the
notebook computed with counts taken from the data (the ``_check_*`` functions below).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TESTS = Path(__file__).resolve().parent


def _check_quick_start(ns: dict) -> None:
    c = ns["c"]
    assert len(c.data) == 1540 and c.n_input == len(c.data) + len(c.exclusions.get("row", []))
    # KM by NPM1 x FLT3-ITD: four groups holding every patient with both known
    d = c.data
    both_known = int((d["npm1"].notna() & d["flt3_itd"].notna()).sum())
    assert len(ns["fit"].table) == 4
    assert ns["fit"].table["n"].sum() == both_known
    assert ns["model"].n + ns["model"].n_deleted == len(d)
    assert {"npm1", "flt3_itd", "npm1:flt3_itd", "age"} == set(ns["model"].summary.index)
    # cumulative incidence: only patients with a relapse time (in remission) enter
    assert ns["ci"].table.query("event == 1")["n"].sum() == int(d["cir_days"].notna().sum())
    recl = ns["recl"]
    assert recl.counts.to_numpy().sum() == len(d)
    assert ns["counts"]["eln2022"].sum() == len(d)


def _check_triple(ns: dict) -> None:
    beat = ns["beat"].data
    npm1 = beat[beat["npm1"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
    itd = npm1["flt3_itd"].astype("boolean")
    ar = npm1["flt3_itd_ar"].astype("Float64")
    low = ns["low"]
    assert len(low) == int(((itd == True) & (ar < 0.5)).sum())  # noqa: E712
    # ELN 2022 ignores the ratio: ITD-low patients are favorable only through another lesion
    assert (low["eln2022"] == "favorable").sum() < (low["eln2017"] == "favorable").sum()

    aml = ns["aml_npm1"]
    triple = aml["flt3_itd"].astype("boolean").fillna(False) & aml["dnmt3a"].astype(
        "boolean"
    ).fillna(False)
    table = ns["fit_tri"].table.set_index("group")
    assert table.loc["triple=NPM1/FLT3-ITD/DNMT3A", "n"] == int(triple.sum())
    assert set(ns["tri_model"].summary.index) == {"triple_mutated", "flt3_itd", "age"}
    assert Path(ns["written"][0]).name == "triple_mutated.html"


NOTEBOOK_CHECKS = {
    "quick_start_amlsg.py": "_check_quick_start",
    "npm1_flt3_itd_triple.py": "_check_triple",
}


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.py")) == sorted(NOTEBOOK_CHECKS)


@pytest.mark.parametrize("name", sorted(NOTEBOOK_CHECKS))
def test_notebook_is_a_percent_script_without_pyplot(name):
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    assert "format_name: percent" in text
    assert text.count("# %%") >= 10
    assert "pyplot" not in text and "plt.show" not in text  # figures are returned, never shown


def _figure_cells(nb) -> list:
    """Code cells whose last statement is a call of a cohort.plots function (they must show it)."""
    out = []
    for cell in nb.cells:
        lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")]
        if cell.cell_type == "code" and lines and re.match(r"plots\.\w+_plot\(", lines[-1].strip()):
            out.append(cell)
    return out


@pytest.mark.parametrize("name", sorted(NOTEBOOK_CHECKS))
def test_notebook_runs_in_a_kernel_and_shows_its_figures(name):
    jupytext = pytest.importorskip("jupytext")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    nb = jupytext.read(NOTEBOOKS / name)
    figure_cells = _figure_cells(nb)
    assert figure_cells, "the notebook draws no figure"
    check = (
        f"import sys\nsys.path.insert(0, {str(TESTS)!r})\n"
        f"import test_notebooks\ntest_notebooks.{NOTEBOOK_CHECKS[name]}(globals())\nprint('checked')"
    )
    nb.cells.append(nbformat.v4.new_code_cell(check))
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)
    try:
        client = nbclient.NotebookClient(
            nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
        )
        client.execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
    for cell in figure_cells:
        kinds = [out.get("data", {}) for out in cell.outputs if out.output_type == "execute_result"]
        assert any("image/png" in d for d in kinds), cell.source[-80:]
        texts = " ".join(d.get("text/plain", "") for d in kinds)
        assert "<Figure size" not in texts or any("image/png" in d for d in kinds)
    assert "checked" in "".join(o.get("text", "") for o in nb.cells[-1].outputs)
