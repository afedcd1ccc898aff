"""The walk: the shared three-valued rule engine behind the risk classifiers.

A guideline table is written as an ordered list of :class:`Rule` rows, each a condition over named
*terms* (facts about the patient such as "NPM1 mutated" or "FLT3-ITD allelic ratio high"). Inputs are
nullable, so every term is a :class:`Tri`: per patient it is known True, known False, or unknown.
:func:`walk` applies the rows in precedence order, vectorised over patients:

- a patient is *placed* by the first row that definitely applies when no earlier row possibly
  applies;
- otherwise ``candidates`` lists the categories of every row that possibly applies up to (and
  including) the first row that definitely applies. When those candidates share one category the
  category is still decided (a missing value that cannot change the result does not block) and
  ``rule`` lists the rows that may have placed the patient, joined by ``"|"``.

API for classifier modules
--------------------------
The engine is spread over small modules, each named for what it holds: :mod:`cohort.stratify.logic`
(``Tri``), :mod:`cohort.stratify.inputs` (``Inputs``, ``recording_columns``),
:mod:`cohort.stratify.terms` (``Terms``), :mod:`cohort.stratify.rule_table` (``Rule``, ``Modifier``,
``Option``, ``resolve_options``, ``rules_table``, the category constants), this module (``walk``,
``run``) and :mod:`cohort.stratify.explanation` (``explain_rules``, ``row_frame``).

``Tri(true, false)``
    Kleene logic on numpy boolean arrays: ``&``, ``|``, ``~``; ``.unknown``, ``.possible``;
    ``Tri.const(value, n)``, ``Tri.unknown_of(n)``, ``Tri.any_of(items, n)``, ``Tri.all_of(items, n)``.
``Inputs(frame, use_normal_karyotype=..., cytogenetic_flags=...)``
    Reads canonical columns once: ``.flag(name)`` (boolean; an absent column is all unknown, never
    wild-type), ``.compare(name, op, threshold)`` with ``op`` one of ``">=", ">", "<", "<="``,
    ``.unknown(name)`` (the missing mask of a column, all True when absent), ``.has(name)``,
    ``.take(idx, forced)`` (a subset with some unknown values completed; used by :func:`run`).
``Terms(inputs)``
    Named facts: ``.flag(name, label)`` adds a column as a term, ``.add(name, tri, columns, label)``,
    ``.derive(name, label, fn)`` builds a term from other terms (the columns it reads are tracked
    automatically). Rows read terms as attributes: ``lambda t: t.npm1 & ~t.flt3_itd``.
``Rule(id, category, text, footnote, source, when)``
    One row of a guideline table. ``category`` is a category name, :data:`NOT_APPLICABLE` (the
    guideline does not apply to the patient) or a tuple of categories (a deliberate "cannot decide"
    row, e.g. an option that abstains on a conflict).
``Modifier(id, source_category, target_category, text, source, when)``
    A post-table refinement ("favorable patients with X become intermediate"), applied after the
    walk on the candidate categories (used by the Eisfeld 2020 refinement of ELN 2017).
``Option(name, default, meaning, choices)`` and :func:`resolve_options`
    Declared options, checked by name and value; unknown names raise ``ClassificationError`` with
    the list of valid names.
``walk(rules, terms, index, categories, notes=..., modifiers=...)``
    Returns the result DataFrame with exactly ``category`` (ordered categorical), ``rule``,
    ``candidates`` and ``notes``.
``run(inputs, index, build, rules, categories, notes=..., modifiers=..., max_split=6)``
    :func:`walk` plus exact candidates: for undetermined patients with at most ``max_split``
    blocking unknown inputs, every completion of those inputs is walked and the outcomes are
    united (``build(inputs) -> Terms`` rebuilds the terms on a completed subset). This is what
    the ELN classifiers call; a minimal classifier is::

        def classify_x(frame, **options):
            o = resolve_options("x", OPTIONS, options)
            inputs = Inputs(frame)
            return run(inputs, frame.index, lambda i: build_terms(i, o), RULES, CATEGORIES)
``explain_rules(rules, terms, modifiers=...)``
    One line per row for a one-patient ``Terms``: whether it applies, possibly applies, does not
    apply or is not reached, with the values of the terms it reads.
``rules_table(rules, modifiers)``
    The rule rows as a DataFrame (id, category, text, footnote, source) for documentation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cohort.stratify.inputs import Inputs
from cohort.stratify.rule_table import ELN_CATEGORIES, NOT_APPLICABLE, Modifier, Rule
from cohort.stratify.terms import Terms


def _categorical(inverse: np.ndarray, labels: list, index: pd.Index) -> pd.Series:
    """A categorical Series from codes into ``labels`` (None labels become missing)."""
    uniq = list(dict.fromkeys(lab for lab in labels if lab is not None))
    pos = {lab: i for i, lab in enumerate(uniq)}
    mapping = np.asarray([pos[lab] if lab is not None else -1 for lab in labels], dtype=np.int64)
    codes = mapping[inverse] if len(mapping) else np.zeros(0, np.int64)
    return pd.Series(pd.Categorical.from_codes(codes, categories=uniq), index=index)


def walk(
    rules: Sequence[Rule],
    terms: Terms,
    index: pd.Index,
    categories: Sequence[str] = ELN_CATEGORIES,
    *,
    notes: Sequence[tuple[str, np.ndarray]] = (),
    modifiers: Sequence[Modifier] = (),
) -> pd.DataFrame:
    """Apply ``rules`` in precedence order to every patient at once (see the module docstring).

    Each row is evaluated on its own, so when two rows hinge on the same unknown input the
    candidates can include a category no completion of the data reaches (sound but not tight);
    :func:`run` removes those by trying the completions of the few inputs that block.

    Parameters
    ----------
    rules : sequence of Rule
        In precedence order.
    terms : Terms
    index : pandas.Index
        The cohort's index, given to the result.
    categories : sequence of str
        The system's categories, in order (the result's ``category`` is an ordered categorical).
    notes : sequence of (text, mask)
        Extra per-patient notes (a mask of patients the note concerns).
    modifiers : sequence of Modifier
        Refinements applied after the walk.

    Returns
    -------
    pandas.DataFrame
        ``category``, ``rule``, ``candidates``, ``notes``, indexed by ``index``.
    """
    bits = _walk_bits(rules, terms, categories, modifiers)
    return _assemble(rules, modifiers, terms, index, categories, notes, *bits)


def _walk_bits(
    rules: Sequence[Rule],
    terms: Terms,
    categories: Sequence[str],
    modifiers: Sequence[Modifier],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """The walk as bit masks: (category bits, rule bits, modifier bits, term -> rules using it)."""
    n = terms.n
    if len(rules) > 56 or len(modifiers) > 7:
        raise ValueError(
            "the engine packs rule ids into 64-bit masks: at most 56 rules, 7 modifiers"
        )
    cat_bit = _category_bits(categories)
    undecided = np.ones(n, bool)
    rule_bits = np.zeros(n, np.uint64)
    cat_bits = np.zeros(n, np.uint8)
    used_terms: dict[str, int] = {}
    for i, rule in enumerate(rules):
        tri, used = terms.evaluate(rule.condition)
        possible = tri.possible & undecided
        # shifts and ors instead of boolean-mask assignment: the walk runs on millions of rows
        rule_bits |= possible.astype(np.uint64) << np.uint64(i)
        bits = 0
        for c in rule.categories:
            bits |= cat_bit[c]
        cat_bits |= possible.astype(np.uint8) * np.uint8(bits)
        undecided &= ~tri.true
        for u in used:
            used_terms[u] = used_terms.get(u, 0) | (1 << i)
    mod_bits = np.zeros(n, np.uint64)
    for j, mod in enumerate(modifiers):
        tri, _ = terms.evaluate(mod.when)
        src, dst = cat_bit[mod.source_category], cat_bit[mod.target_category]
        has_src = (cat_bits & src) != 0
        moved = has_src & tri.true
        maybe = has_src & tri.unknown
        cat_bits[moved] = (cat_bits[moved] & np.uint8(~src & 0xFF)) | np.uint8(dst)
        cat_bits[maybe] |= np.uint8(dst)
        mod_bits[moved] |= np.uint64(1 << j)
    return cat_bits, rule_bits, mod_bits, used_terms


def _category_bits(categories: Sequence[str]) -> dict[str, int]:
    return {c: 1 << i for i, c in enumerate([*categories, NOT_APPLICABLE])}


def _is_single(cat_bits: np.ndarray) -> np.ndarray:
    return (cat_bits != 0) & ((cat_bits & (cat_bits - 1)) == 0)


def _assemble(
    rules: Sequence[Rule],
    modifiers: Sequence[Modifier],
    terms: Terms,
    index: pd.Index,
    categories: Sequence[str],
    notes: Sequence[tuple[str, np.ndarray]],
    cat_bits: np.ndarray,
    rule_bits: np.ndarray,
    mod_bits: np.ndarray,
    used_terms: dict[str, int],
) -> pd.DataFrame:
    """The result DataFrame from the walk's bit masks."""
    single = _is_single(cat_bits)
    blocking = _blocking_columns(terms, used_terms, rule_bits, ~single)
    return _result_frame(
        rules, modifiers, index, categories, notes, blocking, cat_bits, rule_bits, mod_bits
    )


