"""Parse ISCN karyotype text into clones and typed abnormalities.

The parser is tolerant of how karyotypes are written in real cohorts (spaces, lower case, missing
cell counts, ``idem``/``sl``/``sdl``, composite ``cp`` karyotypes, comments after the cell count,
German or English free text) but never guesses: a token it does not understand makes the whole
karyotype ``"unparseable"`` (flags become NA) instead of being skipped, because a skipped token
could be exactly the abnormality that decides a flag.

The parsed form (:class:`Karyotype`, :class:`Clone`, :class:`Abnormality`) is defined in
:mod:`cohort.cytogenetics.karyotype` and re-exported here. This module (about 640 lines, a little
over the ~600 the layout aims for) is kept whole because it reads top-down as one grammar: free
text, then abnormality tokens, then clones and the whole karyotype, sharing one failure type and
the token patterns.

ISCN terms used below (ISCN 2020): a *clone* is a cell population written as
``modal,sex_chromosomes,abnormality,...[cells]``; clones are separated by ``/``; ``idem`` and ``sl``
repeat the stemline's abnormalities, ``sdl`` those of the preceding clone; ``c`` marks a
constitutional anomaly; ``?`` and ``~`` mark uncertainty.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from cohort.cytogenetics.karyotype import (
    KINDS,
    NEAR_HAPLOID_TO,
    POLYPLOID_FROM,
    STATUSES,
    STRUCTURAL_KINDS,
    Abnormality,
    Clone,
    Karyotype,
)
from cohort.errors import KaryotypeError

__all__ = [
    "KINDS",
    "NEAR_HAPLOID_TO",
    "POLYPLOID_FROM",
    "STATUSES",
    "STRUCTURAL_KINDS",
    "Abnormality",
    "Clone",
    "Karyotype",
    "parse",
    "parse_abnormality",
]


class _ParseFailure(Exception):
    """Internal: the text is not ISCN the parser understands (becomes status 'unparseable')."""


# ---------------------------------------------------------------------------------------------
# free text

# Matched against the lower-cased, whitespace-collapsed text. Order matters: "failed" before
# "missing" so that "no analysable metaphases" is a failure, not "not done".
_FAILED = re.compile(
    r"^(no metaphases?|no mitos[ie]s|keine\s+(analysierbaren\s+)?metaphasen|no analy[sz]able|"
    r"failed|failure|culture failed|no growth|insufficient|inadequate|not evaluable|"
    r"keine\s+mitosen|no evaluable|unsuccessful)"
)
_MISSING = re.compile(
    r"^(|na|n/a|nan|none|null|unknown|not done|nd|n\.d\.|not performed|no analysis|not analy[sz]ed|"
    r"no material|not available|missing|-|\?|not tested|no karyotype)\.?$"
)
_FREE_NORMAL = re.compile(
    r"^(normal( karyotype| male karyotype| female karyotype| male| female| cytogenetics)?|nk|"
    r"cytogenetically normal|normaler karyotyp|unauff[aä]llig(er karyotyp)?)\.?$"
)
_FREE_COMPLEX = re.compile(r"^(complex|komplex)(e[rs]?)?( karyotype?| aberrant karyotype)?\b")


def _classify_text(low: str) -> tuple[str, str | None] | None:
    """Status for text that is not ISCN, or None when it should be parsed as ISCN."""
    if _FAILED.match(low):
        return "failed", None
    if _MISSING.match(low):
        return "missing", None
    if _FREE_NORMAL.match(low):
        return "free_text", "normal"
    if _FREE_COMPLEX.match(low):
        return "free_text", "complex"
    return None


# ---------------------------------------------------------------------------------------------
# splitting helpers


def _split_top(text: str, seps: str) -> list[str]:
    """Split on any character of ``seps`` that is outside parentheses and brackets."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif ch in seps and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


