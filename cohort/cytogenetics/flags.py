"""ELN and ICC cytogenetic flags from parsed karyotypes.

Definitions follow ELN 2017 (Döhner et al., Blood 2017, Table 5 footnotes), ELN 2022 (Döhner et al.,
Blood 2022, Table 6 footnotes) and the ICC 2022 list of myelodysplasia-related cytogenetic
abnormalities, as transcribed in ``/work/shared/docs/eln_guidelines.md``. Where the guidelines are
silent the choice is a field of :class:`CountingRules` and is documented in ``docs/cytogenetics.md``.

The module (about 660 lines, over the ~600 the layout aims for) is kept whole on purpose: each
flag is defined next to the :class:`CountingRules` fields and breakpoint tests it depends on, so
that one flag can be checked against the guideline text in one place.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cohort.cytogenetics.karyotype import Abnormality, Clone, Karyotype
from cohort.cytogenetics.parser import _INV9_VARIANT, parse
from cohort.errors import ClassificationError, DataQualityWarning

LESION_FLAGS = (
    "t_8_21", "inv_16", "t_15_17", "t_9_11", "kmt2a_r", "t_6_9", "t_9_22", "inv_3", "mecom_r",
    "t_8_16", "del_5q", "minus_7", "abn_17p",
)  # fmt: skip
SUMMARY_FLAGS = (
    "complex_karyotype", "complex_karyotype_2022", "monosomal_karyotype", "normal_karyotype",
)  # fmt: skip
ICC_MR_FLAGS = ("del_7q", "plus_8", "del_12p", "i_17q", "del_20q", "idic_x_q13", "del_11q")

#: Output columns of :func:`flags`, in order.
FLAG_COLUMNS = (
    *LESION_FLAGS, *SUMMARY_FLAGS, "n_abnormalities", *ICC_MR_FLAGS, "karyotype_status",
    "karyotype_note",
)  # fmt: skip

_BOOL_COLUMNS = (*LESION_FLAGS, *SUMMARY_FLAGS, *ICC_MR_FLAGS)

# Recurring lesions that void a complex karyotype. ELN 2017: "t(8;21), inv(16) or t(16;16), t(9;11),
# t(v;11)(v;q23.3), t(6;9), inv(3) or t(3;3); AML with BCR-ABL1". ELN 2022: "other class-defining
# recurring genetic abnormalities", read as the ICC 2022 recurrent cytogenetic entities we flag.
_CK_EXCLUDED_2017 = ("t_8_21", "inv_16", "t_9_11", "kmt2a_r", "t_6_9", "inv_3", "t_9_22")
_CK_EXCLUDED_2022 = (*_CK_EXCLUDED_2017, "t_15_17", "mecom_r", "t_8_16")
_CBF = ("t_8_21", "inv_16")
_SEX = ("X", "Y")


@dataclass(frozen=True)
class CountingRules:
    """Choices where ELN is silent (see ``docs/cytogenetics.md`` for the reasoning).

    Attributes
    ----------
    count_clones : {"pooled", "largest", "most_abnormal"}
        Which clones' abnormalities are counted for ``n_abnormalities``, complex and monosomal
        karyotype. ``"pooled"``: every distinct abnormality in any clone (an abnormality repeated
        in several clones counts once). ``"largest"``: the abnormal clone with the most cells.
        ``"most_abnormal"``: the clone with the most abnormalities. Lesion flags (t(8;21), -7, ...)
        are always "present in any clone".
    sex_chromosome_loss_counts : bool
        Whether -X/-Y counts towards ``n_abnormalities`` (complex karyotype).
    derivative_parts_count : bool
        False: a derivative chromosome is one abnormality however many rearrangements made it.
        True: each rearrangement inside it counts.
    markers_count : bool
        Whether marker chromosomes count (``+2mar`` counts 2; ``+1-3mar`` counts 1, the minimum).
    markers_are_structural : bool
        Whether markers, unidentified rings and double minutes are "structural" abnormalities for
        monosomal karyotype and for the ELN 2022 hyperdiploid exclusion.
    inv9_is_constitutional : bool
        Treat pericentric inv(9)(p1?q1?) as the common constitutional heteromorphism even when not
        marked ``c``.
    del_5q_includes_unbalanced : bool
        ``del_5q`` also for unbalanced loss of 5q: add(5)(q), der(5) with a 5q breakpoint,
        i(5)(p10). Default True, as the AMLSG curators code "loss of 5q"; False: only -5 and
        del(5q), as ELN writes.
    extra_copies_count : bool
        True (default): each extra copy of a chromosome is one abnormality (``+8,+8`` = 2), as
        ISCN lists each copy and ELN counts "abnormalities". False: a polysomy is one.
    kmt2a_typical_partners_only : bool
        True (default): an 11q23 rearrangement sets ``kmt2a_r`` only when its partner band is a
        common KMT2A partner (:data:`KMT2A_PARTNERS`); with another or an unknown partner the
        flag is unknown (11q23 holds other genes, e.g. ZBTB16) and the note says so. False: any
        11q23 breakpoint is a KMT2A rearrangement.
    ck_excludes_apl : bool
        Whether t(15;17) voids an ELN 2017 complex karyotype (ELN 2017 lists it among neither the
        excluded lesions nor the risk groups, as APL is outside its scope; WHO counts it as a
        recurring translocation). ELN 2022 always excludes it (class-defining).
    mk_sex_chromosome_as_additional : bool
        Whether -X/-Y can be the *additional* monosomy of a monosomal karyotype (ELN 2017 wording
        excludes X/Y only from the index monosomy; ELN 2022 excludes them throughout).
    hyperdiploid_exclusion_allows_losses : bool
        ELN 2022 CK excludes "hyperdiploid karyotypes with three or more trisomies (or polysomies)
        without structural abnormalities". True: a monosomy alongside the gains does not void the
        exclusion (only structural abnormalities do, as written). False: only pure gains are
        excluded.
    min_clone_cells : int
        Clones with fewer cells than this (when the count is given) are ignored. 1 keeps every
        clone as reported; ISCN defines a clone as >= 2 cells (>= 3 for a loss).
    """

    count_clones: str = "pooled"
    sex_chromosome_loss_counts: bool = False
    derivative_parts_count: bool = False
    markers_count: bool = True
    markers_are_structural: bool = True
    inv9_is_constitutional: bool = True
    del_5q_includes_unbalanced: bool = True
    extra_copies_count: bool = True
    kmt2a_typical_partners_only: bool = True
    ck_excludes_apl: bool = True
    mk_sex_chromosome_as_additional: bool = False
    hyperdiploid_exclusion_allows_losses: bool = True
    min_clone_cells: int = 1

    def __post_init__(self) -> None:
        if self.count_clones not in ("pooled", "largest", "most_abnormal"):
            raise ClassificationError(
                f"count_clones={self.count_clones!r} is not an option; use 'pooled', 'largest' or "
                "'most_abnormal'."
            )
        if not isinstance(self.min_clone_cells, int) or self.min_clone_cells < 1:
            raise ClassificationError(
                f"min_clone_cells={self.min_clone_cells!r} must be a positive integer."
            )
        for f in fields(self):
            if f.type in ("bool", bool) and not isinstance(getattr(self, f.name), bool):
                raise ClassificationError(
                    f"{f.name}={getattr(self, f.name)!r} must be True or False."
                )


def _rules(options: dict[str, Any]) -> CountingRules:
    known = {f.name for f in fields(CountingRules)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ClassificationError(
            f"unknown cytogenetics option(s) {', '.join(unknown)}; the options are "
            f"{', '.join(sorted(known))} (see CountingRules)."
        )
    return CountingRules(**options)


# ---------------------------------------------------------------------------------------------
# breakpoints

_BAND = re.compile(r"([pq])(\??\d*(?:\.\d+)?)")


def _bands(bp: str) -> list[tuple[str, str]]:
    """``"p13.1q22"`` -> ``[("p", "13.1"), ("q", "22")]``; ``"qter->q22::p11.2->qter"`` too."""
    bp = bp.replace("ter", "").replace("cen", "10")
    return [(arm, num.replace("?", "")) for arm, num in _BAND.findall(bp)]


def _breaks(ev: Abnormality, chrom: str) -> list[tuple[str, str]] | None:
    """Bands at which ``ev`` breaks chromosome ``chrom``; None when no breakpoints are written."""
    if not ev.breakpoints:
        return None
    out: list[tuple[str, str]] = []
    if len(ev.breakpoints) == len(ev.chromosomes):
        for c, bp in zip(ev.chromosomes, ev.breakpoints, strict=True):
            if c == chrom:
                out.extend(_bands(bp))
    elif chrom in ev.chromosomes:
        for bp in ev.breakpoints:
            out.extend(_bands(bp))
    return out


def _breaks_at(ev: Abnormality, chrom: str, arm: str, band: str = "") -> bool | None:
    """Does ``ev`` break ``chrom`` in ``arm`` (at a band starting with ``band``)? None if unknown."""
    if chrom not in ev.chromosomes:
        return False
    b = _breaks(ev, chrom)
    if b is None:
        return None
    return any(a == arm and n.startswith(band) for a, n in b)


def _pair(ev: Abnormality, a: tuple[str, str, str], b: tuple[str, str, str]) -> bool | None:
    """``ev`` is a translocation/insertion joining chromosome a and b at the given arms/bands."""
    if ev.kind not in ("t", "ins"):
        return False
    if a[0] == b[0]:
        if ev.chromosomes.count(a[0]) < 2:
            return False
    elif not (a[0] in ev.chromosomes and b[0] in ev.chromosomes):
        return False
    ra, rb = _breaks_at(ev, *a), _breaks_at(ev, *b)
    if ra is None or rb is None:
        return None
    return bool(ra and rb)


# ---------------------------------------------------------------------------------------------
# per karyotype


@dataclass(frozen=True)
class _CloneSummary:
    keys: frozenset
    gains: frozenset
    losses: frozenset
    structural: bool
    autosomal_monosomies: frozenset
    sex_monosomies: frozenset
    cells: int
    modal_low: int | None


def _is_inv9_variant(a: Abnormality) -> bool:
    return (
        a.kind == "inv"
        and a.chromosomes == ("9",)
        and len(a.breakpoints) == 1
        and bool(_INV9_VARIANT.match(a.breakpoints[0].replace("?", "")))
    )


def _acquired(clone: Clone, rules: CountingRules) -> list[Abnormality]:
    return [
        a
        for a in clone.abnormalities
        if not a.constitutional
        and a.kind != "polymorphism"
        and not (rules.inv9_is_constitutional and _is_inv9_variant(a))
    ]


def _compensated(clone_abns: list[Abnormality], chrom: str) -> bool:
    """A loss of ``chrom`` replaced in the same clone by an extra abnormal copy (-7,+der(7)t(...))."""
    return any(
        a.gained and a.kind not in ("loss", "mar", "dmin") and a.chromosomes[:1] == (chrom,)
        for a in clone_abns
    )


def _summarise(abns: list[Abnormality], clone: Clone, rules: CountingRules) -> _CloneSummary:
    keys: set = set()
    gains: set = set()
    losses: set = set()
    structural = False
    auto_mono: set = set()
    sex_mono: set = set()
    for a in abns:
        if a.kind == "loss_abnormal":
            continue
        if a.kind == "loss":
            c = a.chromosomes[0]
            if _compensated(abns, c):
                continue
            if c in _SEX:
                sex_mono.add(c)
                if not rules.sex_chromosome_loss_counts:
                    continue
            else:
                auto_mono.add(c)
            losses.add(c)
            keys.add(("loss", c))
        elif a.kind == "ploidy":
            keys.add(("ploidy",))
        elif a.kind == "gain":
            gains.add(a.chromosomes[0])
            copies = max(a.copies, 1) if rules.extra_copies_count else 1
            # "+8,+8" is two tokens of one copy each: number them in order of appearance
            done = sum(1 for k in keys if k[:2] == ("gain", a.chromosomes[0]))
            start = done if rules.extra_copies_count else 0
            keys.update(("gain", a.chromosomes[0], start + i) for i in range(copies))
        elif a.kind == "mar":
            structural = structural or rules.markers_are_structural
            if rules.markers_count:
                keys.update(("mar", a.label, i) for i in range(max(a.copies, 1)))
        elif a.kind == "dmin" or (a.kind == "r" and a.chromosomes == ("?",)):
            structural = structural or rules.markers_are_structural
            keys.add(a.key())
        else:
            structural = True
            if a.kind == "der" and a.parts and rules.derivative_parts_count:
                keys.update(p.key() for p in a.parts)
            else:
                keys.add(a.key())
    return _CloneSummary(
        frozenset(keys),
        frozenset(gains),
        frozenset(losses),
        structural,
        frozenset(auto_mono),
        frozenset(sex_mono),
        clone.cells if clone.cells is not None else 0,
        clone.modal_low,
    )


def _lesions(
    per_clone: list[list[Abnormality]], rules: CountingRules, notes: list[str]
) -> dict[str, bool]:
    """Recurring lesions and ICC MR abnormalities present in any clone (acquired abnormalities)."""
    f = dict.fromkeys((*LESION_FLAGS, *ICC_MR_FLAGS), False)
    abns = [a for clone in per_clone for a in clone]
    evs = [e for a in abns if a.kind != "loss_abnormal" for e in a.events()]

    def assumed(name: str, ev: Abnormality) -> None:
        notes.append(f"{ev.text}: breakpoints not given, read as {name}")

    for ev in evs:
        k, ch = ev.kind, ev.chromosomes
        for name, a, b in (
            ("t_8_21", ("8", "q", ""), ("21", "q", "")),
            ("t_15_17", ("15", "q", ""), ("17", "q", "")),
            ("t_6_9", ("6", "p", "2"), ("9", "q", "3")),
            ("t_9_22", ("9", "q", "3"), ("22", "q", "1")),
            ("t_8_16", ("8", "p", "1"), ("16", "p", "1")),
            ("t_9_11", ("9", "p", "2"), ("11", "q", "23")),
        ):
            r = _pair(ev, a, b)
            if r is None:
                assumed(name, ev)
            if r is None or r:
                f[name] = True
        # inv(16)(p13q22) / t(16;16)(p13;q22)
        if k == "inv" and ch == ("16",):
            p, q = _breaks_at(ev, "16", "p"), _breaks_at(ev, "16", "q")
            if p is None:
                assumed("inv_16", ev)
            if p is None or (p and q):
                f["inv_16"] = True
        if k == "t" and ch == ("16", "16"):
            f["inv_16"] = True
        # inv(3)(q21q26) / t(3;3)(q21;q26)
        is_inv3 = False
        if (k == "inv" and ch == ("3",)) or (k == "t" and ch.count("3") >= 2):
            q21, q26 = _breaks_at(ev, "3", "q", "21"), _breaks_at(ev, "3", "q", "26")
            if q21 is None:
                assumed("inv_3", ev)
            if q21 is None or (q21 and q26):
                f["inv_3"] = is_inv3 = True
        # rearrangements with a breakpoint at 3q26 (MECOM) or 11q23 (KMT2A)
        if k in ("t", "ins", "inv") and not is_inv3 and _breaks_at(ev, "3", "q", "26"):
            f["mecom_r"] = True
        if k in ("t", "ins", "inv") and _breaks_at(ev, "11", "q", "23"):
            if not _pair(ev, ("9", "p", "2"), ("11", "q", "23")):
                partner = _kmt2a_partner(ev)
                if not rules.kmt2a_typical_partners_only or partner is True:
                    f["kmt2a_r"] = True
                elif f["kmt2a_r"] is not True:
                    f["kmt2a_r"] = None
                    notes.append(
                        f"{ev.text}: 11q23 break with a partner ({partner}) that is not a common "
                        "KMT2A partner; KMT2A rearrangement unknown (confirm by FISH or RT-PCR)"
                    )
        # deletions and ICC MR abnormalities
        if k == "del":
            for chrom, name in (("5", "del_5q"), ("7", "del_7q"), ("20", "del_20q"),
                                ("11", "del_11q")):  # fmt: skip
                if _breaks_at(ev, chrom, "q"):
                    f[name] = True
        if "12" in ch and k not in ("dup", "gain") and _breaks_at(ev, "12", "p"):
            f["del_12p"] = True
        if "17" in ch:
            if (
                k == "idic" or (k in ("i", "ider") and _breaks_at(ev, "17", "q") is not False)
            ) and ch == ("17",):
                f["i_17q"] = True  # i(17)(q10), idic(17)(p11): two 17q, no 17p
                f["abn_17p"] = True
            elif _breaks_at(ev, "17", "p"):
                f["abn_17p"] = True
        if k == "der" and ch == ("17",):
            # der(17)t(3;17)(p10;q10): a whole-arm exchange at the 17 centromere keeping 17q
            if any(_breaks_at(p, "17", "q", "10") for p in ev.parts):
                f["abn_17p"] = True
        if k == "idic" and ch == ("X",) and _breaks_at(ev, "X", "q", "13"):
            f["idic_x_q13"] = True
    for a in abns:
        if rules.del_5q_includes_unbalanced and a.chromosomes[:1] == ("5",) and not a.gained:
            # unbalanced loss of 5q: add(5)(q), der(5) broken in 5q, i(5)(p10)
            if a.kind == "add" and _breaks_at(a, "5", "q"):
                f["del_5q"] = True
            if a.kind == "der" and any(_breaks_at(p, "5", "q") for p in a.events()):
                f["del_5q"] = True
            if a.kind == "i" and _breaks_at(a, "5", "p"):
                f["del_5q"] = True
        if a.kind == "gain" and a.chromosomes == ("8",):
            f["plus_8"] = True
    for clone in per_clone:  # a loss is compensated only within its own clone
        for a in clone:
            if a.kind == "loss" and not _compensated(clone, a.chromosomes[0]):
                name = {"5": "del_5q", "7": "minus_7", "17": "abn_17p"}.get(a.chromosomes[0])
                if name:
                    f[name] = True
    return f


#: Common KMT2A partner bands (chromosome, band prefix), from the KMT2A recombinome (Meyer et al.,
#: Leukemia 2018: AFF1 4q21, MLLT3 9p21-22, MLLT1 19p13.3, ELL 19p13.1, MLLT10 10p12, AFDN 6q27,
#: EPS15 1p32, MLLT11 1q21, MLLT6 17q21, SEPTIN9 17q25, SEPTIN6 Xq24, CREBBP 16p13, EP300 22q13,
#: SEPTIN5 22q11, TET1 10q21, FOXO3 6q21, GAS7 17p13, CASC5 15q14, FOXO4 Xq13).
KMT2A_PARTNERS: tuple[tuple[str, str], ...] = (
    ("4", "q21"), ("9", "p2"), ("19", "p13"), ("10", "p1"), ("6", "q27"), ("1", "p32"),
    ("1", "q21"), ("17", "q21"), ("17", "q25"), ("X", "q24"), ("X", "q13"), ("16", "p13"),
    ("22", "q13"), ("22", "q11"), ("10", "q21"), ("6", "q21"), ("17", "p13"), ("15", "q14"),
)  # fmt: skip


def _kmt2a_partner(ev: Abnormality) -> bool | str:
    """True when the rearrangement joins 11q23 to a common KMT2A partner band; otherwise the
    partner as written (for the note)."""
    others = [c for c in ev.chromosomes if c != "11"] or (["11"] if ev.kind == "t" else [])
    if ev.kind == "inv" or not others:
        return f"{ev.kind}(11)"
    for c in others:
        for arm, band in _breaks(ev, c) or []:
            if any(c == pc and (arm + band).startswith(pb) for pc, pb in KMT2A_PARTNERS):
                return True
    return ", ".join(f"{c}{''.join(a + b for a, b in (_breaks(ev, c) or []))}" for c in others)


def _karyotype_row(k: Karyotype, rules: CountingRules) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FLAG_COLUMNS, pd.NA)
    row["karyotype_status"] = k.status
    notes = list(k.notes)
    if k.status == "free_text":
        if k.free_text == "normal":
            for c in _BOOL_COLUMNS:
                row[c] = False
            row["normal_karyotype"] = True
            row["n_abnormalities"] = 0
            notes.append("free text read as a normal karyotype")
        else:
            # ELN 2017/2022: a complex karyotype is defined "in the absence of" the recurring
            # translocations/inversions, so a karyotype reported as complex has none of them
            for c in _CK_EXCLUDED_2022:
                row[c] = False
            row["complex_karyotype"] = True
            row["complex_karyotype_2022"] = True
            row["normal_karyotype"] = False
            notes.append(
                "free text read as a complex karyotype (adverse): the recurring translocations "
                "and inversions the definition excludes read absent; -5/-7/17p and the count unknown"
            )
    if k.status != "ok":
        row["karyotype_note"] = "; ".join(notes) if notes else pd.NA
        return row

    kept = [c for c in k.clones if c.cells is None or c.cells >= rules.min_clone_cells]
    if len(kept) < len(k.clones):
        notes.append(
            f"{len(k.clones) - len(kept)} clone(s) with fewer than {rules.min_clone_cells} cells "
            "ignored"
        )
    if not kept:
        notes.append("no clone is large enough to be read; flags unknown")
        row["karyotype_note"] = "; ".join(notes)
        return row
    acquired = [_acquired(c, rules) for c in kept]
    all_abns = [a for abns in acquired for a in abns]
    lesions = _lesions(acquired, rules, notes)
    summaries = [_summarise(abns, c, rules) for c, abns in zip(kept, acquired, strict=True) if abns]
    if not summaries:
        sel: list[_CloneSummary] = []
    elif rules.count_clones == "pooled":
        sel = summaries
    elif rules.count_clones == "largest":
        sel = [max(summaries, key=lambda s: s.cells)]  # ties: the first written (the stemline)
    else:
        sel = [max(summaries, key=lambda s: len(s.keys))]
    keys = frozenset().union(*(s.keys for s in sel)) if sel else frozenset()
    gains = frozenset().union(*(s.gains for s in sel)) if sel else frozenset()
    losses = frozenset().union(*(s.losses for s in sel)) if sel else frozenset()
    structural = any(s.structural for s in sel)
    auto_mono = frozenset().union(*(s.autosomal_monosomies for s in sel)) if sel else frozenset()
    sex_mono = frozenset().union(*(s.sex_monosomies for s in sel)) if sel else frozenset()

    n = len(keys)
    excl17 = [*_CK_EXCLUDED_2017, *(("t_15_17",) if rules.ck_excludes_apl else ())]
    ck = _none_of(n >= 3, [lesions[x] for x in excl17])
    hyperdiploid_gains_only = (
        all(s.modal_low is not None and s.modal_low > 46 for s in sel)
        and len(gains) >= 3
        and not structural
        and len(gains) > len(losses)
        and (rules.hyperdiploid_exclusion_allows_losses or not losses)
    )
    ck22 = _none_of(n >= 3 and not hyperdiploid_gains_only, [lesions[x] for x in _CK_EXCLUDED_2022])
    additional = structural or (rules.mk_sex_chromosome_as_additional and bool(sex_mono))
    mk = (len(auto_mono) >= 2 or (len(auto_mono) == 1 and additional)) and not any(
        lesions[x] for x in _CBF
    )
    row.update({k: (pd.NA if v is None else v) for k, v in lesions.items()})
    row["complex_karyotype"] = ck
    row["complex_karyotype_2022"] = ck22
    row["monosomal_karyotype"] = mk
    row["normal_karyotype"] = not all_abns
    row["n_abnormalities"] = n
    if any(a.uncertain for a in all_abns):
        notes.append("uncertain (?) abnormalities counted as written")
    row["karyotype_note"] = "; ".join(dict.fromkeys(notes)) if notes else pd.NA
    return row


def _none_of(condition: bool, exclusions: list[bool | None]) -> Any:
    """``condition and not any(exclusions)`` when an exclusion may be unknown (None): NA when the
    result depends on it."""
    if not condition or any(x is True for x in exclusions):
        return False
    return pd.NA if any(x is None for x in exclusions) else True


_OR = re.compile(r"([^,/]+?)\s+or\s+([^,/\[]+)", flags=re.IGNORECASE)


def _alternatives(text: str) -> list[str]:
    """``"46,XY,t(9;11)(p22;q23) or t(6;11)(q27;q23)[20]"`` -> one karyotype per alternative."""
    m = _OR.search(text)
    if m is None:
        return [text]
    head, tail = text[: m.start()], text[m.end() :]
    out = []
    for alt in (m.group(1), m.group(2)):
        out.extend(_alternatives(head + alt.strip() + tail))
    return out[:8]


@lru_cache(maxsize=65536)
def _row_cached(text: str | None, rules: CountingRules) -> tuple:
    alts = _alternatives(text) if text is not None else [text]
    rows = [_karyotype_row(parse(t), rules) for t in alts]
    row = rows[0] if len(rows) == 1 else _merge_alternatives(rows, alts)
    return tuple(row[c] for c in FLAG_COLUMNS)


def _merge_alternatives(rows: list[dict[str, Any]], alts: list[str]) -> dict[str, Any]:
    """One row from the readings of "A or B": a value where they agree, NA where they differ."""
    if any(r["karyotype_status"] != "ok" for r in rows):
        bad = next(r for r in rows if r["karyotype_status"] != "ok")
        return bad
    out: dict[str, Any] = {}
    differ = []
    for c in FLAG_COLUMNS:
        values = [r[c] for r in rows]
        if c in ("karyotype_status", "karyotype_note"):
            continue
        same = all((v is pd.NA and values[0] is pd.NA) or v == values[0] for v in values)
        out[c] = values[0] if same else pd.NA
        if not same:
            differ.append(c)
    out["karyotype_status"] = "ok"
    notes = [f"alternatives ('or') read separately: {' | '.join(alts)}"]
    if differ:
        notes.append(f"unknown because the alternatives differ: {', '.join(differ)}")
    notes += [r["karyotype_note"] for r in rows if r["karyotype_note"] is not pd.NA]
    out["karyotype_note"] = "; ".join(dict.fromkeys(notes))
    return out


def flags_one(text: object, **options: Any) -> dict[str, Any]:
    """The flags of a single karyotype as a dict (see :func:`flags` for columns and options)."""
    rules = _rules(options)
    key = None if _is_missing(text) else str(text)
    return dict(zip(FLAG_COLUMNS, _row_cached(key, rules), strict=True))


def _is_missing(x: object) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def flags(karyotypes: Any, **options: Any) -> pd.DataFrame:
    """ELN 2017/2022 and ICC 2022 cytogenetic flags, one row per karyotype.

    Parameters
    ----------
    karyotypes : pandas.Series, sequence of str, pandas.DataFrame or Cohort
        ISCN or free-text karyotypes. A DataFrame or Cohort must have a ``karyotype`` column.
    **options
        Counting rules where ELN is silent; see :class:`CountingRules` (``count_clones``,
        ``sex_chromosome_loss_counts``, ``derivative_parts_count``, ``markers_count``,
        ``markers_are_structural``, ``inv9_is_constitutional``, ``del_5q_includes_unbalanced``,
        ``ck_excludes_apl``, ``mk_sex_chromosome_as_additional``,
        ``hyperdiploid_exclusion_allows_losses``, ``min_clone_cells``).

    Returns
    -------
    pandas.DataFrame
        Same index as the input. Flags (``t_8_21`` ... ``abn_17p``, ``complex_karyotype``,
        ``complex_karyotype_2022``, ``monosomal_karyotype``, ``normal_karyotype``, ``del_7q``,
        ``plus_8``, ``del_12p``, ``i_17q``, ``del_20q``, ``idic_x_q13``, ``del_11q``) are nullable
        ``"boolean"``, NA when the karyotype is missing, failed or unparseable;
        ``n_abnormalities`` is ``"Int64"``; ``karyotype_status`` is one of "ok", "missing",
        "failed", "unparseable", "free_text"; ``karyotype_note`` says what was assumed or why a
        karyotype could not be read.

    Warns
    -----
    DataQualityWarning
        Once, listing the positions of all karyotypes that could not be parsed.

    Examples
    --------
    >>> f = flags(["45,XX,-7,t(3;3)(q21;q26)[20]", "46,XY[20]", "no metaphases"])
    >>> f["inv_3"].tolist(), f["normal_karyotype"].tolist()
    ([True, False, <NA>], [False, True, <NA>])
    """
    rules = _rules(options)
    series = _as_series(karyotypes)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    rows = [_row_cached(str(u), rules) for u in uniques]
    missing_row = _row_cached(None, rules)
    # one row per distinct string (plus one for missing), then spread to the input rows
    unique = pd.DataFrame.from_records([*rows, missing_row], columns=list(FLAG_COLUMNS))
    for name in FLAG_COLUMNS:
        dtype = (
            "boolean"
            if name in _BOOL_COLUMNS
            else "Int64"
            if name == "n_abnormalities"
            else "string"
        )
        unique[name] = unique[name].astype(dtype)
    idx = np.where(codes >= 0, codes, len(rows))
    out = unique.take(idx)
    out.index = series.index
    _warn_unparseable(out)
    return out


def _as_series(karyotypes: Any) -> pd.Series:
    from cohort.cohort import Cohort, as_frame

    if isinstance(karyotypes, Cohort | pd.DataFrame):
        frame = as_frame(karyotypes, required=("karyotype",), what="cytogenetics.flags")
        return frame["karyotype"]
    if isinstance(karyotypes, pd.Series):
        return karyotypes
    if isinstance(karyotypes, str):
        return pd.Series([karyotypes])
    if isinstance(karyotypes, Sequence | Iterable):
        return pd.Series(list(karyotypes), dtype="object")
    raise ClassificationError(
        f"cytogenetics.flags expects a Series, a list of karyotype strings, or a table with a "
        f"'karyotype' column; got {type(karyotypes).__name__}."
    )


def _warn_unparseable(out: pd.DataFrame) -> None:
    bad = (out["karyotype_status"] == "unparseable").to_numpy(dtype=bool, na_value=False)
    n = int(bad.sum())
    if not n:
        return
    positions = [int(i) for i in bad.nonzero()[0]]
    shown = ", ".join(str(p) for p in positions[:20]) + (" ..." if n > 20 else "")
    first = out["karyotype_note"].iloc[positions[0]]
    warnings.warn(
        f"{n} of {len(out)} karyotype(s) could not be parsed; their cytogenetic flags are NA. "
        f"Positions (0-based): {shown}. First problem: {first}. The reason for each row is in the "
        "karyotype_note column; correct the text to ISCN or to 'normal'/'complex'/'failed'.",
        DataQualityWarning,
        stacklevel=2,
    )