def _result_frame(
    rules: Sequence[Rule],
    modifiers: Sequence[Modifier],
    index: pd.Index,
    categories: Sequence[str],
    notes: Sequence[tuple[str, np.ndarray]],
    blocking: dict[str, np.ndarray],
    cat_bits: np.ndarray,
    rule_bits: np.ndarray,
    mod_bits: np.ndarray,
) -> pd.DataFrame:
    """The result DataFrame from the walk's bit masks and the blocking columns (categorical
    columns built from codes: a few MB at a million patients instead of one string per row)."""
    cat_bit = _category_bits(categories)
    single = _is_single(cat_bits)
    cat_names = [*categories, NOT_APPLICABLE]
    # at most 16 category combinations: label every code instead of sorting millions of rows
    inv = cat_bits.astype(np.int64)
    labels = [
        "|".join(c for i, c in enumerate(cat_names) if code >> i & 1) or None
        for code in range(1 << len(cat_names))
    ]
    candidates = _categorical(inv, [None if lab in cat_names else lab for lab in labels], index)
    candidates = candidates.cat.remove_unused_categories()
    category = _categorical(inv, [lab if lab in categories else None for lab in labels], index)
    category = category.cat.set_categories(list(categories), ordered=True)

    key = rule_bits | (mod_bits << np.uint64(56))
    names = [r.id for r in rules] + [""] * (56 - len(rules)) + [m.id for m in modifiers]
    codes, inverse = np.unique(key, return_inverse=True)
    rule_labels = []
    for code in codes.tolist():
        base = "|".join(rid for i, rid in enumerate(names[:56]) if rid and code >> i & 1)
        mods = [m for j, m in enumerate(names[56:]) if code >> (56 + j) & 1]
        rule_labels.append(">".join([base, *mods]) if base else None)
    rule = _categorical(inverse.reshape(-1), rule_labels, index)

    note_items: list[tuple[str, np.ndarray]] = list(notes)
    na = (cat_bits & cat_bit[NOT_APPLICABLE]) != 0
    note_items.append(("the guideline does not apply to this patient (see rule)", na & single))
    note_items.append(("no rule can apply (inconsistent inputs?)", cat_bits == 0))
    notes_col = _notes_column(note_items, blocking, index)
    return pd.DataFrame(
        {"category": category, "rule": rule, "candidates": candidates, "notes": notes_col},
        index=index,
    )