_MODAL = re.compile(r"^~?(\d{1,3})(?:[~-](\d{1,3}))?(?:<\d?n>)?$")
_SEX = re.compile(r"^\??[XY]*\??$")
_REF = re.compile(r"^(idem|sl|sdl\d*)(x\d)?$")


# ---------------------------------------------------------------------------------------------
# abnormality tokens

_SEGMENT = re.compile(r"\??([a-z]+)\(([^()]*)\)(?:\(([^()]*)\))?")
_NUMERICAL = re.compile(r"^(\d{1,2}|X|Y)(?:x(\d))?$")
_MARKER = re.compile(r"^(?:var)?(mar)(\d*)(?:-(\d+))?(?:x(\d))?$")
_RING = re.compile(r"^r(\d*)$")
_DMIN = re.compile(r"^(\d+(?:[-~]\d+)?)?dmins?$")
_ARM_SHORT = re.compile(r"^([+-])?(\d{1,2}|X|Y)([pq])([+-])?$")
_POLYMORPHISM = re.compile(r"^(\d{1,2}|X|Y)[pq](?:h|s|stk|cen)\+*-*$")
_LEAD_COUNT = re.compile(r"^(\d+)(?:[-~](\d+))?x?(?=[a-z?]|$)")
_INV9_VARIANT = re.compile(r"^p1[1-3](\.\d+)?q1[1-3](\.\d+)?$")


def _norm_chrom(c: str) -> str:
    return c.strip().upper().replace("?", "") or "?"


def _parse_structural(body: str, token: str, uncertain: bool) -> Abnormality:
    """``der(7)t(2;7)(q21;p13)``, ``del(5)(q13q33)``, ``del(7q)``, ``i(17q)`` ..."""
    segments = []
    pos = 0
    while pos < len(body):
        m = _SEGMENT.match(body, pos)
        if not m:
            raise _ParseFailure(f"cannot read {body[pos:]!r} in {token!r}")
        segments.append(m)
        pos = m.end()
        if pos < len(body) and body[pos] == "?":
            pos += 1

    def one(m: re.Match) -> Abnormality:
        kind, chroms_s, bps_s = m.group(1), m.group(2), m.group(3)
        if kind not in STRUCTURAL_KINDS:
            raise _ParseFailure(f"unknown rearrangement {kind!r} in {token!r}")
        chroms_raw = re.split(r"[;,]", chroms_s) if chroms_s else ["?"]
        bps: list[str] = []
        chroms: list[str] = []
        # Arm shorthand: del(7q), i(17q), der(17p); also parts of a der written without the
        # chromosome, e.g. der(17)add(p11)del(q21q24).
        for c in chroms_raw:
            c = c.strip()
            ma = re.match(r"^\??(\d{1,2}|[XYxy]|\?)\??([pq].*)?$", c)
            if ma:
                chroms.append(_norm_chrom(ma.group(1)))
                if ma.group(2):
                    bps.append(ma.group(2).lower())
            elif re.match(r"^[pq]", c.lower()):
                chroms.append("")  # filled from the derivative's chromosome below
                bps.append(c.lower())
            else:
                raise _ParseFailure(f"cannot read chromosome {c!r} in {token!r}")
        if bps_s is not None:
            if "->" in bps_s or "::" in bps_s:
                bps = [bps_s.lower()]  # detailed system: keep as written
            else:
                bps = [b.strip().lower() for b in bps_s.split(";")]
        return Abnormality(
            kind=kind,
            chromosomes=tuple(chroms),
            breakpoints=tuple(bps),
            text=m.group(0),
            uncertain=uncertain or "?" in m.group(0) or "~" in m.group(0),
        )

    # inv(3)(q21;q26.2): one chromosome, breakpoints split by ";" -> join them back
    abns = []
    for m in segments:
        a = one(m)
        if a.kind == "inv" and len(a.chromosomes) == 1 and len(a.breakpoints) > 1:
            # "q21;26": a band without an arm is on the arm of the band before it
            joined, arm = "", ""
            for b in a.breakpoints:
                if b[:1] in ("p", "q"):
                    arm = b[0]
                elif arm:
                    b = arm + b
                joined += b
            a = Abnormality(a.kind, a.chromosomes, (joined,), a.text, uncertain=a.uncertain)
        abns.append(a)
    head = abns[0]
    if head.kind == "der" and len(abns) > 1:
        base = head.chromosomes[0] if head.chromosomes else "?"
        parts = []
        for p in abns[1:]:
            if any(c == "" for c in p.chromosomes):
                p = Abnormality(
                    p.kind,
                    tuple(c or base for c in p.chromosomes),
                    p.breakpoints,
                    p.text,
                    uncertain=p.uncertain,
                )
            parts.append(p)
        return Abnormality(
            "der",
            head.chromosomes,
            head.breakpoints,
            token,
            uncertain=uncertain or any(p.uncertain for p in abns),
            parts=tuple(parts),
        )
    if len(abns) > 1:
        # Several rearrangements written together without der(...): keep them as parts of one
        # derivative-like abnormality of the first chromosome.
        return Abnormality(
            "der",
            head.chromosomes[:1],
            (),
            token,
            uncertain=uncertain or any(p.uncertain for p in abns),
            parts=tuple(abns),
        )
    if any(c == "" for c in head.chromosomes):
        raise _ParseFailure(f"no chromosome given in {token!r}")
    return Abnormality(
        head.kind,
        head.chromosomes,
        head.breakpoints,
        token,
        uncertain=uncertain or head.uncertain,
    )


