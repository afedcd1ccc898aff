"""genotype_groups: literature subsets of NPM1-mutated AML on hand-built patients."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort.errors import ClassificationError, SchemaError
from cohort.stratify.groups import genotype_groups, group_sizes

BOOL = ("npm1", "flt3_itd", "dnmt3a", "nras", "kras", "wt1", "rad21", "flt3_tkd", "idh1", "idh2")


def patients(*rows: dict) -> pd.DataFrame:
    base = dict.fromkeys(BOOL, False)
    base.update({"flt3_itd_ar": 0.0, "age": 50.0, "npm1_type": pd.NA})
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame = frame.astype({c: "boolean" for c in BOOL})
    frame["flt3_itd_ar"] = frame["flt3_itd_ar"].astype("Float64")
    frame["age"] = frame["age"].astype("Float64")
    frame["npm1_type"] = frame["npm1_type"].astype("string")
    return frame


def test_npm1_flt3_itd_ratio_groups():
    frame = patients(
        {"npm1": True},
        {"npm1": True, "flt3_itd": True, "flt3_itd_ar": 0.49},
        {"npm1": True, "flt3_itd": True, "flt3_itd_ar": 0.5},
        {"npm1": True, "flt3_itd": True, "flt3_itd_ar": pd.NA},
        {"npm1": False, "flt3_itd": True, "flt3_itd_ar": 0.8},
        {"npm1": pd.NA},
        {"npm1": True, "flt3_itd": pd.NA, "flt3_itd_ar": pd.NA},
    )
    out = genotype_groups(frame)
    assert list(out["npm1_flt3_itd"].fillna("NA")) == [
        "NPM1mut/ITD-neg",
        "NPM1mut/ITD-low",
        "NPM1mut/ITD-high",  # 0.5 is high (ELN 2017: >= 0.5)
        "NPM1mut/ITD-unknown-ratio",  # not guessed
        "NPM1wt/ITD-high",
        "NA",
        "NA",
    ]


def test_ar_cutoff_option():
    frame = patients({"npm1": True, "flt3_itd": True, "flt3_itd_ar": 0.6})
    assert genotype_groups(frame, ar_cutoff=0.7)["npm1_flt3_itd"].iloc[0] == "NPM1mut/ITD-low"
    with pytest.raises(ClassificationError):
        genotype_groups(frame, ar_cutoff=-1)


def test_triple_mutated_three_valued():
    frame = patients(
        {"npm1": True, "flt3_itd": True, "dnmt3a": True, "flt3_itd_ar": 0.2},
        {"npm1": True, "flt3_itd": True, "dnmt3a": False},
        {"npm1": True, "flt3_itd": True, "dnmt3a": pd.NA},
        {"npm1": False, "flt3_itd": pd.NA, "dnmt3a": pd.NA},
    )
    out = genotype_groups(frame)["triple_mutated"]
    assert list(out.fillna("NA")) == [
        "NPM1/FLT3-ITD/DNMT3A",
        "not triple-mutated",
        "NA",
        "not triple-mutated",  # NPM1 wild type decides it whatever the unknowns
    ]


@pytest.mark.parametrize(
    ("column", "gene", "label"),
    [
        ("npm1_nras", "nras", "NRAS"),
        ("npm1_kras", "kras", "KRAS"),
        ("npm1_wt1", "wt1", "WT1"),
        ("npm1_rad21", "rad21", "RAD21"),
        ("npm1_flt3_tkd", "flt3_tkd", "FLT3-TKD"),
        ("npm1_idh1", "idh1", "IDH1"),
        ("npm1_idh2", "idh2", "IDH2"),
        ("npm1_dnmt3a", "dnmt3a", "DNMT3A"),
    ],
)
def test_co_mutation_groups(column, gene, label):
    frame = patients(
        {"npm1": True, gene: True},
        {"npm1": True},
        {"npm1": False, gene: True},
        {"npm1": False},
        {"npm1": True, gene: pd.NA},
    )
    out = genotype_groups(frame)[column]
    assert list(out.fillna("NA")) == [
        f"NPM1mut/{label}mut",
        f"NPM1mut/{label}wt",
        f"NPM1wt/{label}mut",
        f"NPM1wt/{label}wt",
        "NA",
    ]


def test_idh1_or_idh2_pooled():
    frame = patients(
        {"npm1": True, "idh2": True},
        {"npm1": True, "idh1": pd.NA, "idh2": True},
        {"npm1": True, "idh1": pd.NA},
    )
    out = genotype_groups(frame)["npm1_idh"]
    assert list(out.fillna("NA")) == ["NPM1mut/IDH1/2mut", "NPM1mut/IDH1/2mut", "NA"]


def test_npm1_type():
    frame = patients(
        {"npm1": True, "npm1_type": "A"},
        {"npm1": True, "npm1_type": "other"},
        {"npm1": True},
        {"npm1": False},
    )
    out = genotype_groups(frame)["npm1_type"]
    assert list(out.fillna("NA")) == ["type A", "other type", "NA", "NPM1wt"]


def test_age_bands_and_option():
    frame = patients({"age": 60.0}, {"age": 60.5}, {"age": 65.0}, {"age": 65.1}, {"age": pd.NA})
    out = genotype_groups(frame)["age_band"]
    assert list(out.fillna("NA")) == ["<=60", "61-65", "61-65", ">65", "NA"]
    out = genotype_groups(frame, age_breaks=(70,))["age_band"]
    assert list(out.fillna("NA")) == ["<=70", "<=70", "<=70", "<=70", "NA"]
    with pytest.raises(ClassificationError):
        genotype_groups(frame, age_breaks=(65, 60))


def test_group_sizes_flag_small_groups_without_hiding_them():
    frame = patients(
        *([{"npm1": True, "nras": True}] * 3 + [{"npm1": True}] * 25 + [{"npm1": pd.NA}])
    )
    out = genotype_groups(frame)
    sizes = out.attrs["group_sizes"]
    assert list(sizes.columns) == ["grouping", "group", "n", "flagged_small"]
    nras = sizes[sizes["grouping"] == "npm1_nras"].set_index("group")
    assert nras.loc["NPM1mut/NRASmut", "n"] == 3 and nras.loc["NPM1mut/NRASmut", "flagged_small"]
    assert nras.loc["NPM1mut/NRASwt", "n"] == 25 and not nras.loc["NPM1mut/NRASwt", "flagged_small"]
    assert nras.loc["undetermined", "n"] == 1
    # every patient is counted once per grouping
    assert (sizes.groupby("grouping")["n"].sum() == len(frame)).all()
    bigger = genotype_groups(frame, min_n=2).attrs["group_sizes"]
    assert not bigger["flagged_small"].any()
    # a result carrying the table in attrs still prints and concatenates
    repr(out)
    assert len(pd.concat([out, out])) == 2 * len(frame)


def test_group_sizes_helper_on_any_frame():
    sizes = group_sizes(pd.DataFrame({"g": pd.array(["a", "a", None], dtype="string")}), min_n=2)
    assert sizes.to_dict("records") == [
        {"grouping": "g", "group": "a", "n": 2, "flagged_small": False},
        {"grouping": "g", "group": "undetermined", "n": 1, "flagged_small": False},
    ]


def test_index_kept_and_absent_inputs_missing():
    frame = patients({"npm1": True}).set_axis(["x"]).drop(columns=["nras", "age"])
    out = genotype_groups(frame)
    assert list(out.index) == ["x"]
    assert out["npm1_nras"].isna().all() and out["age_band"].isna().all()


def test_npm1_required():
    with pytest.raises(SchemaError, match="npm1"):
        genotype_groups(pd.DataFrame({"age": [50.0]}))


def test_public_entry_point():
    import cohort

    frame = patients({"npm1": True})
    pd.testing.assert_frame_equal(cohort.genotype_groups(frame), genotype_groups(frame))