def run(
    inputs: Inputs,
    index: pd.Index,
    build: Callable[[Inputs], Terms],
    rules: Sequence[Rule],
    categories: Sequence[str] = ELN_CATEGORIES,
    *,
    notes: Callable[[Terms], Sequence[tuple[str, np.ndarray]]] = lambda t: (),
    modifiers: Sequence[Modifier] = (),
    max_split: int = 6,
    max_nodes: int = 64,
) -> pd.DataFrame:
    """:func:`walk` with tight candidates.

    For each undetermined patient whose undecided rows depend on at most ``max_split`` unknown
    input columns, the walk is repeated for every True/False completion of those columns
    (numbers: either side of their threshold) and the candidates are the union of the outcomes.
    This removes categories that the row-by-row evaluation admits only by assuming contradictory
    values of one input (e.g. "TP53 VAF < 10%" for one row and ">= 10%" for another).

    Parameters
    ----------
    inputs : Inputs
        The cohort's inputs (completions are made with :meth:`Inputs.take`).
    index : pandas.Index
        The cohort's index.
    build : callable
        ``build(inputs)`` returns the system's :class:`Terms`.
    rules, categories, modifiers
        As for :func:`walk`.
    notes : callable
        ``notes(terms)`` returns the per-patient notes.
    max_split : int
        Most unknown columns completed per patient by trying every completion at once (2**max_split
        batched walks). Patients with more unknown inputs (typically a missing karyotype) are
        refined by splitting on one unknown input at a time and stopping a branch as soon as the
        category is decided there (at most ``max_nodes`` walks); the few left undecided keep a
        possibly wider candidate list and a note says so.
    max_nodes : int
        Budget of walks for that split search. It is shared by all the patients refined there,
        so where it runs out (and so the candidates of a patient it cuts off) depends on the
        other patients of the cohort.

    Notes
    -----
    Both refinements run once per distinct pattern of the columns the terms read (registries
    have few), standing for every patient who shares it, and the result is broadcast back: the
    same result as refining every row, in a fraction of the time. If the refinement reads a
    column the first walk did not, every row is refined instead.
    """
    terms = build(inputs)
    cat_bits, rule_bits, mod_bits, used_terms = _walk_bits(rules, terms, categories, modifiers)
    undetermined = ~_is_single(cat_bits)
    extra: list[tuple[str, np.ndarray]] = []
    if undetermined.any() and max_split > 0:
        blocking = _blocking_columns(terms, used_terms, rule_bits, undetermined)
        bits = (cat_bits, rule_bits, mod_bits)

        def refine(inp: Inputs, blk: dict, bts: tuple, weights: np.ndarray | None = None):
            return _refine_all(inp, build, rules, categories, modifiers, blk, max_split,
                               max_nodes, bts, weights)  # fmt: skip

        capped = _refine_distinct(inputs, refine, blocking, np.flatnonzero(undetermined), bits)
        if capped is None:  # the refinement read a column the patterns were not grouped by
            capped = refine(inputs, blocking, bits)
        if capped.any():
            extra.append((
                "candidates not narrowed: too many unknown inputs to try every completion (the "
                "list may include a category that no completion of the data reaches)",
                capped & ~_is_single(cat_bits),
            ))  # fmt: skip
    note_items = [*notes(terms), *extra]
    blocking = _blocking_columns(terms, used_terms, rule_bits, ~_is_single(cat_bits))
    # the terms and the inputs' cached columns (most of the memory at a million patients) are not
    # needed to build the result: release them first, so that their peaks do not add up (the
    # caches are cleared too in case the caller keeps ``inputs``; they are refilled on demand)
    inputs._cache.clear()
    inputs._num_cache.clear()
    del terms, inputs
    return _result_frame(
        rules, modifiers, index, categories, note_items, blocking, cat_bits, rule_bits, mod_bits
    )


