"""The parsed form of an ISCN karyotype: :class:`Karyotype` (status and clones), :class:`Clone`
(one cell population) and :class:`Abnormality` (one typed abnormality), with the vocabulary of
statuses and abnormality kinds. :mod:`cohort.cytogenetics.parser` builds them from text;
:mod:`cohort.cytogenetics.flags` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUSES = ("ok", "missing", "failed", "unparseable", "free_text")

#: Kinds of structural rearrangement recognised as ``kind(chromosomes)(breakpoints)``.
STRUCTURAL_KINDS = (
    "t", "inv", "del", "add", "der", "i", "idic", "dic", "psudic", "dup", "ins", "r", "hsr", "trp",
    "qdp", "tas", "fra", "rob", "tan", "trc", "ider", "rcp", "amp", "abn",
)  # fmt: skip

#: Kinds of :class:`Abnormality`.
KINDS = (
    "gain",
    "loss",
    "loss_abnormal",
    "mar",
    "dmin",
    "polymorphism",
    "ploidy",
    *STRUCTURAL_KINDS,
)

#: Clones with at least this many chromosomes are near-triploid or more: one ``"ploidy"``
#: abnormality (ISCN's ploidy ranges put 58-80 in the near-triploid range).
POLYPLOID_FROM = 58
#: Clones with at most this many chromosomes are near-haploid (ISCN: 23-34): also a ploidy change.
NEAR_HAPLOID_TO = 34


@dataclass(frozen=True)
class Abnormality:
    """One abnormality of one clone.

    Attributes
    ----------
    kind : str
        ``"gain"`` / ``"loss"`` (whole chromosome), ``"loss_abnormal"`` (loss of a chromosome that was
        already abnormal in the stemline, e.g. ``-mar`` or ``-der(7)``; not a new abnormality),
        ``"mar"`` (marker of unknown origin), ``"dmin"`` (double minutes), ``"polymorphism"``
        (heteromorphism such as ``9ph``, ``1qh+``) or a structural kind (``t``, ``inv``, ``del``,
        ``add``, ``der``, ``i``, ``idic``, ``dic``, ``dup``, ``ins``, ``r``, ``hsr``, ...).
    chromosomes : tuple of str
        ``("8", "21")`` for ``t(8;21)``; ``("X",)``; ``("?",)`` when unknown; empty for markers.
    breakpoints : tuple of str
        One string per chromosome as written, in lower case (``("q22", "q22")``, ``("q13q33",)``);
        empty when not given.
    text : str
        The token as written (whitespace removed).
    copies : int
        How many copies the token states (``+8x2``, ``+2x8``, ``+2mar`` -> 2; ``+1-3mar`` -> 1, the
        minimum stated).
    gained : bool
        The token carries a ``+`` (an extra abnormal chromosome, e.g. ``+der(22)t(9;22)``).
    constitutional : bool
        Marked ``c`` (or a heteromorphism): present in the germ line, not part of the leukaemia.
    uncertain : bool
        Contains ``?`` or ``~`` (kept, and counted, but recorded).
    parts : tuple of Abnormality
        For a derivative chromosome, the rearrangements that produced it (``der(7)t(2;7)(q21;p13)``
        has one part, a ``t(2;7)``).
    label : str
        Marker label (``mar1``) or ring label; empty otherwise.
    """

    kind: str
    chromosomes: tuple[str, ...] = ()
    breakpoints: tuple[str, ...] = ()
    text: str = ""
    copies: int = 1
    gained: bool = False
    constitutional: bool = False
    uncertain: bool = False
    parts: tuple[Abnormality, ...] = ()
    label: str = ""

    @property
    def is_numerical(self) -> bool:
        return self.kind in ("gain", "loss")

    @property
    def is_structural(self) -> bool:
        """Structural abnormality: a rearrangement, a marker, a ring or double minutes."""
        return self.kind in STRUCTURAL_KINDS or self.kind in ("mar", "dmin")

    def events(self) -> tuple[Abnormality, ...]:
        """This abnormality followed by the rearrangements inside it (for a derivative)."""
        out: list[Abnormality] = [self]
        for p in self.parts:
            out.extend(p.events())
        return tuple(out)

    def key(self) -> tuple:
        """Identity used to recognise the same abnormality in several clones.

        The ``+`` sign and the number of copies are left out: ``del(13)(q13q21)`` and
        ``+del(13)(q13q21)`` are one abnormality present in more than one copy.
        """
        return (
            self.kind,
            self.chromosomes,
            self.breakpoints,
            tuple(p.key() for p in self.parts),
            self.label,
        )


@dataclass(frozen=True)
class Clone:
    """One clone (cell population) of a karyotype.

    Attributes
    ----------
    modal : str
        Chromosome number as written (``"47"``, ``"45~47"``, ``"88<4n>"``).
    modal_low, modal_high : int or None
        The chromosome-number range.
    sex_chromosomes : str
        Sex chromosomes as written (``"XY"``, ``"X"``, ``"XXYY"``; empty when not given).
    abnormalities : tuple of Abnormality
        With ``idem``/``sl``/``sdl`` already expanded.
    cells : int or None
        Number of cells (``[20]``); None when not given.
    composite : bool
        A composite karyotype (``cp``).
    incomplete : bool
        Marked ``inc`` (not every abnormality could be identified).
    text : str
        The clone as written.
    """

    modal: str
    modal_low: int | None
    modal_high: int | None
    sex_chromosomes: str
    abnormalities: tuple[Abnormality, ...]
    cells: int | None = None
    composite: bool = False
    incomplete: bool = False
    text: str = ""

    @property
    def acquired(self) -> tuple[Abnormality, ...]:
        """Abnormalities that are not constitutional."""
        return tuple(a for a in self.abnormalities if not a.constitutional)

    @property
    def is_normal(self) -> bool:
        """No acquired abnormality (constitutional variants allowed)."""
        return not self.acquired


@dataclass(frozen=True)
class Karyotype:
    """A parsed karyotype.

    Attributes
    ----------
    text : str
        The input as given.
    status : str
        ``"ok"`` (parsed ISCN), ``"missing"`` (empty, not done), ``"failed"`` (no metaphases,
        culture failure), ``"free_text"`` (recognised words such as "normal karyotype" or
        "complex"), or ``"unparseable"``.
    clones : tuple of Clone
        Empty unless ``status == "ok"``.
    free_text : str or None
        For ``status == "free_text"``: ``"normal"`` or ``"complex"``.
    notes : tuple of str
        What the parser decided or ignored (comments after the cell count, ``inc``, why a string
        could not be parsed).
    """

    text: str
    status: str
    clones: tuple[Clone, ...] = ()
    free_text: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_normal(self) -> bool | None:
        """True for a normal karyotype, None when unknown."""
        if self.status == "ok":
            return all(c.is_normal for c in self.clones)
        if self.status == "free_text":
            return self.free_text == "normal"
        return None
