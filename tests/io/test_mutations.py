"""Tests of cohort.io.mutations: pivoting long variant tables into canonical genotype columns."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.errors import CohortError, CohortValidationError, LoadError
from cohort.io.mutations import (
    npm1_cdna_from_genomic,
    npm1_type_from_cdna,
    pivot_variants,
    standardise_variants,
)
from cohort.schema import GENES


def plain(rows):
    return pd.DataFrame(rows, columns=["patient_id", "gene", "vaf", "protein_change"])


def test_true_false_missing_follow_sequencing():
    variants = plain([("p1", "DNMT3A", 0.4, "p.R882H"), ("p2", "NPM1", 0.3, "p.W288Cfs*12")])
    out = pivot_variants(variants, ["p1", "p2", "p3", "p4"], sequenced=["p1", "p2", "p3"])
    assert list(out.index) == ["p1", "p2", "p3", "p4"]
    assert bool(out.loc["p1", "dnmt3a"]) is True
    assert bool(out.loc["p2", "dnmt3a"]) is False
    assert bool(out.loc["p3", "npm1"]) is False  # sequenced, no variant: wild-type
    assert pd.isna(out.loc["p4", "npm1"])  # not sequenced: unknown, never wild-type
    assert all(str(out[g].dtype) == "boolean" for g in GENES)
    assert out.loc["p2", "npm1_vaf"] == pytest.approx(0.3)
    assert pd.isna(out.loc["p1", "npm1_vaf"])


def test_everyone_sequenced_by_default_and_unknown_patients_reported():
    variants = plain([("p1", "TP53", 0.2, "p.R248Q"), ("p1", "TP53", 0.6, "p.R175H"),
                      ("ghost", "TP53", 0.5, "p.R273H")])  # fmt: skip
    out = pivot_variants(variants, ["p1", "p2"])
    assert bool(out.loc["p2", "tp53"]) is False
    assert out.loc["p1", "tp53_vaf"] == pytest.approx(0.6)  # largest clone
    assert out.attrs["notes"]["unknown_patients"] == {"ghost": 1}
    assert "ghost" not in out.index


def test_patient_with_variant_but_not_listed_as_sequenced_counts_as_sequenced():
    out = pivot_variants(plain([("p2", "KIT", 0.3, "p.D816V")]), ["p1", "p2"], sequenced=["p1"])
    assert bool(out.loc["p2", "kit"]) is True
    assert bool(out.loc["p2", "npm1"]) is False
    assert out.attrs["notes"]["sequenced_added"] == ["p2"]


def test_maf_layout_percent_vaf_barcodes_and_flt3_classes():
    maf = pd.DataFrame({
        "Tumor_Sample_Barcode": ["TCGA-AB-0001-03A-01D-0739-09", "TCGA-AB-0002-03A-01W-0728-08",
                                 "TCGA-AB-0003-03A-01W-0728-08", "TCGA-AB-0004-03A-01W-0728-08"],
        "Hugo_Symbol": ["FLT3", "FLT3", "FLT3", "NPM1"],
        "Variant_Classification": ["In_Frame_Ins", "Missense_Mutation", "Missense_Mutation",
                                   "Frame_Shift_Ins"],
        "Protein_Change": ["p.599_600insDFREYEY", "p.D835Y", "p.N676K", "p.W288fs"],
        "i_TumorVAF_WU": [None, 38.6, 20.0, 41.0],
    })  # fmt: skip
    ids = ["TCGA-AB-0001", "TCGA-AB-0002", "TCGA-AB-0003", "TCGA-AB-0004"]
    out = pivot_variants(maf, ids)
    assert out.attrs["notes"]["vaf_unit"] == "percent"
    assert out["flt3_itd"].tolist() == [True, False, False, False]
    assert out["flt3_tkd"].tolist() == [False, True, False, False]  # N676K is neither
    assert out.loc["TCGA-AB-0004", "npm1_vaf"] == pytest.approx(0.41)
    assert out.attrs["notes"]["unknown_patients"] == {}


def test_amlsg_layout_aliases_ptd_and_itd():
    gen = pd.DataFrame({
        "SAMPLE_NAME": ["a", "a", "b", "c", "c"],
        "GENE": ["SFRS2", "MLL", "MLL", "FLT3", "FLT3"],
        "VARIANT_TYPE": ["Sub", "PTD", "Sub", "ITD", "D"],
        "AA_CHANGE": ["p.P95H", "PTD", "p.R1234W", "ITD", "p.I836delI"],
        "VAF": ["41.2", "na", "12.5", "na", "30"],
        "CDNA_CHANGE": ["c.284C>A", "na", "c.1C>T", "na", "c.2508_2510del"],
    })  # fmt: skip
    out = pivot_variants(gen, ["a", "b", "c"])
    assert bool(out.loc["a", "srsf2"]) is True
    assert out["kmt2a_ptd"].tolist() == [True, False, False]  # a KMT2A point mutation is no PTD
    assert bool(out.loc["c", "flt3_itd"]) and bool(out.loc["c", "flt3_tkd"])
    assert out.attrs["notes"]["gene_aliases_applied"] == {"MLL": "KMT2A", "SFRS2": "SRSF2"}


def test_itd_and_ptd_words_are_not_read_inside_amino_acid_sequences():
    v = pd.DataFrame({
        "patient_id": ["a", "b", "c"],
        "gene": ["KMT2A", "FLT3", "FLT3"],
        "protein_change": ["p.A100_P101insKPTDE", "p.D835_I836insKITDE", "FLT3-ITD"],
    })  # fmt: skip
    out = pivot_variants(v, ["a", "b", "c"])
    assert out["kmt2a_ptd"].tolist() == [False, False, False]
    assert out["flt3_itd"].tolist() == [False, False, True]
    assert bool(out.loc["b", "flt3_tkd"]) is True


def test_beataml_json_records():
    records = [
        {"p": 2030, "g": "NPM1", "c": "Frameshift", "hp": "p.W288Cfs*12", "vaf": 0.288},
        {"p": 2030, "g": "IDH2", "c": "Missense", "hp": "p.R140Q", "vaf": 0.41},
        {"p": 2551, "g": "WT1", "c": "Frameshift", "hp": "p.S381Rfs*4", "vaf": 0.35},
    ]
    out = pivot_variants(pd.DataFrame.from_records(records), ["2030", "2551", "9999"],
                         sequenced=["2030", "2551"])  # fmt: skip
    assert out["idh2"].tolist()[:2] == [True, False]
    assert pd.isna(out.loc["9999", "idh2"])
    assert out.attrs["notes"]["vaf_unit"] == "fraction"


def test_percent_and_fraction_give_the_same_vaf():
    frac = plain([("p1", "NPM1", 0.25, "p.W288Cfs*12"), ("p2", "TP53", 0.5, "p.R175H")])
    pct = frac.assign(vaf=frac["vaf"] * 100)
    a, b = pivot_variants(frac, ["p1", "p2"]), pivot_variants(pct, ["p1", "p2"])
    pd.testing.assert_series_equal(a["npm1_vaf"], b["npm1_vaf"])
    assert b.attrs["notes"]["vaf_unit"] == "percent"


def test_undetectable_columns_stay_missing_unless_called():
    out = pivot_variants(plain([("p1", "DNMT3A", 0.4, "p.R882H")]), ["p1", "p2"],
                         undetectable=("kmt2a_ptd",))  # fmt: skip
    assert out["kmt2a_ptd"].isna().all()
    assert bool(out.loc["p2", "dnmt3a"]) is False


@pytest.mark.parametrize(
    "cdna, expected",
    [
        ("c.860_863dupTCTG", "A"),  # HGVS form of type A
        ("c.863_864insTCTG", "A"),  # right-aligned insertion, same sequence
        ("c.859_860insTCTG", "A"),  # left-aligned, same sequence
        ("c.863_864insCATG", "B"),
        ("c.861_862insTGCA", "B"),  # shifted description of type B
        ("c.863_864insCCTG", "D"),
        ("c.860_861insCTGC", "D"),  # shifted description of type D
        ("c.861_862insCTGC", "other"),  # same bases, different mutant sequence
        ("c.863_864insTATG", "other"),
        ("NM_002520.7:c.860_863dupTCTG", "A"),
        ("p.W288Cfs*12", None),  # the protein change cannot tell A, B and D apart
        (None, None),
    ],
)
def test_npm1_type_from_cdna(cdna, expected):
    assert npm1_type_from_cdna(cdna) == expected


def test_npm1_cdna_from_genomic_on_both_builds():
    # Beat AML (GRCh37, VCF style) and TCGA_Genetic.txt (NCBI36, MAF style) type A insertions.
    assert npm1_cdna_from_genomic(170837543, "C", "CTCTG", build="GRCh37") == "c.859_860insTCTG"
    assert npm1_cdna_from_genomic(170770152, "-", "TCTG", build="NCBI36") == "c.863_864insTCTG"
    assert npm1_type_from_cdna(npm1_cdna_from_genomic(170837544, "T", "TCTGC")) == "D"
    assert npm1_cdna_from_genomic(170767341, "-", "GAGGAGG", build="36") is None  # not exon 12
    assert npm1_cdna_from_genomic(170837543, "C", "T") is None  # not an insertion
    assert npm1_cdna_from_genomic(170837543, "C", "CTCTG", build="GRCh38") is None


def test_npm1_type_in_pivot_needs_cdna():
    v = pd.DataFrame({
        "patient_id": ["p1", "p2", "p3"], "gene": ["NPM1"] * 3, "vaf": [0.3] * 3,
        "protein_change": ["p.W288Cfs*12"] * 3,
        "cdna_change": ["c.863_864insCATG", "c.863_864insCTTG", None],
    })  # fmt: skip
    out = pivot_variants(v, ["p1", "p2", "p3", "p4"])
    assert out["npm1_type"].tolist()[:2] == ["B", "other"]
    assert out["npm1_type"].iloc[2:].isna().all()


def test_cebpa_bzip_and_biallelic_rules():
    v = pd.DataFrame({
        "patient_id": ["bi", "bi", "n_term", "nope", "bzip_missense"],
        "gene": ["CEBPA"] * 5,
        "protein_change": ["p.H24Afs*84", "p.K313dup", "p.A111Rfs*59", None, "p.R300H"],
    })  # fmt: skip
    out = pivot_variants(v, ["bi", "n_term", "nope", "bzip_missense", "wt"])
    assert out["cebpa_bzip"].tolist()[:2] == [True, False]
    assert pd.isna(out.loc["nope", "cebpa_bzip"])  # a CEBPA variant we cannot place
    assert bool(out.loc["bzip_missense", "cebpa_bzip"]) is True
    assert bool(out.loc["wt", "cebpa_bzip"]) is False
    assert out["cebpa_biallelic"].tolist() == [True, False, False, False, False]


def test_bad_vaf_is_named_with_column_and_row():
    v = plain([("p1", "NPM1", 0.3, None), ("p2", "NPM1", "high", None)])
    with pytest.raises(CohortValidationError) as err:
        pivot_variants(v, ["p1", "p2"])
    problem = err.value.problems[0]
    assert (problem.column, problem.row, problem.value) == ("vaf", 1, "high")
    assert "vaf" in str(err.value)


def test_vaf_above_100_percent_is_rejected():
    with pytest.raises(CohortValidationError, match="between 0 and 1"):
        pivot_variants(plain([("p1", "NPM1", 140, None)]), ["p1"])


def test_missing_gene_cell_is_rejected():
    with pytest.raises(CohortValidationError, match="no gene"):
        pivot_variants(plain([("p1", None, 0.3, None)]), ["p1"])


def test_unrecognised_layout_names_the_accepted_columns():
    with pytest.raises(LoadError, match="Hugo_Symbol"):
        pivot_variants(pd.DataFrame({"patient_id": ["p1"], "mutation": ["NPM1"]}), ["p1"])


def test_duplicated_patients_and_bad_undetectable_are_errors():
    v = plain([("p1", "NPM1", 0.3, None)])
    with pytest.raises(LoadError, match="unique"):
        pivot_variants(v, ["p1", "p1"])
    with pytest.raises(CohortError, match="not genotype columns"):
        pivot_variants(v, ["p1"], undetectable=("npm1_type",))
    with pytest.raises(LoadError, match="DataFrame"):
        pivot_variants([("p1", "NPM1")], ["p1"])


def test_standardise_keeps_every_row():
    v = plain([("p1", "MLL", 0.3, "PTD"), ("p9", "TP53", 0.1, "p.R175H")])
    long, notes = standardise_variants(v)
    assert len(long) == 2
    assert long["gene"].tolist() == ["KMT2A", "TP53"]
    assert notes["vaf_unit"] == "fraction"


SIMPLE_GENES = ["NPM1", "DNMT3A", "TP53", "IDH2", "RUNX1"]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["p0", "p1", "p2", "p3", "x9"]), st.sampled_from(SIMPLE_GENES),
                  st.floats(0, 1)),
        max_size=25,
    ),
    sequenced=st.sets(st.sampled_from(["p0", "p1", "p2", "p3"])),
)  # fmt: skip
def test_pivot_invariants(rows, sequenced):
    patients = ["p0", "p1", "p2", "p3"]
    v = pd.DataFrame(rows, columns=["patient_id", "gene", "vaf"])
    out = pivot_variants(v, patients, sequenced=sequenced)
    assert list(out.index) == patients
    carriers = {(p, g) for p, g, _ in rows}
    for p in patients:
        seen = p in sequenced or any(q == p for q, _, _ in rows)
        for g in SIMPLE_GENES:
            value = out.loc[p, g.lower()]
            if (p, g) in carriers:
                assert bool(value) is True
            elif seen:
                assert bool(value) is False
            else:
                assert pd.isna(value)
    assert sum(out.attrs["notes"]["unknown_patients"].values()) == sum(r[0] == "x9" for r in rows)
