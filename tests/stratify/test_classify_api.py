"""The classify/explain/options framework: registry, errors, result shape, explanation text,
soundness of the undetermined logic (every completion of the missing data lands in the candidates)
and agreement with the curated ELN 2017 labels of the bundled Beat AML cohort."""

from __future__ import annotations

import itertools
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.errors import ClassificationError, CohortError
from cohort.schema import CYTOGENETIC_FLAGS, GENES, apply_dtypes
from cohort.stratify import SYSTEMS, classify, explain, options, rules

ELN = ("eln2017", "eln2017_eisfeld2020", "eln2022", "eln2024")
TREATMENT = {"intensive": False, "hma": True, "venetoclax": True}
EXTRA_FLAGS = ("complex_karyotype_2022", "aza_ivosidenib", "prior_hma")


def known_frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Random complete canonical patients (rare lesions at realistic-ish rates)."""
    data: dict[str, object] = {"patient_id": [f"S{i}" for i in range(n)]}
    for name in (*GENES, *CYTOGENETIC_FLAGS, *EXTRA_FLAGS):
        p = 0.3 if name in ("npm1", "flt3_itd", "dnmt3a", "normal_karyotype") else 0.06
        data[name] = rng.random(n) < p
    data["flt3_itd_ar"] = np.where(data["flt3_itd"], rng.choice([0.2, 0.5, 0.9], n), 0.0)
    data["tp53_vaf"] = np.where(data["tp53"], rng.choice([0.05, 0.1, 0.4], n), 0.0)
    for name, value in TREATMENT.items():
        data[name] = np.full(n, value)
    frame = apply_dtypes(pd.DataFrame(data))
    for name in EXTRA_FLAGS:
        frame[name] = frame[name].astype("boolean")
    return frame


def label(result: pd.DataFrame) -> pd.Series:
    """Category, or 'not_applicable' when a scope rule placed the patient."""
    out = result["category"].astype(object)
    na_rule = result["rule"].astype(str).str.contains(r"-(?:NA\d|APL)$")
    return out.where(~na_rule, "not_applicable")


# --- registry, errors, shape ----------------------------------------------------------------------


def test_registry_lists_every_system_with_module_paths():
    for name in (*ELN, "who2017", "icc2022", "who2022", "papaemmanuil2016"):
        assert name in SYSTEMS
        assert ":" in SYSTEMS[name]
    assert SYSTEMS["who2017"] == "cohort.stratify.diagnostic:classify_who2017"


def test_unknown_system_raises_with_valid_names():
    with pytest.raises(ClassificationError, match="eln2022") as info:
        classify(known_frame(2, np.random.default_rng(0)), "eln2099")
    assert isinstance(info.value, CohortError)
    assert "Valid systems" in str(info.value)


def test_unknown_option_raises_with_valid_names():
    with pytest.raises(ClassificationError, match="tp53_vaf_threshold"):
        classify(known_frame(2, np.random.default_rng(0)), "eln2022", tp53_threshold=0.2)


def test_non_boolean_genotype_raises_naming_column_and_value():
    frame = known_frame(3, np.random.default_rng(0))
    frame["npm1"] = pd.Series(["yes", "maybe", None], dtype=object)
    with pytest.raises(ClassificationError, match=r"'npm1'.*'yes'|'npm1'.*'maybe'"):
        classify(frame, "eln2017")


@pytest.mark.parametrize("system", ELN)
def test_result_shape_and_index(system):
    frame = known_frame(50, np.random.default_rng(1))
    frame.index = pd.Index([f"row{i}" for i in range(50)], name="rid")
    result = classify(frame, system)
    assert list(result.columns) == [
        "patient_id",
        "category",
        "rule",
        "candidates",
        "notes",
        "needs",
    ]
    assert result["patient_id"].tolist() == frame["patient_id"].tolist()  # joins back
    assert result.index.equals(frame.index)
    assert list(result["category"].cat.categories) == ["favorable", "intermediate", "adverse"]
    assert result["category"].cat.ordered
    assert result["rule"].notna().all()


def test_cohort_object_accepted():
    frame = known_frame(20, np.random.default_rng(2))
    a = classify(cohort.Cohort(data=frame) if _cohort_ctor_ok() else frame, "eln2022")
    b = cohort.classify(frame, "eln2022")
    pd.testing.assert_frame_equal(a, b)


def _cohort_ctor_ok() -> bool:
    try:
        cohort.Cohort(data=pd.DataFrame())
    except TypeError:
        return False
    return True


def test_empty_frame():
    frame = known_frame(0, np.random.default_rng(0))
    result = classify(frame, "eln2017")
    assert len(result) == 0
    assert list(result.columns) == [
        "patient_id",
        "category",
        "rule",
        "candidates",
        "notes",
        "needs",
    ]
    without_ids = classify(frame.drop(columns="patient_id"), "eln2017")
    assert list(without_ids.columns) == ["category", "rule", "candidates", "notes", "needs"]


@pytest.mark.parametrize("system", ELN)
def test_options_documented(system):
    table = options(system)
    assert list(table.columns) == ["name", "default", "choices", "meaning"]
    assert table["name"].is_unique
    assert (table["meaning"].str.len() > 20).all()


def test_options_of_other_helper_systems_are_listed():
    table = options("icc2022")
    assert list(table.columns) == ["name", "default", "choices", "meaning"]


@pytest.mark.parametrize("system", ELN)
def test_rule_tables_cite_sources(system):
    table = rules(system)
    assert table["id"].is_unique
    assert (table["source"].str.len() > 0).all()
    assert (table["text"].str.len() > 5).all()


@pytest.mark.parametrize("system", ELN)
def test_docs_list_every_rule_and_option(system):
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "classification.md").read_text(encoding="utf-8")
    for rule_id in rules(system)["id"]:
        assert f"| {rule_id} |" in text, rule_id
    for name in options(system)["name"]:
        assert name in text, name


def test_importing_stratify_does_not_import_matplotlib():
    code = (
        "import cohort.stratify, cohort.stratify.eln2022, sys; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- explain --------------------------------------------------------------------------------------


def test_explain_prints_and_returns_rules(capsys):
    frame = known_frame(5, np.random.default_rng(3))
    frame.loc[2, ["npm1", "flt3_itd", "tp53"]] = [True, True, pd.NA]
    frame.loc[2, "flt3_itd_ar"] = pd.NA
    # no adverse cytogenetics: with them NPM1 is adverse whatever the ratio (issue 13 default)
    frame.loc[2, [c for c in CYTOGENETIC_FLAGS if c in frame.columns]] = False
    frame.loc[2, "normal_karyotype"] = True
    text = explain(frame, "eln2017", "S2")
    printed = capsys.readouterr().out
    assert text.strip() == printed.strip()
    assert "ELN2017-F3" in text and "ELN2017-I1" in text
    assert "POSSIBLY applies" in text
    assert "undetermined" in text
    assert "FLT3-ITD^high = unknown" in text


def test_explain_is_consistent_with_classify():
    frame = known_frame(40, np.random.default_rng(4))
    result = classify(frame, "eln2022")
    for pid in ("S0", "S7", "S19"):
        text = explain(frame, "eln2022", pid, echo=False)
        row = result.loc[frame.index[frame["patient_id"] == pid][0]]
        if not pd.isna(row["category"]):
            assert f"APPLIES       {row['rule']}" in text


def test_explain_marks_rows_switched_off_by_options():
    frame = known_frame(3, np.random.default_rng(0))
    text = explain(frame, "eln2017", "S1", echo=False, apl="ignore")
    assert "off (option)  ELN2017-APL" in text
    assert "off (option)  ELN2017-TP53?" in text
    text = explain(frame, "eln2017", "S1", echo=False, tp53_with_favorable="undetermined")
    assert "off (option)  ELN2017-TP53?" not in text


def test_explain_unknown_patient_raises():
    with pytest.raises(ClassificationError, match="not found"):
        explain(known_frame(3, np.random.default_rng(0)), "eln2017", "nobody", echo=False)


def test_explain_modifiers_shown():
    frame = known_frame(3, np.random.default_rng(0))
    frame.loc[0, ["npm1", "flt3_itd", "bcor", "normal_karyotype"]] = [True, False, True, True]
    text = explain(frame, "eln2017_eisfeld2020", "S0", echo=False)
    assert "refinement EISFELD2020-BCOR_SETBP1" in text


# --- vectorised logic: row-by-row equality and soundness ------------------------------------------


@pytest.mark.parametrize("system", ELN)
def test_vectorised_equals_one_patient_at_a_time(system):
    frame = known_frame(60, np.random.default_rng(5))
    rng = np.random.default_rng(6)
    for name in ("npm1", "tp53", "flt3_itd_ar", "t_9_11", "minus_7", "nras"):
        frame.loc[rng.random(60) < 0.2, name] = pd.NA
    together = classify(frame, system).astype(object)
    for i in range(len(frame)):
        alone = classify(frame.iloc[[i]], system).astype(object).iloc[0]
        for col in together.columns:
            a, b = together.iloc[i][col], alone[col]
            assert (pd.isna(a) and pd.isna(b)) or a == b, (system, i, col, a, b)


COMPLETABLE = ("npm1", "flt3_itd", "flt3_itd_ar", "tp53", "tp53_vaf", "runx1", "asxl1", "t_9_11",
               "minus_7", "inv_16", "del_5q", "nras", "idh1", "zrsr2", "bcor")  # fmt: skip
COMPLETION_VALUES = {"flt3_itd_ar": (0.1, 0.9), "tp53_vaf": (0.02, 0.6)}


@pytest.mark.parametrize("system", ELN)
def test_candidates_are_exactly_the_outcomes_of_every_completion(system):
    """With up to three unknown inputs, candidates == the set of categories over all completions."""
    rng = np.random.default_rng(7)
    frame = known_frame(120, rng)
    frame["normal_karyotype"] = False  # so that unknown flags are not read from a normal karyotype
    holes = [
        tuple(rng.choice(COMPLETABLE, size=rng.integers(1, 4), replace=False)) for _ in range(120)
    ]
    for i, cols in enumerate(holes):
        for col in cols:
            frame.loc[i, col] = pd.NA
    result = classify(frame, system)
    outcomes: list[set] = [set() for _ in range(len(frame))]
    for k in (1, 2, 3):
        rows = [i for i, cols in enumerate(holes) if len(cols) == k]
        for bits in itertools.product((0, 1), repeat=k):
            done = frame.loc[rows].copy()
            for r in rows:
                for col, bit in zip(holes[r], bits, strict=True):
                    done.loc[r, col] = COMPLETION_VALUES.get(col, (False, True))[bit]
            for r, lab in label(classify(done, system)).items():
                outcomes[r].add(lab)
    labels = label(result)
    for i in range(len(frame)):
        reached = outcomes[i]
        if len(reached) == 1:
            assert labels.iloc[i] == next(iter(reached)), (i, holes[i], result.iloc[i].to_dict())
        else:
            cands = set(str(result["candidates"].iloc[i]).split("|"))
            assert pd.isna(result["category"].iloc[i])
            assert cands == reached, (i, holes[i], reached, result.iloc[i].to_dict())


@pytest.mark.parametrize("system", ELN)
def test_many_unknowns_still_sound(system):
    """With many unknown inputs the candidates may be a superset, never miss an outcome."""
    rng = np.random.default_rng(8)
    frame = known_frame(150, rng)
    frame["normal_karyotype"] = False
    mask = rng.random((150, len(COMPLETABLE))) < 0.5
    for j, col in enumerate(COMPLETABLE):
        frame.loc[mask[:, j], col] = pd.NA
    result = classify(frame, system)
    labels = label(result)
    cand = result["candidates"].astype(object)
    for _ in range(6):
        done = frame.copy()
        for j, col in enumerate(COMPLETABLE):
            lo, hi = COMPLETION_VALUES.get(col, (False, True))
            done.loc[mask[:, j], col] = np.where(rng.random(mask[:, j].sum()) < 0.5, lo, hi)
        got = label(classify(done, system))
        for i in range(len(frame)):
            if pd.isna(cand.iloc[i]):
                assert got.iloc[i] == labels.iloc[i], (i, result.iloc[i].to_dict(), got.iloc[i])
            else:
                assert got.iloc[i] in cand.iloc[i].split("|"), (i, cand.iloc[i], got.iloc[i])


# --- bundled cohort: Beat AML curated ELN 2017 ------------------------------------------------------


@pytest.fixture(scope="module")
def beataml() -> pd.DataFrame:
    datasets = pytest.importorskip("cohort.datasets")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return datasets.load("beataml").data


def test_beataml_agreement_with_curated_eln2017(beataml):
    """Floor on agreement with the curated ELN 2017 labels (measured 98.6% on 441 patients since
    the loader reads the curated TP53/RUNX1/ASXL1 calls and the fusions; 96.1% on 437 before)."""
    curated = beataml["eln2017_curated"].map(
        {"Favorable": "favorable", "Intermediate": "intermediate", "Adverse": "adverse"}
    )
    ours = classify(beataml, "eln2017")["category"].astype(object)
    both = curated.notna() & ours.notna()
    agreement = (curated[both] == ours[both]).mean()
    assert both.sum() >= 430
    assert agreement >= 0.975
    assert ours[curated.notna()].isna().mean() <= 0.25


def test_beataml_2017_to_2022_moves_about_fifteen_percent(beataml):
    """Published Beat AML comparison: 15% changed group (Blood Adv 2023;7(9):1899, n=513)."""
    initial = beataml["eln2017_curated"].isin(["Favorable", "Intermediate", "Adverse"])
    a = classify(beataml, "eln2017")["category"].astype(object)
    b = classify(beataml, "eln2022")["category"].astype(object)
    both = initial & a.notna() & b.notna()
    moved = (a[both] != b[both]).mean()
    assert both.sum() >= 350
    assert 0.08 <= moved <= 0.25