def parse_abnormality(token: str) -> Abnormality:
    """Parse one abnormality token (``+8``, ``-7``, ``t(8;21)(q22;q22)``, ``+2mar``, ``del(5q)``).

    Raises
    ------
    KaryotypeError
        If the token is not an ISCN abnormality this parser knows.
    """
    try:
        return _parse_token(re.sub(r"\s+", "", token))
    except _ParseFailure as exc:
        raise KaryotypeError(
            f"cannot parse the karyotype abnormality {token!r}: {exc}. Check it against ISCN 2020."
        ) from exc


def _parse_token(token: str) -> Abnormality:
    t = token
    # A per-abnormality cell count in composite karyotypes: del(5)(q13q32)[9]
    t = re.sub(r"\[\s*(cp)?\s*\d*\s*\]$", "", t)
    constitutional = False
    if re.search(r"[)\dXYr]\??c$", t) and not t.endswith("dic"):
        constitutional, t = True, t[:-1].rstrip("?")
    copies = 1
    mx = re.search(r"x(\d)(?:~\d)?$", t)
    if mx and not _NUMERICAL.match(t.lstrip("+-?")):
        copies, t = int(mx.group(1)), t[: mx.start()]
    uncertain = "?" in t or "~" in t
    sign = ""
    t = t.lstrip("?")
    if t and t[0] in "+-":
        sign, t = t[0], t[1:]
    t = t.lstrip("?")

    m = _POLYMORPHISM.match(t)
    if m and not sign:
        return Abnormality("polymorphism", (m.group(1),), (), token, constitutional=True)
    m = _ARM_SHORT.match(t)
    if m and (sign or m.group(4)):
        chrom, arm, suffix = m.group(2), m.group(3), m.group(4)
        s = sign or m.group(1) or ""
        direction = suffix or s
        kind = "del" if direction == "-" else "add"
        return Abnormality(kind, (chrom,), (arm,), token, uncertain=uncertain,
                           constitutional=constitutional)  # fmt: skip

    # counts written in front: +2mar, +1-3mar, +2x8, 2xadd(21)(p11), 1-2dmin, +1r
    m = re.match(r"^(\d)x(\d{1,2}|X|Y)$", t)
    if m:
        t, copies = m.group(2), copies * int(m.group(1))
    lead = _LEAD_COUNT.match(t)
    if lead and not _NUMERICAL.match(t) and not re.match(r"^\d{1,2}[pq]", t):
        copies = int(lead.group(1)) * copies
        t = t[lead.end() :]
        if not t:
            raise _ParseFailure(f"nothing after the count in {token!r}")

    m = _NUMERICAL.match(t)
    if m:
        if not sign:
            raise _ParseFailure(f"a chromosome number without + or - ({token!r})")
        n = m.group(2)
        return Abnormality(
            "gain" if sign == "+" else "loss",
            (m.group(1),),
            (),
            token,
            copies=copies * (int(n) if n else 1),
            gained=sign == "+",
            constitutional=constitutional,
            uncertain=uncertain,
        )
    m = _MARKER.match(t)
    if m:
        if sign == "-":
            return Abnormality("loss_abnormal", (), (), token, label=f"mar{m.group(2)}")
        if m.group(3):  # +mar1-5: markers 1 to 5
            copies *= int(m.group(3)) - int(m.group(2) or 1) + 1
        if m.group(4):
            copies *= int(m.group(4))
        return Abnormality("mar", (), (), token, copies=copies, gained=True, uncertain=uncertain,
                           label=f"mar{m.group(2)}")  # fmt: skip
    m = _DMIN.match(t)
    if m:
        return Abnormality("dmin", (), (), token, uncertain=uncertain)
    m = _RING.match(t)
    if m:
        if sign == "-":
            return Abnormality("loss_abnormal", (), (), token, label=f"r{m.group(1)}")
        return Abnormality("r", ("?",), (), token, copies=copies, gained=sign == "+",
                           uncertain=uncertain, label=f"r{m.group(1)}")  # fmt: skip
    if re.match(r"^der\d{1,2}$", t):  # "+der1": derivative of chromosome 1, rearrangement not given
        t = f"der({t[3:]})"
    if re.match(r"^[a-z]+\(", t):
        a = _parse_structural(t, token, uncertain)
        if sign == "-":
            return Abnormality(
                "loss_abnormal", a.chromosomes, a.breakpoints, token, parts=a.parts, uncertain=True
            )
        return Abnormality(
            a.kind,
            a.chromosomes,
            a.breakpoints,
            token,
            copies=copies,
            gained=sign == "+",
            constitutional=constitutional,
            uncertain=a.uncertain,
            parts=a.parts,
        )
    raise _ParseFailure(f"unrecognised abnormality {token!r}")