def _refine_all(
    inputs: Inputs,
    build: Callable[[Inputs], Terms],
    rules: Sequence[Rule],
    categories: Sequence[str],
    modifiers: Sequence[Modifier],
    blocking: dict[str, np.ndarray],
    max_split: int,
    max_nodes: int,
    bits: tuple[np.ndarray, np.ndarray, np.ndarray],
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Tighten the candidates of every undetermined patient of ``inputs`` (``bits``: category,
    rule and modifier bits, updated in place): every completion for those with at most
    ``max_split`` blocking inputs, the split search for the others. Returns the mask of patients
    cut off by the split search's budget (``weights``: patients each row stands for)."""
    too_many = _refine(inputs, build, rules, categories, modifiers, blocking, max_split, *bits)
    if not too_many.any():
        return too_many
    return _split_refine(inputs, build, rules, categories, modifiers, np.flatnonzero(too_many),
                         max_nodes, *bits, weights=weights)  # fmt: skip


def _refine_distinct(
    inputs: Inputs,
    refine: Callable[..., np.ndarray],
    blocking: dict[str, np.ndarray],
    undetermined: np.ndarray,
    bits: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray | None:
    """``refine`` (:func:`_refine_all`) once per distinct pattern of the columns read, broadcast.

    A patient's refined result depends on its row only through the columns the terms read
    (:meth:`Inputs.read_columns` after the first walk), and on the other patients only through
    which patterns are present (completions, split order by patient counts, the node budget):
    each distinct pattern is refined once, standing for as many patients as share it. Registries
    have few patterns, so this replaces walks over millions of rows by walks over thousands.
    Returns the capped mask over all patients, or None (nothing updated) if the refinement read a
    column outside the grouping or the columns cannot be grouped.
    """
    columns = inputs.read_columns()
    groups = inputs.distinct_rows(undetermined, columns)
    if groups is None:
        return None
    first, inverse, counts = groups
    reps = undetermined[first]
    sub = inputs.take(reps)
    sub_bits = tuple(b[reps] for b in bits)
    sub_blocking = {c: m[reps] for c, m in blocking.items()}
    sub_capped = refine(sub, sub_blocking, sub_bits, counts)
    if not inputs.read_columns() <= columns:
        return None
    for whole, part in zip(bits, sub_bits, strict=True):
        whole[undetermined] = part[inverse]
    capped = np.zeros(inputs.n, bool)
    capped[undetermined] = sub_capped[inverse]
    return capped


def _refine(
    inputs: Inputs,
    build: Callable[[Inputs], Terms],
    rules: Sequence[Rule],
    categories: Sequence[str],
    modifiers: Sequence[Modifier],
    blocking: dict[str, np.ndarray],
    max_split: int,
    cat_bits: np.ndarray,
    rule_bits: np.ndarray,
    mod_bits: np.ndarray,
) -> np.ndarray:
    """Replace, in place, the bits of undetermined patients by the union over completions.

    Returns the mask of undetermined patients left unrefined (too many unknown inputs).
    """
    columns = list(blocking)[:64]
    n = inputs.n
    if not columns:
        return np.zeros(n, bool)
    mask = np.zeros(n, np.uint64)
    for j, col in enumerate(columns):
        mask[blocking[col]] |= np.uint64(1 << j)
    k = np.bitwise_count(mask)  # uint8: at most 64 columns
    too_many = k > max_split
    rows = np.flatnonzero((k > 0) & ~too_many)
    if not len(rows):
        return too_many
    sub_mask = mask[rows]
    sub_k = k[rows].astype(np.int64)
    del mask, k  # the whole-cohort arrays are not needed while the completions are walked
    # rank of column j among the patient's own blocking columns: bit j of an assignment number
    # (uint8: a rank is below 64, and one int64 array per column of ~1e5 rows adds up)
    ranks = {j: np.bitwise_count(sub_mask & np.uint64((1 << j) - 1)) for j in range(len(columns))}
    new_cat = np.zeros(len(rows), np.uint8)
    new_rule = np.zeros(len(rows), np.uint64)
    new_mod_all = np.full(len(rows), np.uint64(2**64 - 1))
    for a in range(1 << int(sub_k.max())):
        active = (1 << sub_k) > a
        idx = np.flatnonzero(active)
        forced: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for j, col in enumerate(columns):
            has = (sub_mask[idx] >> np.uint64(j)) & np.uint64(1) == 1
            if has.any():
                values = ((a >> ranks[j][idx].astype(np.int64)) & 1) == 1
                forced[col] = (values, has)
        c, r, m, _ = _walk_bits(rules, build(inputs.take(rows[idx], forced)), categories, modifiers)
        # release this completion's inputs before the next one is built (peak memory)
        forced.clear()
        new_cat[idx] |= c
        new_rule[idx] |= r
        new_mod_all[idx] &= m
    cat_bits[rows] = new_cat
    rule_bits[rows] = new_rule
    mod_bits[rows] = new_mod_all
    return too_many


def _split_refine(
    inputs: Inputs,
    build: Callable[[Inputs], Terms],
    rules: Sequence[Rule],
    categories: Sequence[str],
    modifiers: Sequence[Modifier],
    rows: np.ndarray,
    max_nodes: int,
    cat_bits: np.ndarray,
    rule_bits: np.ndarray,
    mod_bits: np.ndarray,
    *,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Shannon splitting for patients with many unknown inputs; updates the bits in place.

    Each node is a group of patients sharing one partial assignment of unknown inputs. After its
    walk, patients whose category is decided (or that have nothing left to split on) are final;
    the others are grouped by their first blocking column and split into a True and a False
    child (patients are grouped under the column that blocks most of them). The union over the
    leaves covers every completion, so it stays sound; it is exact when
    every leaf is decided. Returns the mask (over all patients) of those cut off by the budget.
    ``weights`` (aligned with all patients): how many patients each row stands for, when the rows
    are distinct patterns (the split order then counts the patients, not the rows).
    """
    n_all = inputs.n
    capped = np.zeros(n_all, bool)
    new_cat = np.zeros(len(rows), np.uint8)
    new_rule = np.zeros(len(rows), np.uint64)
    new_mod = np.full(len(rows), np.uint64(2**64 - 1))
    stack: list[tuple[np.ndarray, dict[str, bool]]] = [(np.arange(len(rows)), {})]
    nodes = 0
    while stack:
        pos, assign = stack.pop()
        nodes += 1
        forced = {c: (np.full(len(pos), v), np.ones(len(pos), bool)) for c, v in assign.items()}
        terms = build(inputs.take(rows[pos], forced))
        c, r, m, used = _walk_bits(rules, terms, categories, modifiers)
        single = _is_single(c)
        blocking = _blocking_columns(terms, used, r, ~single)
        has_any = np.zeros(len(pos), bool)
        for mask in blocking.values():
            has_any |= mask
        out_of_budget = nodes + len(stack) >= max_nodes
        final = single | ~has_any | out_of_budget
        new_cat[pos[final]] |= c[final]
        new_rule[pos[final]] |= r[final]
        new_mod[pos[final]] &= m[final]
        if out_of_budget:
            capped[rows[pos[~single & has_any]]] = True
            continue
        # split on the column blocking most patients first, so that groups stay large
        remaining = ~final
        w = None if weights is None else weights[rows[pos]]
        for col in sorted(blocking, key=lambda k: -_count(blocking[k] & remaining, w)):
            group_mask = remaining & blocking[col]
            if not group_mask.any():
                continue
            remaining &= ~group_mask
            group = pos[group_mask]
            stack.append((group, {**assign, col: False}))
            stack.append((group, {**assign, col: True}))
    cat_bits[rows] = new_cat
    rule_bits[rows] = new_rule
    mod_bits[rows] = new_mod
    return capped


def _count(mask: np.ndarray, weights: np.ndarray | None) -> int:
    """Patients in ``mask`` (``weights``: patients each row stands for)."""
    return int(mask.sum()) if weights is None else int(weights[mask].sum())


def _blocking_columns(
    terms: Terms, used_terms: dict[str, int], rule_bits: np.ndarray, undetermined: np.ndarray
) -> dict[str, np.ndarray]:
    """For undetermined patients, the unknown input columns behind an unknown term of a rule that
    possibly applies (what the user would need to measure to decide)."""
    out: dict[str, np.ndarray] = {}
    if not undetermined.any():
        return out
    order = list(dict.fromkeys(c for name in used_terms for c in terms.columns(name)))
    for name, mask in used_terms.items():
        cols = terms.columns(name)
        if not cols:
            continue
        hit = undetermined & getattr(terms, name).unknown & ((rule_bits & np.uint64(mask)) != 0)
        if not hit.any():
            continue
        for col in cols:
            blocking = hit & terms.inputs.unknown(col)
            if blocking.any():
                out[col] = out[col] | blocking if col in out else blocking
    # a fixed column order, so that a patient's note does not depend on the other patients
    return {c: out[c] for c in order if c in out}


def _notes_column(
    items: Sequence[tuple[str, np.ndarray]], blocking: dict[str, np.ndarray], index: pd.Index
) -> pd.Series:
    """Join the notes that concern each patient, then 'undetermined, unknown: <columns>'."""
    n = len(index)
    bits = np.zeros(n, np.uint64)
    texts: list[str] = []
    is_column: list[bool] = []
    entries = [(text, mask, False) for text, mask in items]
    entries += [(col, mask, True) for col, mask in blocking.items()]
    for text, mask, column in entries:
        if len(texts) == 64:
            break
        if mask.any():
            bits[mask] |= np.uint64(1 << len(texts))
            texts.append(text)
            is_column.append(column)
    codes, inverse = np.unique(bits, return_inverse=True)
    labels: list[str | None] = []
    for code in codes.tolist():
        on = [i for i in range(len(texts)) if code >> i & 1]
        parts = [texts[i] for i in on if not is_column[i]]
        cols = [texts[i] for i in on if is_column[i]]
        if cols:
            parts.append(f"undetermined, unknown: {', '.join(cols)}")
        labels.append("; ".join(parts) if parts else None)
    return _categorical(inverse.reshape(-1), labels, index)
