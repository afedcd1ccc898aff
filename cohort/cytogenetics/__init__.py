"""Cytogenetics: parse ISCN karyotypes and derive the ELN/ICC cytogenetic flags.

``parse(text)`` returns a structured :class:`Karyotype`; ``flags(series)`` returns one row of
nullable-boolean flags per input karyotype. Counting rules are documented in
``docs/cytogenetics.md``.
"""

from cohort.cytogenetics.flags import FLAG_COLUMNS, CountingRules, flags, flags_one
from cohort.cytogenetics.karyotype import Abnormality, Clone, Karyotype
from cohort.cytogenetics.parser import parse, parse_abnormality

__all__ = [
    "FLAG_COLUMNS",
    "Abnormality",
    "Clone",
    "CountingRules",
    "Karyotype",
    "flags",
    "flags_one",
    "parse",
    "parse_abnormality",
]
