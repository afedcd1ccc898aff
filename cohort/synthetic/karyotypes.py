"""ISCN karyotype strings and the cytogenetic flags they imply, for synthetic patients.

Every karyotype is built from a small set of templates: a class-defining lesion (if any), the
adverse lesions of the patient's calibrated pattern (-7, del(5q), 17p), extra abnormalities for a
complex karyotype, or one intermediate-risk abnormality. The flags are computed here from the
template's abnormality list (ELN 2017 definitions, see ``cohort/schema.py``), so strings and flags
agree by construction; a test re-derives the flags with :mod:`cohort.cytogenetics`.

Strings are looked up by integer code, so a million karyotypes cost one ``numpy.take``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort.schema import CYTOGENETIC_FLAGS

#: ISCN token of each class-defining lesion (kmt2a has two: t(9;11) and another t(v;11q23.3)).
LESION_TOKENS: dict[str, str] = {
    "apl": "t(15;17)(q24;q21)",
    "t_8_21": "t(8;21)(q22;q22.1)",
    "inv_16": "inv(16)(p13.1q22)",
    "t_6_9": "t(6;9)(p23;q34.1)",
    "inv_3": "inv(3)(q21.3q26.2)",
    "t_9_11": "t(9;11)(p21.3;q23.3)",
    "kmt2a_r": "t(6;11)(q27;q23.3)",
    "t_9_22": "t(9;22)(q34.1;q11.2)",
}
_LESION_FLAG = {
    "apl": "t_15_17", "t_8_21": "t_8_21", "inv_16": "inv_16", "t_6_9": "t_6_9", "inv_3": "inv_3",
    "t_9_11": "t_9_11", "kmt2a_r": "kmt2a_r", "t_9_22": "t_9_22",
}  # fmt: skip

_ADVERSE_TOKENS = {"minus_7": "-7", "del_5q": "del(5)(q13q33)", "abn_17p": "del(17)(p11.2)"}

#: Single intermediate-risk abnormalities for the "minor" pattern (the commonest in NPM1-mutated
#: and intermediate-risk AML: trisomy 8, del(9q), +4, +21, +11, +13, del(20q)).
MINOR_TOKENS: tuple[str, ...] = (
    "+8", "del(9)(q13q22)", "+4", "+21", "+11", "+13", "del(20)(q11.2q13.3)",
)  # fmt: skip

#: Secondary abnormalities added to a CBF lesion in a fraction of patients (del(9q) with t(8;21),
#: +22 with inv(16)); they change no flag.
SECONDARY_TOKENS: dict[str, str] = {"t_8_21": "del(9)(q13q22)", "inv_16": "+22"}
SECONDARY_PROB = 0.3

#: Extra abnormalities of complex karyotypes, added in this order until the count is reached.
_COMPLEX_EXTRAS = ("+8", "-18", "del(12)(p12)", "add(19)(p13)", "+21", "-20")
#: Numbers of extra abnormalities tried for each complex pattern (variants picked uniformly).
_COMPLEX_SIZES = (3, 4, 5)

_CK_EXCLUDED = ("t_8_21", "inv_16", "t_9_11", "kmt2a_r", "t_6_9", "inv_3", "t_9_22")


@dataclass(frozen=True)
class Template:
    """One abnormal-clone recipe: its ISCN tokens (in ISCN order) and flags."""

    tokens: tuple[str, ...]
    flags: dict[str, bool]

    @property
    def count(self) -> int:
        gains = sum(t.startswith("+") for t in self.tokens)
        losses = sum(t.startswith("-") for t in self.tokens)
        return 46 + gains - losses


def _chrom(token: str) -> int:
    body = token.lstrip("+-")
    if body[0].isdigit():
        return int(body)
    return int(token.split("(", 1)[1].split(")", 1)[0].split(";")[0])


def _iscn_order(tokens: list[str]) -> tuple[str, ...]:
    # ISCN: autosomes in numerical order; numerical change before structural for one chromosome.
    return tuple(sorted(tokens, key=lambda t: (_chrom(t), 0 if t[0] in "+-" else 1, t)))


def _flags(tokens: tuple[str, ...], lesion: str | None) -> dict[str, bool]:
    f = {name: False for name in CYTOGENETIC_FLAGS}
    if lesion is not None:
        f[_LESION_FLAG[lesion]] = True
    f["minus_7"] = "-7" in tokens
    f["del_5q"] = "-5" in tokens or any(t.startswith("del(5)(q") for t in tokens)
    f["abn_17p"] = "-17" in tokens or any(t.startswith("del(17)(p") for t in tokens)
    excluded = any(f[x] for x in _CK_EXCLUDED)
    f["complex_karyotype"] = len(tokens) >= 3 and not excluded
    monosomies = sum(t.startswith("-") for t in tokens)
    structural = sum(t[0] not in "+-" for t in tokens)
    cbf = f["t_8_21"] or f["inv_16"]
    f["monosomal_karyotype"] = (not cbf) and (
        monosomies >= 2 or (monosomies == 1 and structural >= 1)
    )
    f["normal_karyotype"] = len(tokens) == 0
    return f


def templates_for(cls: str, pattern: str) -> list[Template]:
    """Every template variant for a class and calibrated karyotype pattern (picked uniformly).

    Parameters
    ----------
    cls : str
        A class of :data:`cohort.synthetic.calibration.CLASSES`.
    pattern : str
        A pattern key of the calibration (``"normal"``, ``"minor"``, ``"minus_7+del_5q"``,
        ``"complex+abn_17p"``, ``"lesion+minus_7"``, ...).
    """
    head, *rest = pattern.split("+")
    # "complex+minus_7" and "lesion+del_5q" carry a head; "minus_7+del_5q" is all lesions.
    parts = rest if head in ("complex", "lesion") else [head, *rest]
    adverse = [_ADVERSE_TOKENS[p] for p in parts if p in _ADVERSE_TOKENS]
    if head == "normal":
        return [Template((), _flags((), None))]
    if head == "minor":
        return [Template((t,), _flags((t,), None)) for t in MINOR_TOKENS]
    if head == "complex":
        out = []
        for size in _COMPLEX_SIZES:
            extras = [e for e in _COMPLEX_EXTRAS if e not in adverse][: max(0, size - len(adverse))]
            toks = _iscn_order(adverse + extras)
            out.append(Template(toks, _flags(toks, None)))
        return out
    if head == "lesion":
        lesions = ["t_9_11", "kmt2a_r"] if cls == "kmt2a" else [cls]
        out = []
        for les in lesions:
            base = [LESION_TOKENS[les], *adverse]
            variants = [base]
            if cls in SECONDARY_TOKENS:
                variants.append(base + [SECONDARY_TOKENS[cls]])
            for v in variants:
                toks = _iscn_order(v)
                out.append(Template(toks, _flags(toks, les)))
        return out
    # Non-complex adverse lesions without a defining translocation (-7, del(5q), 17p).
    toks = _iscn_order(adverse)
    return [Template(toks, _flags(toks, None))]


def render(template: Template, sex: str, abnormal_cells: int, total_cells: int = 20) -> str:
    """The ISCN string of a template for one sex (``"XX"``/``"XY"``) and clone size."""
    normal = f"46,{sex}"
    if not template.tokens:
        return f"{normal}[{total_cells}]"
    clone = ",".join([str(template.count), sex, *template.tokens]) + f"[{abnormal_cells}]"
    if abnormal_cells >= total_cells:
        return clone
    return f"{clone}/{normal}[{total_cells - abnormal_cells}]"


#: Number of abnormal metaphases out of 20: a single abnormal clone [20] in 60% of patients,
#: otherwise a mosaic with 8-19 abnormal cells (cytogenetic reports commonly show residual
#: normal metaphases).
_CELL_CHOICES = np.array([20] + list(range(8, 20)))
_CELL_PROBS = np.array([0.6] + [0.4 / 12] * 12)


@dataclass(frozen=True)
class KaryotypeDraw:
    """Karyotype strings and flag arrays for a cohort."""

    karyotype: np.ndarray
    flags: dict[str, np.ndarray]


def draw_karyotypes(
    rng: np.random.Generator,
    cls_names: tuple[str, ...],
    cls: np.ndarray,
    male: np.ndarray,
    patterns: dict[str, dict[str, float]],
    t_9_11_fraction: dict[str, float],
) -> KaryotypeDraw:
    """Draw a karyotype for every patient from its class's calibrated pattern frequencies.

    Parameters
    ----------
    rng : numpy.random.Generator
    cls_names : tuple of str
        Class names; ``cls`` holds indices into it.
    cls : numpy.ndarray of int
    male : numpy.ndarray of bool
    patterns : dict
        Class name -> {pattern key: probability} (from the calibration).
    t_9_11_fraction : dict
        Class name -> share of t(9;11) among KMT2A rearrangements.
    """
    n = len(cls)
    u_pattern = rng.random(n)
    u_variant = rng.random(n)
    u_secondary = rng.random(n)
    cells = rng.choice(_CELL_CHOICES, size=n, p=_CELL_PROBS)
    # Flat table of all (class, pattern, variant) templates; each patient gets one row.
    table: list[Template] = []
    code = np.zeros(n, dtype=np.int64)
    for ci, cname in enumerate(cls_names):
        in_cls = cls == ci
        pats = patterns.get(cname) or {"normal": 1.0}
        keys = sorted(pats)
        probs = np.array([pats[k] for k in keys], dtype=float)
        cum = np.cumsum(probs / probs.sum())
        which = np.minimum(np.searchsorted(cum, u_pattern, side="right"), len(keys) - 1)
        for pi, key in enumerate(keys):
            sel = in_cls & (which == pi)
            tmpl = templates_for(cname, key)
            if cname == "kmt2a" and key.startswith("lesion"):
                # Variants alternate t(9;11) / t(v;11); choose the lesion by its calibrated share.
                is_911 = u_variant < t_9_11_fraction.get("kmt2a", 0.5)
                idx = np.where(is_911, 0, 1)
            elif cname in SECONDARY_TOKENS and key.startswith("lesion"):
                idx = (u_secondary < SECONDARY_PROB).astype(np.int64)
            else:
                idx = np.minimum((u_variant * len(tmpl)).astype(np.int64), len(tmpl) - 1)
            code[sel] = len(table) + idx[sel]
            table.extend(tmpl)
    sex_idx = male.astype(np.int64)
    ordered_cells = np.sort(_CELL_CHOICES)
    cell_idx = np.searchsorted(ordered_cells, cells)
    n_cells = len(ordered_cells)
    strings = np.array(
        [render(t, sex, int(c)) for t in table for sex in ("XX", "XY") for c in ordered_cells],
        dtype=object,
    )
    karyotype = strings[(code * 2 + sex_idx) * n_cells + cell_idx]
    flag_table = {f: np.array([t.flags[f] for t in table], dtype=bool) for f in CYTOGENETIC_FLAGS}
    flags = {f: v[code] for f, v in flag_table.items()}
    return KaryotypeDraw(karyotype=karyotype, flags=flags)
