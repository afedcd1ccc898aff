"""The notebooks in notebooks/ (jupytext percent scripts) run top to bottom, headless.

Each is executed as a Python file with runpy (figures are built but not shown: the test suite uses
the Agg backend); the checks compare what the notebook computed with counts taken from the data here.
"""

from __future__ import annotations

import runpy
import warnings
from pathlib import Path

import matplotlib
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _run(name: str) -> dict:
    matplotlib.use("Agg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runpy.run_path(str(NOTEBOOKS / name), run_name="__notebook__")


@pytest.mark.parametrize("name", ["quick_start_amlsg.py", "npm1_flt3_itd_triple.py"])
def test_notebook_is_a_percent_script_without_pyplot(name):
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    assert "format_name: percent" in text
    assert text.count("# %%") >= 10
    assert "pyplot" not in text and "plt.show" not in text  # figures are returned, never shown


def test_quick_start_amlsg_runs():
    ns = _run("quick_start_amlsg.py")
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


def test_npm1_flt3_itd_triple_runs():
    ns = _run("npm1_flt3_itd_triple.py")
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