# ---------------------------------------------------------------------------------------------
# clones and karyotypes


def _clean(text: str) -> str:
    t = text.replace("\r", "\n").strip().strip("\"'").strip()
    t = t.replace("{", "(").replace("}", ")").replace("–", "-").replace("−", "-")
    t = re.sub(r"\biso\(", "i(", t, flags=re.IGNORECASE)
    # in situ hybridisation appended to the karyotype (".ish ..."): not used
    t = re.sub(r"(?<=\])\s*\.\s*ish.*$", "", t, flags=re.IGNORECASE | re.DOTALL)
    t = re.sub(r"\.\s*ish[^\[]*", "", t, flags=re.IGNORECASE)
    t = re.sub(r"\](?=\s*~?\d)", "]/", t)  # "[9]46,XY" or "[19] 46,XX": a missing clone separator
    t = re.sub(r"\[(\d+)$", r"[\1]", t)  # "46,XX[20": closing bracket lost
    # missing commas: "47,XX+8", "46,XXder(22)...", "46,idem+r"
    t = re.sub(r"^(~?\d[\d~<>n-]*,[XYxy]+)(?=[+-]|der\(|del\(|add\(|inv\(|t\()", r"\1,", t)
    t = re.sub(r"\b(idem|sl|sdl\d*)(?=[+-])", r"\1,", t)
    t = re.sub(r"\)\?\(", ")(", t)  # del(11)?(q14q23): uncertainty written between the parentheses
    return t


