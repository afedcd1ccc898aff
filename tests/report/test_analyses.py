"""The analysis scripts in analyses/: each runs on the default cohort, on a bundled real cohort and on a
cohort too small for its comparisons, and writes an HTML and a JSON report whose numbers add up.

Expected values here are derived from the input data in the test (group counts, guideline rules), not
copied from the scripts' own output.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.report.runner import (
    ANALYSES_DIR,
    available_analyses,
    load_cohort,
    run_analysis,
    run_script,
)

SCRIPTS = ("npm1_flt3_itd_ratio", "triple_mutated", "eln_versions", "co_mutations", "age",
           "mrd_landmark", "transplant")  # fmt: skip


@pytest.fixture(scope="module")
def default_cohort():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_cohort(None)


@pytest.fixture(scope="module")
def amlsg():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_cohort("amlsg")


def _run(name: str, c, out: Path) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # data-quality warnings are reported inside the report
        report = run_analysis(name, c)
        written = report.write(out, stem=name)
    html_path, json_path = out / f"{name}.html", out / f"{name}.json"
    assert html_path in written and json_path in written
    assert html_path.stat().st_size > 1000
    payload = json.loads(json_path.read_text(encoding="utf-8"))
    payload["_html"] = html_path.read_text(encoding="utf-8")
    _assert_no_ids(payload["_html"], c)
    return payload


def _assert_no_ids(html: str, c) -> None:
    ids = set(c.data["patient_id"].dropna().astype(str))
    # figures are base64 PNGs; identifiers can only hide in the text around them
    text = re.sub(r'src="data:image/png;base64,[^"]*"', "", html)
    tokens = set(re.findall(r"[A-Za-z0-9_.\-]+", text))
    assert not (tokens & ids), f"patient identifiers in the HTML: {sorted(tokens & ids)[:3]}"


def _assert_report_parts(payload: dict) -> None:
    """Table 1, a methods section and an interpretation paragraph with numbers in it."""
    assert any(k.startswith("table1") for k in payload["tables"]), sorted(payload["tables"])
    assert payload["methods"] and payload["question"]
    html = payload["_html"]
    after = html.split("<h2>Interpretation</h2>", 1)
    assert len(after) == 2, "no interpretation section"
    paragraph = after[1].split("<h2>", 1)[0]
    assert re.search(r"\d", paragraph), "the interpretation states no number"


def _flow(payload: dict) -> dict[str, int]:
    return {r["step"]: r["n"] for r in payload["tables"]["patient_flow"]["rows"]}


def _rows(payload: dict, name: str) -> pd.DataFrame:
    assert name in payload["tables"], f"missing table {name}; have {sorted(payload['tables'])}"
    return pd.DataFrame(payload["tables"][name]["rows"])


def _npm1_mutated(c) -> pd.DataFrame:
    return c.data[c.data["npm1"].astype("boolean").fillna(False).to_numpy(dtype=bool)]


def _check_probabilities(frame: pd.DataFrame, cols=("survival", "lower", "upper")) -> None:
    for col in cols:
        v = frame[col].dropna().to_numpy(float)
        assert ((v >= 0) & (v <= 1)).all(), col


def test_every_script_is_listed_and_declares_its_question():
    names = available_analyses()
    for name in SCRIPTS:
        assert name in names
        text = (ANALYSES_DIR / f"{name}.py").read_text(encoding="utf-8")
        assert "TITLE = " in text and "QUESTION = " in text and "run_script(__file__)" in text
        entry = Path(__file__).parents[2] / "analyses" / f"{name}.py"  # the readable entry point
        assert "run_script(__file__)" in entry.read_text(encoding="utf-8")


def test_npm1_flt3_itd_ratio_default(default_cohort, tmp_path):
    p = _run("npm1_flt3_itd_ratio", default_cohort, tmp_path)
    _assert_report_parts(p)
    flow = _flow(p)
    mutated = _npm1_mutated(default_cohort)
    assert flow["NPM1-mutated"] == len(mutated)
    steps = {k: v for k, v in flow.items() if k.startswith("NPM1-mutated, ")}
    assert sum(steps.values()) == len(mutated)
    itd = mutated["flt3_itd"].astype("boolean")
    ar = mutated["flt3_itd_ar"].astype("Float64")
    assert flow["NPM1-mutated, ITD-neg"] == int((itd == False).sum())  # noqa: E712
    assert flow["NPM1-mutated, ITD-low"] == int(((itd == True) & (ar < 0.5)).sum())  # noqa: E712
    assert flow["NPM1-mutated, ITD-high"] == int(((itd == True) & (ar >= 0.5)).sum())  # noqa: E712

    sizes = _rows(p, "group_sizes")
    assert sizes["n"].sum() == len(mutated)
    medians = _rows(p, "os_by_itd_medians")
    assert medians["n"].sum() == len(mutated) - flow.get("NPM1-mutated, undetermined", 0)
    assert (medians["events"] <= medians["n"]).all()
    _check_probabilities(_rows(p, "os_by_itd_survival_at"))
    hr = _rows(p, "cox_os_hazard_ratios").set_index("term")
    assert {"itd_group[ITD-low]", "itd_group[ITD-high]", "age"} <= set(hr.index)
    assert (hr["hr_lower"] <= hr["hr"]).all() and (hr["hr"] <= hr["hr_upper"]).all()
    for t in ("table1_by_itd_group", "cir_by_itd_incidence_at", "reclass_npm1_counts"):
        assert t in p["tables"]

    # ELN 2022 ignores the ratio: an NPM1-mutated/ITD-low patient is favorable only through another
    # favorable lesion (CBF fusion, in-frame bZIP CEBPA); ELN 2017 calls NPM1-mutated/ITD-low
    # favorable unless adverse cytogenetics intervene.
    eln = _rows(p, "eln_by_itd_group")
    for system in ("eln2017", "eln2022"):
        assert eln[eln["system"] == system]["n"].sum() == len(mutated)
    low = mutated[(itd == True) & (ar < 0.5)]  # noqa: E712
    other_favorable = (
        low["t_8_21"].astype("boolean").fillna(False)
        | low["inv_16"].astype("boolean").fillna(False)
        | low["cebpa_bzip"].astype("boolean").fillna(False)
    )
    fav22 = eln[(eln["system"] == "eln2022") & (eln["itd_group"] == "ITD-low")
                & (eln["category"] == "favorable")]["n"].sum()  # fmt: skip
    assert fav22 <= int(other_favorable.sum())
    fav17 = eln[(eln["system"] == "eln2017") & (eln["itd_group"] == "ITD-low")
                & (eln["category"] == "favorable")]["n"].sum()  # fmt: skip
    assert fav17 > len(low) / 2
    assert "ELN 2017 placed" in p["_html"] and "Interpretation" in p["_html"]


def test_triple_mutated_default(default_cohort, tmp_path):
    p = _run("triple_mutated", default_cohort, tmp_path)
    _assert_report_parts(p)
    flow = _flow(p)
    mutated = _npm1_mutated(default_cohort)
    triple = mutated["flt3_itd"].astype("boolean").fillna(False) & mutated["dnmt3a"].astype(
        "boolean"
    ).fillna(False)
    assert flow["NPM1-mutated, NPM1/FLT3-ITD/DNMT3A"] == int(triple.sum())
    assert sum(v for k, v in flow.items() if k.startswith("NPM1-mutated, ")) == len(mutated)
    medians = _rows(p, "os_triple_medians").set_index("group")
    assert medians.loc["triple=NPM1/FLT3-ITD/DNMT3A", "n"] == int(triple.sum())
    four = _rows(p, "subgroup_sizes")
    assert four["n"].sum() == len(mutated)
    hr = _rows(p, "cox_os_hazard_ratios").set_index("term")
    assert set(hr.index) == {"triple_mutated", "flt3_itd", "age"}
    assert np.isfinite(hr["hr"]).all() and (hr["hr"] > 0).all()
    _check_probabilities(_rows(p, "cir_triple_incidence_at"), ("cif",))
    assert re.search(
        r"\d+ of \d+ NPM1-mutated patients \([\d.]+%\) were triple-mutated", p["_html"]
    )


def test_eln_versions_default(default_cohort, tmp_path):
    pytest.importorskip("cohort.stratify.eln2017_eisfeld2020")
    p = _run("eln_versions", default_cohort, tmp_path)
    _assert_report_parts(p)
    n = len(default_cohort.data)
    for system in ("eln2017", "eln2017_eisfeld2020", "eln2022"):
        cats = _rows(p, f"{system}_categories")
        assert cats["n"].sum() == n
        assert abs(cats["percent"].sum() - 100) < 1e-6
    flow = _flow(p)
    metrics = _rows(p, "discrimination_metrics")
    assert list(metrics["system"]) == ["eln2017", "eln2017_eisfeld2020", "eln2022"]
    assert (metrics["n"] == flow["determined in all three"]).all()
    assert metrics["harrell_c"].between(0.5, 1).all()
    diffs = _rows(p, "discrimination_differences")
    assert (diffs["lower"] <= diffs["delta_harrell_c"]).all()
    assert (diffs["delta_harrell_c"] <= diffs["upper"]).all()
    assert (diffs["n_boot"] <= 200).all()
    d = default_cohort.data
    young = (d["age"].astype(float) < 60) & (d["aml_type"] == "de_novo")
    assert flow["de novo AML under 60"] == int(young.fillna(False).sum())
    under60 = _rows(p, "discrimination_under_60_metrics")
    assert list(under60["system"]) == ["eln2017", "eln2017_eisfeld2020"]
    assert (under60["n"] <= flow["de novo AML under 60"]).all()
    assert (under60["n"] < metrics["n"].iloc[0]).all()
    counts = _rows(p, "reclass_eln2022_counts")
    assert counts["n"].sum() == n
    summary = _rows(p, "reclass_eln2022_summary").iloc[0]
    diag = counts[(counts["from_category"] == counts["to_category"])
                  & (counts["from_category"] != "undetermined")]["n"].sum()  # fmt: skip
    assert summary["n_moved"] == summary["n_compared"] - diag


def test_co_mutations_default(default_cohort, tmp_path):
    p = _run("co_mutations", default_cohort, tmp_path)
    _assert_report_parts(p)
    mutated = _npm1_mutated(default_cohort)
    hr = _rows(p, "adjusted_hazard_ratios").set_index("gene")
    assert list(hr.index) == ["NRAS", "WT1", "RAD21", "FLT3-TKD", "IDH1/2"]
    assert hr.loc["NRAS", "n_mutated"] == int(mutated["nras"].astype("boolean").fillna(False).sum())
    idh = mutated["idh1"].astype("boolean").fillna(False) | mutated["idh2"].astype(
        "boolean"
    ).fillna(False)
    assert hr.loc["IDH1/2", "n_mutated"] == int(idh.sum())
    fitted = hr[hr["hr"].notna()]
    assert len(fitted) >= 3
    assert (fitted["p_holm"] >= fitted["p_value"] - 1e-12).all()
    assert (fitted["p_bh"] <= fitted["p_holm"] + 1e-12).all()
    pairs = _rows(p, "comutations_pairs").set_index("gene")
    assert pairs.loc["nras", "nras"] == hr.loc["NRAS", "n_mutated"]
    flow = _flow(p)
    for gene in ("NRAS", "WT1", "RAD21", "FLT3-TKD", "IDH1/2"):
        assert flow[f"NPM1-mutated, {gene} mutated"] == hr.loc[gene, "n_mutated"]
        both = flow[f"NPM1-mutated, {gene} mutated"] + flow[f"NPM1-mutated, {gene} wild type"]
        assert both == hr.loc[gene, "n_known"]


def test_age_default(default_cohort, tmp_path):
    p = _run("age", default_cohort, tmp_path)
    _assert_report_parts(p)
    d = default_cohort.data
    itd_neg = d["flt3_itd"].astype("boolean") == False  # noqa: E712
    fav = d[d["npm1"].astype("boolean").fillna(False) & itd_neg]
    flow = _flow(p)
    assert flow["NPM1mut/ITD-neg"] == len(fav)
    age = fav["age"].astype(float)
    assert flow["NPM1mut/ITD-neg, age <=60"] == int((age <= 60).sum())
    assert flow["NPM1mut/ITD-neg, age >65"] == int((age > 65).sum())
    medians = _rows(p, "os_fav_by_age_medians")
    assert medians["n"].sum() == len(fav)
    young = _rows(p, "cox_genotype_young_fit").iloc[0]
    assert young["n"] == int(
        ((d["age"].astype(float) <= 60) & d["npm1"].notna() & d["flt3_itd"].notna()).sum()
    )
    assert "favorable_genotype:over_65" in set(_rows(p, "cox_interaction_hazard_ratios")["term"])


def test_mrd_landmark_default(default_cohort, tmp_path):
    from cohort.io.mrd import classify

    p = _run("mrd_landmark", default_cohort, tmp_path)
    _assert_report_parts(p)
    flow = _flow(p)
    status = classify(default_cohort.mrd, c2_window=(40, 90), c2_sample="PB")
    mutated_ids = set(_npm1_mutated(default_cohort)["patient_id"])
    c2 = status[status["patient_id"].isin(mutated_ids)]["c2_status"].value_counts()
    for s in ("negative", "low level", "positive"):
        assert flow[f"MRD after cycle 2 in PB: {s}"] == int(c2.get(s, 0))
    attrition = _rows(p, "lm_os_attrition")
    known = sum(int(c2.get(s, 0)) for s in ("negative", "low level", "positive"))
    assert attrition["excluded"].sum() + attrition["remaining"].iloc[-1] == known
    medians = _rows(p, "lm_os_medians")
    assert medians["n"].sum() == attrition["remaining"].iloc[-1]
    _check_probabilities(_rows(p, "lm_os_survival_at"))
    assert "lm_cir_incidence_at" in p["tables"]
    tv = _rows(p, "tv_mrd_fit").iloc[0]  # MRD as a time-varying covariate (issue 12)
    assert 0 < tv["patients"] <= len(mutated_ids) and tv["intervals"] > tv["patients"]
    assert "mrd_positive" in set(_rows(p, "tv_mrd_cox")["term"])


def test_transplant_default(default_cohort, tmp_path):
    p = _run("transplant", default_cohort, tmp_path)
    _assert_report_parts(p)
    d = default_cohort.data
    in_cr = d[d["cr"].astype("boolean").fillna(False)]
    flow = _flow(p)
    assert flow["in first complete remission"] == len(in_cr)
    exposed = int(
        (in_cr["hsct_in_cr1"].astype("boolean").fillna(False) & in_cr["hsct_days"].notna()).sum()
    )
    assert flow["in CR1: allo-HSCT in CR1 (dated)"] == exposed
    fit = _rows(p, "tv_all_cox_fit").iloc[0]
    assert fit["n"] == len(in_cr)
    cox = _rows(p, "tv_all_cox").set_index("term")
    assert {"hsct_in_cr1", "age"} <= set(cox.index)
    mb = _rows(p, "tv_all_mantel_byar").iloc[0]
    assert 0 <= mb["p_value"] <= 1 and mb["observed_exposed"] >= 0
    _check_probabilities(_rows(p, "simon_makuch_all_survival_at"))


def test_scripts_on_amlsg(amlsg, tmp_path):
    # AMLSG has no FLT3-ITD ratio and no MRD: both must be said, not crash
    p = _run("npm1_flt3_itd_ratio", amlsg, tmp_path)
    flow = _flow(p)
    mutated = _npm1_mutated(amlsg)
    itd = mutated["flt3_itd"].astype("boolean")
    assert flow["NPM1-mutated, ITD-unknown-ratio"] == int((itd == True).sum())  # noqa: E712
    assert flow["NPM1-mutated, ITD-low"] == 0

    p = _run("triple_mutated", amlsg, tmp_path)
    medians = _rows(p, "os_triple_medians")
    assert medians["n"].sum() == _flow(p)["NPM1-mutated"] - _flow(p).get(
        "NPM1-mutated, undetermined", 0
    )

    p = _run("mrd_landmark", amlsg, tmp_path)
    assert "Not run: this cohort lacks an NPM1 MRD table" in p["_html"]

    p = _run("transplant", amlsg, tmp_path)
    assert "tv_all_cox" in p["tables"] and "simon_makuch_npm1_survival_at" in p["tables"]


def test_command_line_on_a_bundled_cohort(tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        written = run_script(str(ANALYSES_DIR / "age.py"), ["amlsg", "--out", str(tmp_path)])
    assert tmp_path / "age.html" in written
    payload = json.loads((tmp_path / "age.json").read_text(encoding="utf-8"))
    assert payload["provenance"]["command_line"].startswith("analyses/age.py amlsg")
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("name", SCRIPTS)
def test_tiny_cohort_is_reported_not_crashed(default_cohort, tmp_path, name):
    c = default_cohort.subset(np.arange(len(default_cohort.data)) < 40, label="first 40 patients")
    p = _run(name, c, tmp_path)
    assert _flow(p)["loaded"] == 40
    too_small = [k for k in p["tables"] if k.endswith("_too_small")]
    said = re.search(r"too few|not estimated|not fitted|not compared|No comparison", p["_html"])
    assert too_small or said, "a 40-patient cohort should leave some comparison unestimated"


def test_guarded_blocks_report_small_groups_and_count_everyone(default_cohort):
    from cohort.report.document import Report
    from cohort.report.guarded import MIN_PATIENTS, guarded_cox, guarded_km
    from cohort.report.subsets import group_flow

    d = default_cohort.data.iloc[:200].copy()
    labels = pd.Series("big", index=d.index, dtype="object")
    labels.iloc[:3] = "tiny"
    labels.iloc[3:8] = None
    d["grp"] = labels
    d["grp2"] = pd.Series(np.where(np.arange(len(d)) % 2 == 0, "a", "b"), index=d.index)
    report = Report(default_cohort.subset(np.arange(len(default_cohort.data)) < 200), title="t")
    counts = group_flow(report, d["grp"], order=("big", "tiny"))
    assert counts.set_index("group")["n"].to_dict() == {"big": 192, "tiny": 3, "undetermined": 5}
    assert sum(step["n"] for step in report.flow_steps) == len(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # one usable group only: reported, not compared
        assert guarded_km(report, "one_group", d, "grp") is None
        res = guarded_km(
            report, "two_groups", d.assign(grp=d["grp2"].where(labels != "tiny")), "grp"
        )
    too_small = pd.DataFrame(report.numbers["one_group_too_small"]["rows"])
    assert too_small.to_dict("records") == [
        {
            "group": "tiny",
            "n": 3,
            "events": int(d["os_event"].iloc[:3].sum()),
            "minimum_n": MIN_PATIENTS,
        }
    ]
    assert res is not None and res.table["n"].sum() == len(d) - 3
    texts = " ".join(s.body for s in report.sections if s.kind == "text")
    assert "tiny has 3 patient(s), too few to estimate" in texts
    no_events = d.assign(os_event=0)
    assert guarded_cox(report, "cox_none", no_events, "age") is None
    assert "not fitted, 0 event(s)" in " ".join(s.body for s in report.sections if s.kind == "text")
