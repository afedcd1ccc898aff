"""The groups a flow step divides into are drawn side by side, not as a chain of nested subsets."""

from __future__ import annotations

import re

import pandas as pd

from cohort.report.flow_diagram import MAX_SIDE_BY_SIDE, flow_svg


def _flow(groups: list[tuple[str, int]]) -> pd.DataFrame:
    rows = [
        {"step": "rows in the input", "n": 100, "note": "", "kind": "step"},
        {"step": "excluded", "n": 2, "note": "missing_time", "kind": "excluded"},
        {"step": "loaded", "n": 98, "note": "", "kind": "step"},
        {"step": "NPM1-mutated", "n": 40, "note": "", "kind": "step"},
    ]
    rows += [{"step": s, "n": n, "note": "", "kind": "split"} for s, n in groups]
    return pd.DataFrame(rows)


def _box_tops(svg: str) -> dict[str, float]:
    """The y of the box holding each step's text (text y minus its offset in the box)."""
    rects = [(float(x), float(y)) for x, y in re.findall(r'<rect x="([\d.]+)" y="([\d.]+)"', svg)]
    texts = re.findall(r'<text x="[\d.]+" y="([\d.]+)"[^>]*>([^<]*)</text>', svg)
    tops = {}
    for ty, text in texts:
        above = [ry for _, ry in rects if ry < float(ty)]
        tops[text] = max(above)
    return tops


def test_split_groups_share_one_row_under_their_step():
    svg = flow_svg(_flow([("ITD-neg", 25), ("ITD-low", 7), ("ITD-high", 8)]))
    tops = _box_tops(svg)
    assert tops["ITD-neg"] == tops["ITD-low"] == tops["ITD-high"]
    assert tops["ITD-neg"] > tops["NPM1-mutated"]
    xs = sorted(float(x) for x, _ in re.findall(r'<rect x="([\d.]+)" y="([\d.]+)"', svg)[-3:])
    assert len(set(xs)) == 3  # three different columns


def test_chain_steps_and_too_many_groups_stay_in_the_column():
    many = [(f"group {i}", 1) for i in range(MAX_SIDE_BY_SIDE + 1)]
    tops = _box_tops(flow_svg(_flow(many)))
    assert len({tops[f"group {i}"] for i in range(len(many))}) == len(many)
    plain = _flow([("ITD-neg", 25), ("ITD-low", 7)]).assign(kind="step")
    plain.loc[1, "kind"] = "excluded"
    tops = _box_tops(flow_svg(plain))
    assert tops["ITD-neg"] < tops["ITD-low"]


def test_a_flow_table_without_kinds_still_draws_a_chain():
    flow = _flow([("ITD-neg", 25), ("ITD-low", 7)]).drop(columns="kind")
    tops = _box_tops(flow_svg(flow))
    assert tops["ITD-neg"] < tops["ITD-low"]


def test_group_flow_marks_its_steps_as_a_split():
    from cohort.report.subsets import group_flow

    class Recorder:
        def __init__(self):
            self.calls = []

        def flow(self, label, n, note="", *, split=False):
            self.calls.append((label, n, split))

    rec = Recorder()
    labels = pd.Series(["ITD-neg", "ITD-low", "ITD-neg", None], dtype="object")
    counts = group_flow(rec, labels, order=["ITD-neg", "ITD-low"])
    assert [c[2] for c in rec.calls] == [True, True, True]
    assert counts["n"].sum() == len(labels)