def _canon_case(token: str) -> str:
    """ISCN letters to canonical case: keywords and bands lower case, X and Y upper case."""
    low = token.lower()
    # sex chromosomes stand alone, after +/-/(/;/, or before a band/number
    low = re.sub(r"(?<![a-z])x(?![a-z])", "X", low)
    low = re.sub(r"(?<![a-z])y(?![a-z])", "Y", low)
    # "+21x2", "del(5)(q21q33)x2": copy-count x stays lower case
    low = re.sub(r"(?<=[\d)])X(\d(?:~\d)?)$", r"x\1", low)
    low = re.sub(r"^([+-]?)(\d)X(?=[\d(a-z])", r"\1\2x", low)
    return low


def _parse_clone(
    raw: str, stemline: tuple[Abnormality, ...] | None, previous: tuple[Abnormality, ...] | None
) -> tuple[Clone, list[str]]:
    notes: list[str] = []
    text = raw.strip()
    # anything after the (last) cell count is a comment: "[24]    CGH: -5q", "[6] (Korrekturbefund)"
    m = re.search(r"\[\s*(?:cp)?\s*\d*\s*\]", text)
    cells: int | None = None
    composite = False
    if m:
        last = list(re.finditer(r"\[\s*(?:cp)?\s*\d*\s*\]", text))[-1]
        tail = text[last.end() :].strip()
        if tail:
            notes.append(f"text after the cell count ignored: {tail!r}")
        body, bracket = text[: last.start()], last.group(0)
        mc = re.match(r"\[\s*(cp)?\s*(\d*)\s*\]", bracket)
        composite = bool(mc.group(1))
        cells = int(mc.group(2)) if mc.group(2) else None
    else:
        body = text
    body = re.sub(r"\s+", "", body)
    if body.endswith("cp"):
        composite, body = True, body[:-2]
    body = body.rstrip(",")
    tokens = [t for t in _split_top(body, ",") if t != ""]
    if not tokens:
        raise _ParseFailure(f"empty clone {raw!r}")
    first = tokens.pop(0)
    # "46XX" (missing comma)
    mm = re.match(r"^(~?\d{1,3}(?:[~-]\d{1,3})?(?:<\d?n>)?)([XYxy?]+)$", first)
    if mm:
        first = mm.group(1)
        tokens.insert(0, mm.group(2))
    mm = _MODAL.match(first)
    if not mm:
        raise _ParseFailure(f"clone {raw.strip()!r} does not start with a chromosome number")
    low = int(mm.group(1))
    high = int(mm.group(2)) if mm.group(2) else low
    sex = ""
    abns: list[Abnormality] = []
    incomplete = False
    constitutional_sex = False
    if tokens and re.match(r"^\??[XY]*\??C$", tokens[0].upper()) and len(tokens[0]) > 1:
        sex, constitutional_sex = tokens.pop(0).upper()[:-1], True  # "48,XXYc,+X"
    elif tokens and _SEX.match(tokens[0].upper()) and not tokens[0].startswith(("+", "-")):
        sex = tokens.pop(0).upper()
    for tok in tokens:
        tl = tok.lower()
        ref = _REF.match(tl)
        if ref:
            src = previous if ref.group(1).startswith("sdl") else stemline
            if src is None:
                raise _ParseFailure(f"{tok!r} in the first clone has nothing to refer to")
            abns.extend(src)
            continue
        if tl == "inc":
            incomplete = True
            notes.append("incomplete karyotype (inc): abnormalities may be missing")
            continue
        if tl in ("na", "n.a."):
            incomplete = True
            notes.append(
                f"{tok!r} in place of an abnormality read as an unidentified element (like 'inc'): "
                "abnormalities may be missing"
            )
            continue
        if tl in ("cp",):
            composite = True
            continue
        if _SEX.match(tok.upper()) and not sex and not abns:
            sex = tok.upper()
            continue
        abns.append(_parse_token(_canon_case(tok)))
    if low >= POLYPLOID_FROM or low <= NEAR_HAPLOID_TO:
        abns.insert(0, Abnormality("ploidy", (), (), first))
    elif sex and "?" not in sex and not constitutional_sex:
        implied = _implied_sex_changes(sex, abns)
        if implied:
            notes.append(f"sex chromosomes {sex!r} read as " + ",".join(a.text for a in implied))
            abns.extend(implied)
        expected = _expected_count(abns)
        if low == high and expected is not None and expected != low and not incomplete:
            notes.append(
                f"clone {first},{sex}: the abnormalities listed imply {expected} chromosomes, "
                f"not {low}; check the karyotype"
            )
    clone = Clone(
        modal=first,
        modal_low=low,
        modal_high=high,
        sex_chromosomes=sex,
        abnormalities=tuple(abns),
        cells=cells,
        composite=composite,
        incomplete=incomplete,
        text=raw.strip(),
    )
    return clone, notes


def _implied_sex_changes(sex: str, abns: list[Abnormality]) -> list[Abnormality]:
    """Gains or losses of X/Y shown only by the sex-chromosome field (``47,XXY``, ``45,X``).

    ISCN lists a lost sex chromosome both ways (``45,X,-Y``) and an acquired gain as ``+X`` after a
    field that may or may not include it. A structurally abnormal sex chromosome is written among
    the abnormalities and, depending on the writer, also in the field (``46,Y,add(X)(q22)`` or
    ``46,XY,t(X;1)(q28;q21)``). Only what neither convention explains is implied.
    """
    field = {"X": sex.count("X"), "Y": sex.count("Y")}
    structural = {"X": 0, "Y": 0}
    gained = {"X": 0, "Y": 0}
    lost = {"X": 0, "Y": 0}
    for a in abns:
        if a.kind == "gain" and a.chromosomes[0] in field:
            gained[a.chromosomes[0]] += a.copies
        elif a.kind == "loss" and a.chromosomes[0] in field:
            lost[a.chromosomes[0]] += a.copies
        elif a.is_structural and not a.gained:
            chroms = a.chromosomes[:1] if a.kind == "der" else a.chromosomes
            for c in chroms:
                if c in field:
                    structural[c] += 1
    male = field["Y"] + structural["Y"] + lost["Y"] > 0
    base = {"X": 1, "Y": 1} if male else {"X": 2, "Y": 0}
    out = []
    for c in ("X", "Y"):
        extra = field[c] - base[c] - gained[c]  # the field may include acquired gains
        missing = field[c] + structural[c] + lost[c] - base[c]  # losses are left out of the field
        if extra > 0:
            out.append(Abnormality("gain", (c,), (), f"+{c}" + (f"x{extra}" if extra > 1 else ""),
                                   copies=extra, gained=True))  # fmt: skip
        elif missing < 0:
            out.append(Abnormality("loss", (c,), (), f"-{c}" + (f"x{-missing}" if missing < -1 else ""),
                                   copies=-missing))  # fmt: skip
    return out


def _expected_count(abns: list[Abnormality]) -> int | None:
    """Chromosome number implied by a diploid clone's abnormalities; None when not determinable."""
    n = 46
    for a in abns:
        if "?" in a.chromosomes or (a.kind == "mar" and re.search(r"\d[-~]\d", a.text)):
            return None  # unknown partner, or a range of markers
        if a.kind == "gain" or (a.gained and a.kind != "dmin"):
            n += a.copies
        elif a.kind == "loss":
            n -= a.copies
        elif a.kind == "loss_abnormal":
            n -= 1
        elif a.kind == "der" and len(set(a.chromosomes)) > 1:
            n -= 1  # der(13;18)(q10;p10): one chromosome made of two
        elif a.kind in ("dic", "psudic", "rob", "idic") and len(set(a.chromosomes)) > 1:
            return None  # whether a homologue was lost is written separately, or not at all
    return n


def _parse_iscn(text: str) -> tuple[tuple[Clone, ...], list[str]]:
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]  # "[46,XY]"
    pieces = [p for p in _split_top(body.replace("\n", "/"), "/;") if p.strip()]
    clones: list[Clone] = []
    notes: list[str] = []
    stemline: tuple[Abnormality, ...] | None = None
    previous: tuple[Abnormality, ...] | None = None
    for piece in pieces:
        clone, n = _parse_clone(piece, stemline, previous)
        notes.extend(n)
        clones.append(clone)
        if stemline is None and clone.abnormalities:
            stemline = clone.abnormalities
        if clone.abnormalities:
            previous = clone.abnormalities
    return tuple(clones), notes


def parse(text: object, *, strict: bool = False) -> Karyotype:
    """Parse one karyotype.

    Parameters
    ----------
    text : str or None
        ISCN text (``"47,XY,+8[15]/46,XY[5]"``) or free text (``"normal karyotype"``,
        ``"complex"``, ``"no metaphases"``). None or NaN is a missing karyotype.
    strict : bool, default False
        Raise :class:`~cohort.errors.KaryotypeError` for an unparseable string instead of
        returning ``status="unparseable"``.

    Returns
    -------
    Karyotype
        ``.status`` says whether the text was parsed; ``.clones`` holds the clones with typed
        abnormalities; ``.notes`` what was decided or ignored.

    Examples
    --------
    >>> k = parse("45,XX,-7,t(3;3)(q21;q26)[20]")
    >>> [a.kind for a in k.clones[0].abnormalities]
    ['loss', 't']
    """
    if (
        text is None
        or text is pd.NA
        or text is pd.NaT
        or (isinstance(text, float) and text != text)
    ):
        return Karyotype("", "missing", notes=("no karyotype given",))
    return _parse_cached(str(text), strict)


def _bare_abnormalities(text: str) -> Karyotype | None:
    """Abnormalities written without chromosome number and sex chromosomes (``"Inv(3)(q21q26.2)"``,
    any letter case): one clone of unknown chromosome number, with a note; None if not that."""
    body = re.sub(r"\[\s*\d*\s*\]$", "", text.strip())
    if not re.match(r"^[+\-?]?[a-zA-Z]+\(", body):
        return None
    try:
        abns = tuple(
            _parse_token(_canon_case(re.sub(r"\s+", "", t))) for t in _split_top(body, ",")
        )
    except _ParseFailure:
        return None
    clone = Clone("?", None, None, "", abns, text=text)
    note = "no chromosome number or sex chromosomes: the abnormalities written are read as the karyotype"
    return Karyotype(text, "ok", clones=(clone,), notes=(note,))


@lru_cache(maxsize=65536)
def _parse_cached(text: str, strict: bool) -> Karyotype:
    cleaned = _clean(text)
    low = re.sub(r"\s+", " ", cleaned.lower()).strip()
    if not re.match(r"^\[?~?\d", low):
        bare = _bare_abnormalities(cleaned)
        if bare is not None:
            return bare
        cls = _classify_text(low)
        if cls is not None:
            status, free = cls
            notes: tuple[str, ...] = ()
            if status == "failed" and len(low) > 20:
                notes = (f"karyotype failed; further text not used: {cleaned!r}",)
            elif status == "missing":
                notes = (
                    f"karyotype not available ({cleaned!r})" if cleaned else "empty karyotype",
                )
            return Karyotype(text, status, free_text=free, notes=notes)
        reason = "not ISCN and not a recognised free-text phrase"
    else:
        try:
            clones, notes_l = _parse_iscn(cleaned)
            if re.search(r"\.\s*ish", text, flags=re.IGNORECASE):
                notes_l.append("in situ hybridisation (.ish) result not used")
            return Karyotype(text, "ok", clones=clones, notes=tuple(notes_l))
        except _ParseFailure as exc:
            reason = str(exc)
    if strict:
        raise KaryotypeError(
            f"cannot parse karyotype {text!r}: {reason}. Write it in ISCN (e.g. "
            "'47,XY,+8[15]/46,XY[5]') or as 'normal', 'complex', 'failed' or 'not done'."
        )
    return Karyotype(text, "unparseable", notes=(f"unparseable: {reason}",))
